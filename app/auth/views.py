"""Login and logout. One generic message for every failed login."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField, validators

from app.auth.passwords import MAX_LENGTH
from app.extensions import db, login_manager
from models import User
from models.base import utcnow
from models.user import check_password_for_unknown_user

blueprint = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-Mail"), validators=[validators.InputRequired(), validators.Length(max=254)])
    password = PasswordField(
        _l("Passwort"), validators=[validators.InputRequired(), validators.Length(max=MAX_LENGTH)]
    )


def safe_next_url(target: str | None) -> str:
    """A local path to continue to after login; anything else goes to the start page."""
    fallback = url_for("admin.index")
    if not target:
        return fallback
    cleaned = target.replace("\\", "/").strip()
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return fallback
    if any(ord(character) < 32 for character in cleaned):
        return fallback
    return cleaned


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    statement = select(User).where(User.session_token == session_token, User.active.is_(True))
    return db.session.execute(statement).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    statement = select(User).where(func.lower(User.email) == email.strip().lower())
    user = db.session.execute(statement).scalar_one_or_none()
    if user is None:
        check_password_for_unknown_user(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session at login: nothing carried over
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            session.permanent = True
            return redirect(safe_next_url(request.args.get("next")))
        flash(_("E-Mail-Adresse oder Passwort ist nicht korrekt."), "error")
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        # Rotating the token invalidates copies of this session cookie, too.
        current_user.end_all_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Sie wurden abgemeldet."), "info")
    return redirect(url_for("auth.login"))
