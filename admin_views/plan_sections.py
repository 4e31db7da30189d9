"""The Integrationsplan on its case's page, and the lists of goals and steps of a plan.

Apart from ``admin_views.plans`` so that the case screen (``casework``) can show the plan
without importing the plan screens, which build on it.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from admin_views.base import RelatedRow, RelatedSection
from admin_views.formatting import format_date
from app.extensions import db
from models import Case
from models.choices import GoalStatus, PlanStatus, StepResponsible
from models.plan import IntegrationPlan, PlanGoal, PlanStep
from models.visibility import visible_criteria


def details_link(endpoint: str, record: Any, text: str, note: str = "") -> RelatedRow:
    return RelatedRow(url_for(f"{endpoint}.details_view", id=record.id), text, note)


def add_link(endpoint: str, back: str, **links: Any) -> str:
    return url_for(f"{endpoint}.create_view", url=back, **links)


def goals_with_steps(plan_id: int) -> list[PlanGoal]:
    statement = (
        select(PlanGoal)
        .where(PlanGoal.plan_id == plan_id, *visible_criteria(current_user, PlanGoal))
        .options(
            joinedload(PlanGoal.topic),
            selectinload(PlanGoal.steps).joinedload(PlanStep.partner),
        )
        .order_by(PlanGoal.id)
    )
    return list(db.session.scalars(statement))


def step_row(step: PlanStep) -> RelatedRow:
    who = str(StepResponsible.label_of(step.responsible))
    if step.partner is not None:
        who = f"{who}: {step.partner.name}"
    if step.done_on is not None:
        when = _("erledigt am %(day)s", day=format_date(step.done_on))
    elif step.due_on is not None:
        when = _("fällig am %(day)s", day=format_date(step.due_on))
    else:
        when = _("ohne Termin")
    return details_link("plan_steps", step, str(step), f"{who}, {when}")


def plan_sections(case: Case, can_add: bool) -> list[RelatedSection]:
    """The case's page: its plan versions, newest first, with the goals of the current one."""
    plans = list(
        db.session.scalars(
            select(IntegrationPlan)
            .where(
                IntegrationPlan.case_id == case.id,
                *visible_criteria(current_user, IntegrationPlan),
            )
            .order_by(IntegrationPlan.revision.desc())
        )
    )
    back = url_for("cases.details_view", id=case.id)
    rows = [
        details_link(
            "plans",
            plan,
            _("Fassung %(revision)s", revision=plan.revision),
            str(PlanStatus.label_of(plan.status))
            + (
                _(", vereinbart am %(day)s", day=format_date(plan.agreed_on))
                if plan.agreed_on
                else ""
            )
            + (
                _(", Überprüfung am %(day)s", day=format_date(plan.review_on))
                if plan.review_on and plan.status == PlanStatus.AGREED
                else ""
            ),
        )
        for plan in plans
    ]
    current = next((plan for plan in plans if plan.status != PlanStatus.SUPERSEDED), None)
    sections = [
        RelatedSection(
            title=_("Integrationsplan"),
            rows=rows,
            empty=_("Noch kein Integrationsplan."),
            add_url=add_link("plans", back, case=case.id) if can_add and not plans else None,
            add_label=_("Integrationsplan anlegen"),
        )
    ]
    if current is not None:
        sections.append(
            RelatedSection(
                title=_("Ziele (Fassung %(revision)s)", revision=current.revision),
                rows=[
                    details_link(
                        "plan_goals", goal, str(goal), str(GoalStatus.label_of(goal.status))
                    )
                    for goal in goals_with_steps(current.id)
                ],
                empty=_("Noch kein Ziel."),
            )
        )
    return sections
