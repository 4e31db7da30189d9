"""Staff accounts: own profile for everyone, own team for leads, everything for admins."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import func, select
from wtforms import Form, PasswordField, ValidationError, validators

from admin_views.base import KimModelView
from admin_views.compat import form_object
from admin_views.forms import EMAIL
from admin_views.tasks import deactivated_user_redirect
from app.extensions import db
from models import User
from models.choices import Role
from models.labels import LABELS
from models.passwords import password_problem
from models.permissions import Permission, has_permission

TEAM_ROLES = [Role.CASE_MANAGER, Role.ORG_LEAD]


class UserView(KimModelView):
    """Deactivate instead of delete: accounts are named in audit columns of records."""

    singular_name = _l("Benutzer*in")

    column_labels = LABELS
    column_list = ["full_name", "email", "role", "organisation", "active", "last_login_at"]
    column_details_list = column_list
    column_searchable_list = ["full_name", "email"]
    column_filters = ["role", "active"]
    column_default_sort = [("full_name", False)]
    column_choices = {"role": Role.choices()}
    form_columns = [
        "full_name",
        "email",
        "role",
        "organisation",
        "active",
        "current_password",
        "new_password",
    ]
    form_extra_fields = {
        "current_password": PasswordField(
            LABELS["current_password"],
            validators=[validators.Optional(), validators.Length(max=1024)],
            description=_l("Nur nötig, wenn Sie Ihr eigenes Passwort ändern."),
        ),
        "new_password": PasswordField(
            LABELS["new_password"],
            validators=[validators.Optional(), validators.Length(max=1024)],
            description=_l("Mindestens 12 Zeichen. Leer lassen, um das Passwort zu behalten."),
        ),
    }
    choice_fields = {"role": Role.choices()}
    form_args = {"email": {"validators": [EMAIL]}}

    def allows(self, access: str) -> bool:
        team_or_all = has_permission(current_user, Permission.USERS_OF_OWN_ORGANISATION) or (
            has_permission(current_user, Permission.USERS_ALL)
        )
        if access in ("read", "edit"):
            return team_or_all or has_permission(current_user, Permission.OWN_PROFILE)
        if access == "create":
            return team_or_all
        if access == "lookup":
            return False
        return False

    def _restrict_form(self, form: Form, obj: User | None) -> Form:
        """Case managers edit only name and password; leads manage their team's roles."""
        if has_permission(current_user, Permission.USERS_ALL):
            return form
        if has_permission(current_user, Permission.USERS_OF_OWN_ORGANISATION):
            del form["organisation"]
            form.role.choices = [(role.value, role.label) for role in TEAM_ROLES]
            return form
        for name in ("email", "role", "organisation", "active"):
            del form[name]
        return form

    def create_form(self, obj: Any = None) -> Form:
        form = self._restrict_form(super().create_form(obj), None)
        del form["current_password"]
        form.new_password.validators = [validators.InputRequired(), validators.Length(max=1024)]
        form.new_password.flags.required = True
        return form

    def edit_form(self, obj: Any = None) -> Form:
        form = self._restrict_form(super().edit_form(obj), obj)
        if obj is None or obj.id != current_user.id:
            del form["current_password"]
        return form

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors: dict[str, str] = {}
        existing: User | None = form_object(form)
        if "email" in form and form.email.data:
            email = form.email.data.strip().lower()
            taken = select(User.id).where(func.lower(User.email) == email)
            if existing is not None:
                taken = taken.where(User.id != existing.id)
            if db.session.execute(taken.limit(1)).first():
                errors["email"] = _("Diese E-Mail-Adresse ist bereits vergeben.")
        if form.new_password.data:
            problem = password_problem(form.new_password.data)
            if problem:
                errors["new_password"] = problem
            # One's own password changes only with the current one: a session left open
            # on a shared computer must not be enough to take over the account.
            if "current_password" in form and not current_user.check_password(
                form.current_password.data or ""
            ):
                errors["current_password"] = _("Das aktuelle Passwort ist nicht richtig.")
        if "role" in form and "organisation" in form:
            case_level = Role(form.role.data).is_case_level if form.role.data else False
            if case_level and form.organisation.data is None:
                errors["organisation"] = _(
                    "Case Manager*innen und Teamleitungen gehören zu einer Organisation."
                )
            if not case_level and form.organisation.data is not None:
                errors["organisation"] = _(
                    "Koordination und Administration gehören zu keiner Organisation."
                )
        if (
            existing is not None
            and existing.id == current_user.id
            and "active" in form
            and not form.active.data
        ):
            errors["active"] = _("Sie können Ihr eigenes Konto nicht deaktivieren.")
        return errors

    def on_model_change(self, form: Form, model: User, is_created: bool) -> None:
        if not has_permission(current_user, Permission.USERS_ALL):
            if is_created:
                model.organisation_id = current_user.organisation_id
            if (
                model.role not in TEAM_ROLES
                or model.organisation_id != current_user.organisation_id
            ):
                raise ValidationError(_("Diese Rolle können Sie nicht vergeben."))
        if form.new_password.data:
            model.set_password(form.new_password.data)
        elif "active" in form and not model.active:
            model.end_all_sessions()

    def get_save_return_url(self, model: User, is_created: bool = False) -> str:
        """A lead who deactivated a colleague with open work is asked to whom it goes."""
        if not model.active and has_permission(current_user, Permission.USERS_OF_OWN_ORGANISATION):
            redirect_url = deactivated_user_redirect(model)
            if redirect_url is not None:
                return redirect_url
        return super().get_save_return_url(model, is_created)

    def after_model_change(self, form: Form, model: User, is_created: bool) -> None:
        # A new password ends every session, the editor's own included: keep this one.
        if model.id == current_user.id and form.new_password.data:
            login_user(model)
