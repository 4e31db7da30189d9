"""Screens of the Integrationsplan: plans (versioned), their goals and steps, the plan PDF.

The plan is shown on its case's page (``plan_sections``); each plan's page lists its goals
with their steps. A step with a partner becomes a pre-filled referral with one click; a
plan is printed in German for the client to sign.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import Form

from admin_views.base import RelatedSection, commit_or_say_why
from admin_views.casework import CASE_LOOKUP, CaseworkView, add_link, details_link
from admin_views.compat import form_object
from admin_views.formatting import format_date
from admin_views.pdf import audited_pdf_response, render_printable
from admin_views.plan_sections import goals_with_steps, step_row
from app.clock import today
from app.extensions import db
from models import Case
from models.choices import AgreementForm, GoalStatus, PlanStatus, StepResponsible
from models.plan import (
    IntegrationPlan,
    PlanError,
    PlanGoal,
    PlanStep,
    agree,
    new_version,
    next_revision,
    referral_from_step,
)


def _lookup(fields: list[Any], joins: list[Any], placeholder: str) -> dict[str, Any]:
    return {
        "fields": fields,
        "joins": joins,
        "placeholder": placeholder,
        "minimum_input_length": 1,
    }


def _refuse_case_change(form: Form, errors: dict[str, str]) -> None:
    existing = form_object(form)
    linked = form.data.get("case")
    if existing is not None and linked is not None and linked.id != existing.case_id:
        errors["case"] = _("Der Fall eines Integrationsplans wird nicht geändert.")


class PlanView(CaseworkView):
    singular_name = _l("Integrationsplan")
    export_basename = "integrationsplaene"
    prefilled_links = {"case": Case}
    form_ajax_refs = CASE_LOOKUP
    details_template = "admin/plan_details.html"
    column_list = ["case", "revision", "status", "agreed_on", "review_on"]
    column_filters = ["status", "agreed_on", "review_on", "agreement_form"]
    column_searchable_list = ["case.case_number"]
    search_columns = (Case.case_number,)
    search_hint = _l("Fallnummer")
    column_sortable_list = ["revision", "status", "agreed_on", "review_on"]
    column_default_sort = [("id", True)]
    list_loader_options = (joinedload(IntegrationPlan.case).joinedload(Case.client),)
    form_columns = [
        "case",
        "status",
        "agreed_on",
        "agreement_form",
        "language",
        "interpreter_used",
        "review_on",
        "notes",
    ]
    column_details_list = [
        "case",
        "revision",
        *form_columns[1:],
        "created_at",
        "updated_at",
        "updated_by",
    ]
    column_export_list = ["case", "revision", *form_columns[1:]]
    choice_fields = {"status": PlanStatus.choices(), "agreement_form": AgreementForm.choices()}
    form_args = {"agreement_form": {"description": _l("Wie wurde der Plan vereinbart?")}}

    @property
    def search_joins(self) -> tuple[Any, ...]:  # type: ignore[override]
        return (IntegrationPlan.case,)

    def allows_endpoint(self, name: str) -> bool:
        if name == "print_view":
            return self.allows("read")
        if name == "new_version_view":
            return self.allows("create")
        return super().allows_endpoint(name)

    def rule_errors(self, form: Form) -> dict[str, str]:
        existing = form_object(form)
        errors = IntegrationPlan.field_errors(
            form.data, today(), existing.status if existing is not None else None
        )
        _refuse_case_change(form, errors)
        return errors

    def on_model_change(self, form: Form, model: IntegrationPlan, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        with db.session.no_autoflush:
            if is_created:
                model.revision = next_revision(db.session(), model.case.id)
            if model.status == PlanStatus.AGREED:
                agree(db.session(), model)

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["print_url"] = url_for(".print_view", id=model.id)
            kwargs["new_version_url"] = (
                url_for(".new_version_view")
                if self.can_create and model.status == PlanStatus.AGREED
                else None
            )
        return super().render(template, **kwargs)

    def related_sections(self, model: IntegrationPlan) -> list[RelatedSection]:
        back = url_for(".details_view", id=model.id)
        editable = self.can_create and model.status != PlanStatus.SUPERSEDED
        goals = goals_with_steps(model.id)
        sections = [
            RelatedSection(
                title=_("Fall"),
                rows=[details_link("cases", model.case, str(model.case))],
                empty="",
            ),
            RelatedSection(
                title=_("Ziele"),
                rows=[
                    details_link(
                        "plan_goals",
                        goal,
                        str(goal),
                        str(GoalStatus.label_of(goal.status)),
                    )
                    for goal in goals
                ],
                empty=_("Noch kein Ziel."),
                add_url=add_link("plan_goals", back, plan=model.id) if editable else None,
                add_label=_("Ziel hinzufügen"),
            ),
        ]
        for goal in goals:
            sections.append(
                RelatedSection(
                    title=_("Schritte zu: %(goal)s", goal=str(goal)),
                    rows=[step_row(step) for step in goal.steps],
                    empty=_("Noch kein Schritt."),
                    add_url=add_link("plan_steps", back, goal=goal.id) if editable else None,
                    add_label=_("Schritt hinzufügen"),
                )
            )
        return sections

    @expose("/print/")
    def print_view(self) -> Response:
        """The plan as a PDF in German, with the client's goals in their words, to sign."""
        plan = self.get_one(request.args.get("id"))
        goals = goals_with_steps(plan.id)
        html = render_printable(
            "print/integration_plan.html",
            plan=plan,
            goals=goals,
            client=plan.case.client,
            format_date=format_date,
            labels={
                "status": PlanStatus.label_of(plan.status),
                "agreement_form": AgreementForm.label_of(plan.agreement_form),
            },
            goal_status=GoalStatus.label_of,
            responsible=StepResponsible.label_of,
        )
        filename = f"Integrationsplan {plan.case.case_number} Fassung {plan.revision}.pdf"
        return audited_pdf_response(plan, html, filename)

    @expose("/new-version/", methods=("POST",))
    def new_version_view(self) -> Response:
        """A new version of an agreed plan: a draft with its open goals and steps."""
        plan = self.get_one(request.form.get("id"))
        try:
            draft = new_version(db.session(), current_user, plan)
        except PlanError as error:
            flash(str(error), "error")
            return redirect(url_for(".details_view", id=plan.id))
        revision = draft.revision
        if not commit_or_say_why(db.session()):
            return redirect(url_for(".details_view", id=plan.id))
        flash(_("Fassung %(revision)s als Entwurf angelegt.", revision=revision), "success")
        return redirect(url_for(".details_view", id=draft.id))


