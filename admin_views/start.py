"""The start page: a case worker's caseload, or the coordination's entry points."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from admin_views.statistics import statistics_summary
from app.clock import today
from app.extensions import db
from models import Case, User
from models.permissions import Permission, has_permission
from models.referral_workflow import count_incoming, count_overdue, default_case_manager_filter

# Named filters of the case list (``named_filter_urls``): "Case Manager*in gleich" and
# "abgeschlossen am leer"; tests/test_referral_tracking.py follows the link to keep them true.
MY_OPEN_CASES_FILTERS = ("flt0_case_managerin_equals", "flt1_abgeschlossen_am_empty")


def caseload_counts(user: User) -> dict[str, int]:
    """Three counts for the start page, each one aggregate query."""
    own_cases = (
        select(func.count())
        .select_from(Case)
        .where(
            Case.organisation_id == user.organisation_id,
            Case.archived_at.is_(None),
            Case.closed_on.is_(None),
            Case.case_manager_id == user.id,
        )
    )
    current_day = today()
    return {
        "my_open_cases": db.session.execute(own_cases).scalar_one(),
        # As many as the tracking screen shows by default: own for case managers, team for leads.
        "overdue_referrals": count_overdue(
            db.session(), user, current_day, default_case_manager_filter(user)
        ),
        "incoming_referrals": count_incoming(db.session(), user),
    }


def my_open_cases_url(user: User) -> str:
    manager_filter, open_filter = MY_OPEN_CASES_FILTERS
    filters: dict[str, Any] = {manager_filter: user.id, open_filter: "1"}
    return url_for("cases.index_view", **filters)


class StartView(AdminIndexView):
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_active)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self) -> Any:
        counts = None
        links = None
        if has_permission(current_user, Permission.CASEWORK_READ):
            counts = caseload_counts(current_user)
            links = {
                "my_open_cases": my_open_cases_url(current_user),
                "overdue_referrals": url_for("referral_tracking.index"),
                "incoming_referrals": url_for("referral_tracking.index", _anchor="incoming"),
            }
        return self.render(
            "admin/start.html",
            counts=counts,
            links=links,
            statistics_summary=statistics_summary(),
        )
