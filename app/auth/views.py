"""Login and logout. One generic message for every failed login."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField, validators

from admin_views.base import local_path
from app.auth.throttle import account_key, is_throttled, record_attempt
from app.extensions import db, login_manager
from models import User
from models.audit import record_event
from models.base import utcnow
from models.passwords import MAX_LENGTH
from models.user import active_accounts, check_password_for_unknown_user

log = logging.getLogger(__name__)
blueprint = Blueprint("auth", __name__)
SESSION_STARTED_KEY = "kim_login_at"
FAILED_LOGIN_MESSAGE = _l("E-Mail-Adresse oder Passwort ist nicht korrekt.")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-Mail"), validators=[validators.InputRequired(), validators.Length(max=254)]
    )
    password = PasswordField(
        _l("Passwort"), validators=[validators.InputRequired(), validators.Length(max=MAX_LENGTH)]
    )


def safe_next_url(target: str | None) -> str:
    """A local path to continue to after login; anything else goes to the start page."""
    return local_path(target) or url_for("admin.index")


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    # A deactivated account or organisation ends every session at the next request.
    statement = select(User).where(User.session_token == session_token, *active_accounts())
    return db.session.execute(statement).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    statement = select(User).where(func.lower(User.email) == email.strip().lower())
    user = db.session.execute(statement).scalar_one_or_none()
    if user is None:
        check_password_for_unknown_user(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data or ""
        key = account_key(email, current_app.config["SECRET_KEY"])
        address = request.remote_addr or "unknown"
        now = utcnow()
        if is_throttled(db.session(), key, address, now):
            status = 429
            user = None
        else:
            user = authenticate(email, form.password.data or "")
            record_attempt(db.session(), key, address, succeeded=user is not None, now=now)
        if user is None:
            record_event(db.session(), actor=None, action="login_failed", details={"account": key})
        else:
            record_event(db.session(), actor=user, action="login")
        db.session.commit()
        if user is not None:
            start_session(user, now)
            return redirect(safe_next_url(request.args.get("next")))
        log.info("login refused (%s) from %s", "throttled" if status == 429 else "invalid", address)
        flash(FAILED_LOGIN_MESSAGE, "error")
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


def start_session(user: User, now: dt.datetime) -> None:
    """A fresh session at login: nothing carried over, an absolute end time recorded."""
    session.clear()
    user.last_login_at = now
    db.session.commit()
    login_user(user)
    session.permanent = True  # idle timeout: PERMANENT_SESSION_LIFETIME, refreshed per request
    session[SESSION_STARTED_KEY] = int(now.timestamp())


def end_expired_session() -> Any:
    """Before each request: a session older than the absolute lifetime ends (ASVS 3.3.2)."""
    if not current_user.is_authenticated:
        return None
    started = session.get(SESSION_STARTED_KEY)
    lifetime = current_app.config["KIM_SESSION_MAX_SECONDS"]
    if isinstance(started, int) and utcnow().timestamp() - started < lifetime:
        return None
    logout_user()
    session.clear()
    flash(_("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."), "info")
    return redirect(url_for("auth.login"))


blueprint.before_app_request(end_expired_session)


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