class GoalView(CaseworkView):
    singular_name = _l("Ziel")
    export_basename = "ziele"
    prefilled_links = {"plan": IntegrationPlan}
    form_ajax_refs = {
        "plan": _lookup([Case.case_number], [IntegrationPlan.case], "Fallnummer"),
    }
    column_list = ["plan", "topic", "text", "target_on", "status"]
    column_filters = ["status", "topic.name", "target_on"]
    column_searchable_list = ["text"]
    search_hint = _l("Ziel")
    column_sortable_list = ["target_on", "status"]
    list_loader_options = (
        joinedload(PlanGoal.plan).joinedload(IntegrationPlan.case),
        joinedload(PlanGoal.topic),
    )
    form_columns = ["plan", "topic", "text", "target_on", "status"]
    column_details_list = [*form_columns, "created_at", "updated_at", "updated_by"]
    column_export_list = form_columns
    choice_fields = {"status": GoalStatus.choices()}

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors = PlanGoal.field_errors(form.data, today())
        existing = form_object(form)
        plan = form.data.get("plan")
        if existing is not None and plan is not None and plan.id != existing.plan_id:
            errors["plan"] = _("Ein Ziel bleibt in seinem Integrationsplan.")
        return errors

    def on_model_change(self, form: Form, model: PlanGoal, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        model.case_id = model.plan.case_id

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return url_for("plans.details_view", id=model.plan_id)

    def related_sections(self, model: PlanGoal) -> list[RelatedSection]:
        back = url_for(".details_view", id=model.id)
        editable = self.can_create and model.plan.status != PlanStatus.SUPERSEDED
        return [
            RelatedSection(
                title=_("Integrationsplan"),
                rows=[details_link("plans", model.plan, str(model.plan))],
                empty="",
            ),
            RelatedSection(
                title=_("Schritte"),
                rows=[step_row(step) for step in model.steps],
                empty=_("Noch kein Schritt."),
                add_url=add_link("plan_steps", back, goal=model.id) if editable else None,
                add_label=_("Schritt hinzufügen"),
            ),
        ]


class StepView(CaseworkView):
    singular_name = _l("Schritt")
    export_basename = "schritte"
    prefilled_links = {"goal": PlanGoal}
    form_ajax_refs = {
        "goal": _lookup([Case.case_number, PlanGoal.text], [PlanGoal.case], "Fallnummer oder Ziel"),
    }
    details_template = "admin/step_details.html"
    column_list = ["goal", "description", "responsible", "partner", "due_on", "done_on"]
    column_filters = ["responsible", "partner.name", "due_on", "done_on"]
    column_searchable_list = ["description"]
    search_hint = _l("Schritt")
    column_sortable_list = ["due_on", "done_on"]
    column_default_sort = [("due_on", False), ("id", True)]
    list_loader_options = (
        joinedload(PlanStep.goal).joinedload(PlanGoal.topic),
        joinedload(PlanStep.partner),
    )
    form_columns = ["goal", "description", "responsible", "partner", "due_on", "done_on"]
    column_details_list = [*form_columns, "referral", "created_at", "updated_at", "updated_by"]
    column_export_list = form_columns
    choice_fields = {"responsible": StepResponsible.choices()}

    def allows_endpoint(self, name: str) -> bool:
        if name == "referral_view":
            return self.allows("create")
        return super().allows_endpoint(name)

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors = PlanStep.field_errors(form.data, today())
        existing = form_object(form)
        goal = form.data.get("goal")
        if existing is not None and goal is not None and goal.plan_id != existing.goal.plan_id:
            errors["goal"] = _("Ein Schritt bleibt in seinem Integrationsplan.")
        return errors

    def on_model_change(self, form: Form, model: PlanStep, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        model.case_id = model.goal.case_id

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return url_for("plans.details_view", id=model.goal.plan_id)

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["referral_url"] = (
                url_for(".referral_view")
                if self.can_create and model.partner_id and model.referral_id is None
                else None
            )
        return super().render(template, **kwargs)

    def related_sections(self, model: PlanStep) -> list[RelatedSection]:
        rows = [details_link("plan_goals", model.goal, str(model.goal))]
        sections = [RelatedSection(title=_("Ziel"), rows=rows, empty="")]
        if model.referral is not None:
            sections.append(
                RelatedSection(
                    title=_("Vermittlung"),
                    rows=[details_link("referrals", model.referral, str(model.referral))],
                    empty="",
                )
            )
        return sections

    @expose("/referral/", methods=("POST",))
    def referral_view(self) -> Response:
        """A planned referral to the step's partner, pre-filled; then its form to complete."""
        step = self.get_one(request.form.get("id"))
        try:
            referral = referral_from_step(db.session(), current_user, step, today())
        except PlanError as error:
            flash(str(error), "error")
            return redirect(url_for(".details_view", id=step.id))
        if not commit_or_say_why(db.session()):
            return redirect(url_for(".details_view", id=step.id))
        flash(
            _(
                "Vermittlung an %(partner)s angelegt (geplant). Bitte ergänzen und versenden, "
                "sobald die Einwilligung vorliegt.",
                partner=step.partner.name if step.partner else "",
            ),
            "success",
        )
        return redirect(url_for("referrals.edit_view", id=referral.id))
