"""The start page: a case worker's caseload, or the coordination's entry points."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.permissions import Permission, has_permission
from app.clock import today
from app.extensions import db
from models import Case, Partner, Referral
from models.referral import FINISHED


def caseload_counts(organisation_id: int, user_id: int) -> dict[str, int]:
    """Three counts for the start page, each one aggregate query."""
    own_cases = select(func.count()).select_from(Case).where(
        Case.organisation_id == organisation_id,
        Case.archived_at.is_(None),
        Case.closed_on.is_(None),
        Case.case_manager_id == user_id,
    )
    overdue = select(func.count()).select_from(Referral).where(
        Referral.organisation_id == organisation_id,
        Referral.status.not_in(FINISHED),
        Referral.follow_up_on < today(),
    )
    incoming = (
        select(func.count())
        .select_from(Referral)
        .join(Partner, Referral.partner_id == Partner.id)
        .where(Partner.organisation_id == organisation_id, Referral.status == "sent")
    )
    return {
        "my_open_cases": db.session.execute(own_cases).scalar_one(),
        "overdue_referrals": db.session.execute(overdue).scalar_one(),
        "incoming_referrals": db.session.execute(incoming).scalar_one(),
    }


class StartView(AdminIndexView):
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_active)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self) -> Any:
        counts = None
        if has_permission(current_user, Permission.CASEWORK_READ):
            counts = caseload_counts(current_user.organisation_id, current_user.id)
        return self.render("admin/start.html", counts=counts)
