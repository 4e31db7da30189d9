"""The start page: a case worker's caseload, or the coordination's entry points."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_views.base import SecureView
from admin_views.statistics import statistics_summary
from admin_views.tasks import my_open_tasks_url
from app.clock import today
from app.extensions import db
from models import User
from models.caseload import caseload_counts
from models.choices import TaskKind
from models.permissions import Permission, has_permission
from models.reminders import reminders
from models.system_level import feedback_for
from models.tasks import my_tasks

# Named filters of the case list (``named_filter_urls``): "Case Manager*in gleich" and
# "abgeschlossen am leer"; tests/test_referral_tracking.py follows the link to keep them true.
MY_OPEN_CASES_FILTERS = ("flt0_case_managerin_equals", "flt1_abgeschlossen_am_empty")


def my_open_cases_url(user: User) -> str:
    manager_filter, open_filter = MY_OPEN_CASES_FILTERS
    filters: dict[str, Any] = {manager_filter: user.id, open_filter: "1"}
    return url_for("cases.index_view", **filters)


class StartView(SecureView, AdminIndexView):
    """The start page, behind the same gate as every other screen."""

    endpoint_permissions = {"index": (Permission.START_PAGE,)}

    @expose("/")
    def index(self) -> Any:
        counts = None
        links = None
        feedback = None
        tasks = None
        expiring = None
        if has_permission(current_user, Permission.CASEWORK_READ):
            # The system level's loop back: issues fed by the user's barriers that changed.
            feedback = feedback_for(db.session(), current_user)
            tasks = my_tasks(db.session(), current_user, today())
            links_to_tasks = {
                "my_tasks": my_open_tasks_url(current_user),
                "team": url_for("team.index")
                if has_permission(current_user, Permission.USERS_OF_OWN_ORGANISATION)
                else None,
            }
            expiring = reminders(
                db.session(),
                current_user,
                today(),
                int(current_app.config["KIM_RESIDENCE_EXPIRY_DAYS"]),
                int(current_app.config["KIM_CONSENT_EXPIRY_DAYS"]),
            )
            counts = caseload_counts(db.session(), current_user, today())
            links = {
                "my_open_cases": my_open_cases_url(current_user),
                "overdue_referrals": url_for("referral_tracking.index"),
                "incoming_referrals": url_for("referral_tracking.index", _anchor="incoming"),
                **links_to_tasks,
            }
        return self.render(
            "admin/start.html",
            counts=counts,
            links=links,
            tasks=tasks,
            task_kind=TaskKind.label_of,
            expiring=expiring,
            statistics_summary=statistics_summary(),
            feedback=feedback,
        )
