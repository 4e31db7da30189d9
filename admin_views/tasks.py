"""Aufgaben: the task list, finishing a task, the team view and handing over a colleague's work."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import Form

from admin_views.base import SecureView, commit_or_say_why, local_path
from admin_views.casework import CASE_LOOKUP, CaseworkView, ColleagueOptions
from admin_views.compat import form_object
from app.clock import today
from app.extensions import db
from models import Case, User
from models.choices import TaskKind, TaskSource, TaskStatus
from models.organisation import DEFAULT_NO_CONTACT_DAYS
from models.permissions import Permission
from models.tasks import (
    Task,
    TaskError,
    apply_done_on,
    finish_task,
    open_work_of,
    reassign_open_work,
    team_overview,
)
from models.visibility import selectable_criteria, visible_one

# Named filters of the task list (``named_filter_urls``): the start page links to them.
MY_OPEN_TASKS_FILTERS = ("flt0_status_equals", "flt1_zustndig_equals")


def my_open_tasks_url(user: User) -> str:
    status_filter, assignee_filter = MY_OPEN_TASKS_FILTERS
    filters: dict[str, Any] = {status_filter: TaskStatus.OPEN.value, assignee_filter: user.id}
    return url_for("tasks.index_view", **filters)


def finish_button(task_id: int, back: str) -> Markup:
    """A form button that finishes the task (no script needed)."""
    return Markup(
        '<form class="d-inline" method="POST" action="{action}">'
        '<input type="hidden" name="id" value="{id}">'
        '<input type="hidden" name="url" value="{url}">'
        '<input type="hidden" name="csrf_token" value="{csrf}">'
        '<button type="submit" class="btn btn-sm btn-outline-primary">{label}</button></form>'
    ).format(
        action=url_for("tasks.finish_view"),
        id=task_id,
        url=back,
        csrf=generate_csrf(),
        label=_("Erledigt"),
    )


def _finish_column(view: Any, context: Any, model: Task, name: str) -> Markup | str:
    if model.status != TaskStatus.OPEN or not view.can_edit:
        return ""
    if model.source_kind not in (None, TaskSource.PLAN_STEP):
        return str(TaskSource.label_of(model.source_kind))
    return finish_button(model.id, request.full_path)


class TaskView(CaseworkView):
    singular_name = _l("Aufgabe")
    export_basename = "aufgaben"
    prefilled_links = {"case": Case}
    form_ajax_refs = CASE_LOOKUP
    column_list = ["due_on", "kind", "case", "assignee", "status", "note", "finish"]
    column_labels = {**CaseworkView.column_labels, "finish": _l("Erledigen")}
    column_formatters = {"finish": _finish_column}
    column_filters = [
        "status",
        IntEqualFilter(Task.assignee_id, _l("Zuständig"), options=ColleagueOptions()),
        "kind",
        "due_on",
        "done_on",
        "source_kind",
    ]
    column_searchable_list = ["note", "case.case_number"]
    search_columns = (Task.note, Case.case_number)
    search_hint = _l("Fallnummer oder Notiz")
    column_sortable_list = ["due_on", "kind", "status"]
    column_default_sort = [("due_on", False), ("id", False)]
    list_loader_options = (
        joinedload(Task.case).joinedload(Case.client),
        joinedload(Task.assignee),
    )
    form_columns = ["case", "assignee", "kind", "due_on", "done_on", "note"]
    column_details_list = [
        *form_columns,
        "status",
        "source_kind",
        "created_at",
        "updated_at",
        "updated_by",
    ]
    column_export_list = [*form_columns, "status", "source_kind"]
    choice_fields = {
        "kind": TaskKind.choices(),
        "status": TaskStatus.choices(),
        "source_kind": TaskSource.choices(),
    }
    form_args = {
        "due_on": {"default": today},
        "assignee": {"default": current_user._get_current_object},
    }

    @property
    def search_joins(self) -> tuple[Any, ...]:  # type: ignore[override]
        return (Task.case,)

    def allows_endpoint(self, name: str) -> bool:
        if name == "finish_view":
            return self.allows("edit")
        return super().allows_endpoint(name)

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors = Task.field_errors(form.data, today())
        existing = form_object(form)
        if existing is not None and existing.is_automatic:
            linked = form.data.get("case")
            assignee = form.data.get("assignee")
            if getattr(linked, "id", None) != existing.case_id:
                errors["case"] = _("Eine automatische Aufgabe bleibt bei ihrem Fall.")
            if form.data.get("done_on") != existing.done_on:
                # Done by hand here, the next sync would open it again: its source decides.
                errors["done_on"] = _(
                    "Eine automatische Aufgabe ist erledigt, wenn ihre Quelle es ist "
                    "(z. B. der Schritt oder die Vermittlung); bitte dort eintragen oder "
                    "„Erledigt“ in der Aufgabenliste wählen."
                )
            if getattr(assignee, "id", None) != existing.assignee_id:
                errors["assignee"] = _(
                    "Eine automatische Aufgabe liegt bei der Case Manager*in des Falls; bitte "
                    "dort den Fall übergeben."
                )
        return errors

    def on_model_change(self, form: Form, model: Task, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        apply_done_on(model)

    @expose("/finish/", methods=("POST",))
    def finish_view(self) -> Response:
        task = self.get_one(request.form.get("id"))
        try:
            finish_task(db.session(), current_user, task, today())
        except TaskError as error:
            flash(str(error), "error")
        else:
            if commit_or_say_why(db.session()):
                flash(_("Aufgabe erledigt."), "success")
        return redirect(local_path(request.form.get("url")) or url_for(".index_view"))


def deactivated_user_redirect(user: User) -> str | None:
    """Where a lead goes after deactivating ``user``: the hand-over, if work is left open."""
    left = open_work_of(db.session(), current_user, user.id)
    if not left.cases and not left.tasks:
        return None
    flash(
        _(
            "%(name)s hat noch offene Fälle oder Aufgaben. Bitte wählen Sie, wer sie übernimmt.",
            name=user.full_name,
        ),
        "warning",
    )
    return url_for("team.reassign", user_id=user.id)


class TeamView(SecureView):
    """For leads: per colleague open and overdue tasks, and cases without contact."""

    endpoint_permissions = {
        "index": (Permission.USERS_OF_OWN_ORGANISATION,),
        "reassign": (Permission.USERS_OF_OWN_ORGANISATION,),
    }

    @expose("/")
    def index(self) -> Any:
        organisation = current_user.organisation
        return self.render(
            "admin/team.html",
            rows=team_overview(db.session(), current_user, today()),
            no_contact_days=organisation.no_contact_days
            if organisation
            else DEFAULT_NO_CONTACT_DAYS,
        )

    @expose("/reassign/", methods=("GET", "POST"))
    def reassign(self) -> Any:
        """Hand over all open cases and tasks of a colleague (asked when deactivating them)."""
        session = db.session()
        leaving = visible_one(session, current_user, User, request.values.get("user_id"))
        if leaving is None or leaving.organisation_id != current_user.organisation_id:
            abort(404)
        successors = list(
            session.scalars(
                select(User)
                .where(*selectable_criteria(current_user, User), User.id != leaving.id)
                .order_by(User.full_name)
            )
        )
        if request.method == "POST":
            successor = next(
                (user for user in successors if str(user.id) == request.form.get("successor")),
                None,
            )
            if successor is None:
                flash(_("Bitte eine Kollegin oder einen Kollegen wählen."), "error")
            else:
                try:
                    moved = reassign_open_work(session, current_user, leaving, successor)
                except TaskError as error:
                    flash(str(error), "error")
                else:
                    if commit_or_say_why(session):
                        flash(
                            _(
                                "%(cases)s offene Fälle und %(tasks)s offene Aufgaben an "
                                "%(name)s übergeben.",
                                cases=moved.cases,
                                tasks=moved.tasks,
                                name=successor.full_name,
                            ),
                            "success",
                        )
                    return redirect(url_for(".index"))
        return self.render(
            "admin/team_reassign.html",
            leaving=leaving,
            open_work=open_work_of(session, current_user, leaving.id),
            successors=successors,
        )
