"""Screens of the system level: the register of structural issues, measures, meetings,
working groups, the meeting packet; and the barrier's link to the system level.

The records hold no persons and belong to no organisation; who may do what is the
permission table (``STRUCTURAL_*``, ``EVIDENCE_*``, ``WORKING_GROUPS_WRITE``), which rows
exist for whom is ``models.visibility``. Evidence is a figure, never a barrier: the
coordination's is suppressed, a lead's is the own organisation's (``models.system_level``).
Status changes and merges are POST routes of the register, checked by
``models.structural`` and committed once.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import Form, StringField, TextAreaField, validators

from admin_views.base import (
    STALE_MESSAGE,
    KimModelView,
    RelatedRow,
    RelatedSection,
    VersionedModelView,
    commit_or_say_why,
)
from admin_views.catalogue import CatalogueView
from admin_views.charts import bar_chart, format_cell
from admin_views.compat import form_object
from admin_views.formatting import format_date
from admin_views.pdf import pdf_response, render_printable
from app.clock import today
from app.extensions import db
from models import AuditEvent, Barrier, StructuralIssue
from models.choices import (
    BarrierStatus,
    BenefitsDomain,
    EffectRating,
    IssuePriority,
    IssueStatus,
    MeasureStatus,
    MeetingKind,
    Role,
)
from models.labels import LABELS
from models.permissions import Permission, has_permission
from models.proposals import ProposalError, check_proposal, personal_data_findings, report_errors
from models.statistics import SUPPRESSED, WITHHELD
from models.structural import (
    AgendaItem,
    IssueError,
    Measure,
    Meeting,
    WorkingGroup,
    allowed_transitions,
    change_status,
    evidence_issue_ids,
    merge_issue,
    new_issue,
    next_issue_number,
)
from models.system_level import (
    effect_check,
    evidence_for,
    feedback_of_issue,
    measures_due,
)
from models.visibility import selectable_criteria, visible_criteria, visible_one

log = logging.getLogger(__name__)
P = Permission
SYSTEM_LEVEL = _l("Systemebene")


def issue_choice_label(issue: StructuralIssue) -> str:
    return f"{issue.number} {issue.title} ({issue.category})"


def _overdue_column(view: Any, context: Any, model: Measure, name: str) -> str:
    due = format_date(model.due_on) if model.due_on else ""
    return f"{due} – {_('überfällig')}" if model.is_overdue(today()) else due


class SystemLevelView(KimModelView):
    """A register screen: read by the case level and the coordination, kept by the latter.

    Routes of its own (``own_endpoints``) name the permission they need; anything else is
    Flask-Admin's, decided by ``ENDPOINT_ACCESS`` as everywhere.
    """

    own_endpoints: ClassVar[dict[str, Permission]] = {}
    column_labels = LABELS
    read_permission = P.STRUCTURAL_READ
    edit_permission = P.STRUCTURAL_MANAGE
    create_permission = P.STRUCTURAL_MANAGE

    def allows_endpoint(self, name: str) -> bool:
        if name in self.own_endpoints:
            return has_permission(current_user, self.own_endpoints[name])
        return super().allows_endpoint(name)

    def render(self, template: str, **kwargs: Any) -> Any:
        kwargs.setdefault("format_cell", format_cell)
        kwargs.setdefault("chart", lambda table: bar_chart(table.title, table.chart_bars()))
        kwargs.setdefault("suppressed_mark", SUPPRESSED)
        kwargs.setdefault("withheld_mark", WITHHELD)
        return super().render(template, **kwargs)

    def history_actor(self, event: AuditEvent) -> str:
        """A role, not a person: the register is read by every organisation."""
        if event.actor is None:
            return event.actor_job or ""
        return str(Role.label_of(event.actor.role))

    def _commit_or_say_why(self, success: str) -> bool:
        if not commit_or_say_why(db.session()):
            return False
        flash(success, "success")
        return True


class StructuralIssueView(VersionedModelView, SystemLevelView):
    """``/admin/structural-issues/``: the register; the CSV export is the register for Excel."""

    singular_name = _l("Strukturthema")
    export_basename = "strukturthemen"
    create_permission = P.STRUCTURAL_PROPOSE
    export_permission = P.STRUCTURAL_READ
    own_endpoints = {"transition": P.STRUCTURAL_MANAGE, "merge": P.STRUCTURAL_MANAGE}
    column_list = ["number", "title", "category", "status", "priority", "working_group"]
    column_default_sort = [("number", True)]
    column_searchable_list = ["number", "title", "description"]
    column_filters = ["status", "priority", "category.name", "working_group.name", "reported_on"]
    column_labels = {**LABELS, "working_group.name": _l("Arbeitsgruppe")}
    form_columns = [
        "title",
        "description",
        "category",
        "partner",
        "benefits_domain",
        "responsible_partner",
        "working_group",
        "priority",
    ]
    # Assigned by the coordination; a proposal names what and where only.
    manager_fields: ClassVar[tuple[str, ...]] = ("responsible_partner", "working_group", "priority")
    column_details_list = [
        "number",
        "title",
        "description",
        "category",
        "partner",
        "benefits_domain",
        "responsible_partner",
        "working_group",
        "priority",
        "status",
        "status_reason",
        "merged_into",
        "reported_on",
        "validated_on",
        "decided_on",
        "closed_on",
        "effect_rating",
        "effect_justification",
    ]
    column_export_list = column_details_list
    choice_fields = {
        "status": IssueStatus.choices(),
        "priority": IssuePriority.choices(),
        "effect_rating": EffectRating.choices(),
        "benefits_domain": BenefitsDomain.choices(),
    }
    form_args = {"description": {"render_kw": {"rows": 4}}}
    details_template = "admin/system_level/issue_details.html"

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(
                joinedload(StructuralIssue.category), joinedload(StructuralIssue.working_group)
            )
        )

    def create_form(self, obj: Any = None) -> Form:
        form = super().create_form(obj)
        if not has_permission(current_user, P.STRUCTURAL_MANAGE):
            for name in self.manager_fields:
                if name in form:
                    delattr(form, name)
        return form

    def rule_errors(self, form: Form) -> dict[str, str]:
        findings = personal_data_findings(
            db.session(),
            (form.data.get("title"), form.data.get("description")),
            current_user.organisation_id,
        )
        return {"description": " ".join(findings)} if findings else {}

    def on_model_change(self, form: Form, model: StructuralIssue, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if is_created:
            with db.session.no_autoflush:
                model.number = next_issue_number(db.session(), today().year)
            model.reported_on = today()
            model.status = IssueStatus.RECEIVED
            model.priority = model.priority or IssuePriority.MEDIUM

    # --- the details page: status, merge, evidence, measures, decisions -----------------

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(self._details_context(model))
        return super().render(template, **kwargs)

    def _details_context(self, issue: StructuralIssue) -> dict[str, Any]:
        session = db.session()
        day = today()
        ids = evidence_issue_ids(session, issue.id)
        items = session.execute(
            select(AgendaItem)
            .join(Meeting)
            .where(AgendaItem.issue_id.in_(ids))
            .order_by(Meeting.held_on.desc(), AgendaItem.id)
        ).scalars()
        measures = list(
            session.execute(
                select(Measure).where(Measure.issue_id.in_(ids)).order_by(Measure.id)
            ).scalars()
        )
        can_manage = has_permission(current_user, P.STRUCTURAL_MANAGE)
        merge_targets: list[StructuralIssue] = []
        if can_manage and issue.is_open:
            merge_targets = [
                other
                for other in session.execute(
                    select(StructuralIssue)
                    .where(*selectable_criteria(current_user, StructuralIssue))
                    .order_by(StructuralIssue.number)
                ).scalars()
                if other.id != issue.id
            ]
        merged_here = session.execute(
            select(StructuralIssue)
            .where(StructuralIssue.merged_into_id == issue.id)
            .order_by(StructuralIssue.number)
        ).scalars()
        return {
            "issue": issue,
            "can_manage": can_manage,
            "transitions": [
                status
                for status in IssueStatus
                if status in allowed_transitions(issue.status) and status is not IssueStatus.MERGED
            ],
            "merge_targets": merge_targets,
            "merged_here": list(merged_here),
            "effect_ratings": EffectRating.choices(),
            "evidence": evidence_for(session, current_user, issue),
            "measures": [(m, m.is_overdue(day), effect_check(session, m, day)) for m in measures],
            "decisions": list(items),
        }

    # --- routes of the coordination -------------------------------------------------------

    def _issue_from_form(self) -> StructuralIssue:
        issue = self.get_one(request.form.get("id"))
        if issue.is_stale(request.form.get("version")):
            raise IssueError(str(STALE_MESSAGE % {"name": _("einer anderen Person")}))
        return issue

    def _back_to(self, issue_id: object) -> Response:
        return redirect(url_for(".details_view", id=issue_id))

    @expose("/transition/", methods=("POST",))
    def transition(self) -> Response:
        """Move an issue along its state machine (``models.structural.change_status``)."""
        issue = self.get_one(request.form.get("id"))
        target = request.form.get("status", "")
        try:
            issue = self._issue_from_form()
            # Reasons are read by every organisation and exported: no person in them.
            findings = personal_data_findings(
                db.session(),
                (request.form.get("reason"), request.form.get("effect_justification")),
                None,
            )
            if findings:
                raise IssueError(" ".join(findings))
            change_status(
                issue,
                target,
                today(),
                reason=request.form.get("reason"),
                effect_rating=request.form.get("effect_rating") or None,
                effect_justification=request.form.get("effect_justification"),
            )
        except IssueError as refusal:
            db.session.rollback()
            flash(str(refusal), "error")
            return self._back_to(issue.id)
        self._commit_or_say_why(
            _("Der Status ist jetzt „%(status)s“.", status=IssueStatus.label_of(target))
        )
        return self._back_to(issue.id)

    @expose("/merge/", methods=("POST",))
    def merge(self) -> Response:
        """Merge an issue into another open one: its evidence then counts there."""
        issue = self.get_one(request.form.get("id"))
        target = visible_one(db.session(), current_user, StructuralIssue, request.form.get("into"))
        try:
            issue = self._issue_from_form()
            if target is None:
                raise IssueError(
                    _("Bitte wählen Sie das Strukturthema, in das zusammengeführt wird.")
                )
            merge_issue(db.session(), issue, target, today())
        except IssueError as refusal:
            db.session.rollback()
            flash(str(refusal), "error")
            return self._back_to(issue.id)
        if self._commit_or_say_why(
            _(
                "%(source)s wurde in %(target)s zusammengeführt.",
                source=issue.number,
                target=target.number,
            )
        ):
            return self._back_to(target.id)
        return self._back_to(issue.id)


class MeasureView(VersionedModelView, SystemLevelView):
    """``/admin/measures/``: what was decided, by whom it is done, and its effect check."""

    singular_name = _l("Maßnahme")
    column_list = ["issue", "title", "responsible_partner", "status", "due_on", "implemented_on"]
    column_default_sort = [("due_on", False), ("id", True)]
    column_searchable_list = ["title", "description"]
    column_filters = ["status", "due_on", "implemented_on"]
    column_formatters = {"due_on": _overdue_column}
    form_columns = [
        "issue",
        "title",
        "description",
        "responsible_partner",
        "responsible_function",
        "meeting",
        "decided_on",
        "due_on",
        "status",
        "implemented_on",
        "indicator_category",
        "indicator_partner",
        "indicator_benefits_domain",
        "indicator_quarters",
    ]
    column_details_list = form_columns
    choice_fields = {
        "status": MeasureStatus.choices(),
        "indicator_benefits_domain": BenefitsDomain.choices(),
    }
    form_args = {
        "issue": {"get_label": issue_choice_label},
        "indicator_quarters": {"default": 2},
        "description": {"render_kw": {"rows": 3}},
    }
    details_template = "admin/system_level/measure_details.html"

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(joinedload(Measure.issue), joinedload(Measure.responsible_partner))
        )

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors = Measure.field_errors(form.data, today())
        texts = ("title", "description", "responsible_function")
        findings = personal_data_findings(
            db.session(), tuple(form.data.get(name) for name in texts), None
        )
        if findings:
            errors["description"] = " ".join(findings)
        return errors

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["check"] = effect_check(db.session(), model, today())
            kwargs["overdue"] = model.is_overdue(today())
        return super().render(template, **kwargs)


class AgendaItemForm(InlineFormAdmin):
    form_columns = ("id", "position", "issue", "decision")
    form_label = _l("Tagesordnungspunkt")
    column_labels = LABELS

    def __init__(self) -> None:
        super().__init__(
            AgendaItem,
            form_args={
                "issue": {
                    "get_label": issue_choice_label,
                    "query_factory": lambda: (
                        db.session.query(StructuralIssue)
                        .filter(*visible_criteria(current_user, StructuralIssue))
                        .order_by(StructuralIssue.number)
                    ),
                },
                "decision": {"render_kw": {"rows": 2}},
            },
        )


class MeetingView(SystemLevelView):
    """``/admin/meetings/``: meetings with their agenda and decisions; the meeting packet."""

    singular_name = _l("Sitzung")
    own_endpoints = {"packet": P.STRUCTURAL_MANAGE, "packet_pdf": P.STRUCTURAL_MANAGE}
    column_list = ["held_on", "kind", "title", "working_group"]
    column_default_sort = [("held_on", True)]
    column_searchable_list = ["title"]
    column_filters = ["kind", "held_on"]
    form_columns = ["kind", "held_on", "title", "working_group", "notes", "items"]
    column_details_list = ["kind", "held_on", "title", "working_group", "notes"]
    choice_fields = {"kind": MeetingKind.choices()}
    inline_models = (AgendaItemForm(),)
    form_args = {"held_on": {"default": today}, "notes": {"render_kw": {"rows": 4}}}
    details_template = "admin/system_level/meeting_details.html"

    def rule_errors(self, form: Form) -> dict[str, str]:
        texts = [form.data.get("title"), form.data.get("notes")]
        texts += [item.get("decision") for item in form.data.get("items") or []]
        findings = personal_data_findings(db.session(), texts, None)
        return {"notes": " ".join(findings)} if findings else {}

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["items"] = self._items(model)
            kwargs["can_manage"] = has_permission(current_user, P.STRUCTURAL_MANAGE)
        return super().render(template, **kwargs)

    @staticmethod
    def _items(meeting: Meeting) -> list[tuple[AgendaItem, list[Measure]]]:
        measures = db.session.execute(
            select(Measure).where(Measure.meeting_id == meeting.id).order_by(Measure.id)
        ).scalars()
        by_issue: dict[int, list[Measure]] = {}
        for measure in measures:
            by_issue.setdefault(measure.issue_id, []).append(measure)
        return [(item, by_issue.get(item.issue_id, [])) for item in meeting.items]

    def _packet_html(self, meeting: Meeting) -> str:
        session = db.session()
        day = today()
        agenda = []
        for item, decided in self._items(meeting):
            issue = item.issue
            ids = evidence_issue_ids(session, issue.id)
            measures = list(
                session.execute(select(Measure).where(Measure.issue_id.in_(ids))).scalars()
            )
            agenda.append(
                {
                    "item": item,
                    "issue": issue,
                    "evidence": evidence_for(session, current_user, issue),
                    "decided": decided,
                    "checks": [
                        (measure, check)
                        for measure in measures
                        if (check := effect_check(session, measure, day)) is not None
                    ],
                }
            )
        due = measures_due(session, day)
        return render_printable(
            "print/meeting_packet.html",
            meeting=meeting,
            kind=MeetingKind.label_of(meeting.kind),
            agenda=agenda,
            due=[(measure, measure.is_overdue(day)) for measure in due],
            format_cell=format_cell,
            format_date=format_date,
            status_label=IssueStatus.label_of,
            measure_status_label=MeasureStatus.label_of,
        )

    @expose("/packet/")
    def packet(self) -> Any:
        """The meeting packet as a printable page."""
        return self._packet_html(self.get_one(request.args.get("id")))

    @expose("/packet.pdf")
    def packet_pdf(self) -> Response:
        meeting = self.get_one(request.args.get("id"))
        filename = f"Sitzungsunterlage {meeting.held_on:%Y-%m-%d}.pdf"
        return pdf_response(self._packet_html(meeting), filename)


class WorkingGroupView(CatalogueView):
    """Working groups: every role reads the list; the admins keep it."""

    singular_name = _l("Arbeitsgruppe")
    export_basename = "arbeitsgruppen"
    create_permission = P.WORKING_GROUPS_WRITE
    edit_permission = P.WORKING_GROUPS_WRITE
    delete_permission = P.WORKING_GROUPS_WRITE

    def usage_checks(self, model: WorkingGroup) -> list[Any]:
        return [
            exists().where(StructuralIssue.working_group_id == model.id),
            exists().where(Meeting.working_group_id == model.id),
        ]


# --- the barrier's side: report to the system level, see what became of it -----------------


class ReportsToSystemLevel:
    """For ``BarrierView``: link a reported barrier to an open issue or propose one, and
    show the issue's number, title, status and latest decision with the barrier."""

    form_extra_fields: ClassVar[dict[str, Any]] = {
        "proposal_title": StringField(
            _l("Neues Strukturthema vorschlagen: Titel"),
            validators=[validators.Optional(), validators.Length(max=200)],
            description=_l(
                "Nur wenn kein bestehendes Thema passt. Beschreiben Sie die Barriere, "
                "nicht die Person: keine Namen, Akten- oder Fallnummern, Kontaktdaten."
            ),
        ),
        "proposal_description": TextAreaField(
            _l("Neues Strukturthema vorschlagen: Erläuterung"),
            validators=[validators.Optional(), validators.Length(max=10000)],
            render_kw={"rows": 3},
        ),
    }

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors: dict[str, str] = super().rule_errors(form)  # type: ignore[misc]
        existing = form_object(form)
        previous = existing.structural_issue_id if existing is not None else None
        errors.update(report_errors(form.data, previous))
        title = (form.data.get("proposal_title") or "").strip()
        if title and "proposal_title" not in errors:
            try:
                check_proposal(
                    db.session(),
                    title,
                    form.data.get("proposal_description"),
                    current_user.organisation_id,
                )
            except ProposalError as refusal:
                errors["proposal_description"] = " ".join(refusal.messages)
        return errors

    def on_model_change(self, form: Form, model: Barrier, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)  # type: ignore[misc]
        title = (form.data.get("proposal_title") or "").strip()
        if title:
            with db.session.no_autoflush:
                model.structural_issue = new_issue(
                    db.session(),
                    title=title,
                    description=form.data.get("proposal_description"),
                    category_id=model.category.id,
                    partner_id=model.partner.id if model.partner else None,
                    today=today(),
                )
        if model.structural_issue is not None and model.status == BarrierStatus.OPEN:
            model.status = BarrierStatus.REPORTED

    def related_sections(self, model: Barrier) -> list[RelatedSection]:
        sections: list[RelatedSection] = super().related_sections(model)  # type: ignore[misc]
        if model.structural_issue is None:
            return sections
        feedback = feedback_of_issue(db.session(), model.structural_issue)
        note = _("Status: %(status)s", status=feedback.status)
        if feedback.merged_into:
            note += " · " + _(
                "%(number)s wurde hierhin zusammengeführt", number=feedback.merged_into
            )
        if feedback.decision:
            note += " · " + _("Letzter Beschluss: %(decision)s", decision=feedback.decision)
        row = RelatedRow(
            url_for("structural_issues.details_view", id=feedback.issue_id),
            f"{feedback.number} {feedback.title}",
            note,
        )
        return [
            *sections,
            RelatedSection(_("Systemebene: Strukturthema"), [row], _("Kein Strukturthema.")),
        ]
