"""Der Integrationsplan eines Falls: vereinbarte Ziele, Schritte mit Terminen, Fassungen.

A plan is versioned: re-agreeing it means a new version (``new_version``) that starts as a
draft with the open goals and steps of the old one; agreeing it supersedes the version
agreed before. Goals and steps carry their case's id as well, so that the one visibility
rule (organisation, archived cases) applies to them like to every record of a case.
"""

from __future__ import annotations

import calendar
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, intpk, str100, str2000, text10k
from models.case import Case
from models.catalogue import Partner, Topic
from models.choices import (
    AgreementForm,
    CasePhase,
    GoalStatus,
    PlanStatus,
    ReferralStatus,
    StepResponsible,
)
from models.owned import OrgOwned
from models.permissions import Principal
from models.referral import Referral, default_follow_up
from models.rules import (
    FieldErrors,
    FormValues,
    check_not_before,
    check_not_future,
    check_plausible,
)
from models.visibility import visible_criteria

REVIEW_AFTER_MONTHS = 3
FINAL_GOAL_STATUSES = frozenset(
    {
        GoalStatus.ACHIEVED,
        GoalStatus.PARTLY_ACHIEVED,
        GoalStatus.NOT_ACHIEVED,
        GoalStatus.DISCARDED,
    }
)
# A superseded version is history: its goals and steps live on in the newer version.
CURRENT_PLAN_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.AGREED})


class PlanError(Exception):
    """A step of the plan is not possible; the message says why (German)."""


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day where it is shorter (31.01. → 30.04.)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_review_on(agreed_on: dt.date) -> dt.date:
    return add_months(agreed_on, REVIEW_AFTER_MONTHS)


class IntegrationPlan(OrgOwned, Base):
    __tablename__ = "integration_plan"
    __table_args__ = (
        UniqueConstraint("organisation_id", "case_id", "revision"),
        PlanStatus.check("status"),
        AgreementForm.check("agreement_form"),
        CheckConstraint(
            "status = 'draft' OR (agreed_on IS NOT NULL AND agreement_form IS NOT NULL)",
            name="agreed_plan_has_agreement",
        ),
        CheckConstraint(
            "review_on IS NULL OR agreed_on IS NULL OR review_on >= agreed_on",
            name="review_after_agreement",
        ),
        Index("ix_integration_plan_organisation_status", "organisation_id", "status"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(default=1, comment="Fassung 1, 2, … of the case's plan")
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.DRAFT)
    agreed_on: Mapped[dt.date | None]
    agreement_form: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str100 | None] = mapped_column(comment="language the plan was agreed in")
    interpreter_used: Mapped[bool] = mapped_column(default=False)
    review_on: Mapped[dt.date | None] = mapped_column(comment="next review; becomes a task")
    notes: Mapped[text10k | None] = mapped_column(comment="personal data")

    case: Mapped[Case] = relationship()
    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", order_by="PlanGoal.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return _(
            "%(case)s, Fassung %(revision)s", case=self.case.case_number, revision=self.revision
        )

    @staticmethod
    def field_errors(
        values: FormValues, today: dt.date, previous_status: str | None = None
    ) -> FieldErrors:
        errors: FieldErrors = {}
        check_not_future(errors, values, "agreed_on", today)
        for field in ("agreed_on", "review_on"):
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "review_on",
            "agreed_on",
            _("Die Überprüfung kann nicht vor der Vereinbarung liegen."),
        )
        status = values.get("status") or PlanStatus.DRAFT
        if status not in PlanStatus._value2member_map_:
            errors["status"] = _("Unbekannter Status.")
            return errors
        if status != PlanStatus.DRAFT:
            if values.get("agreed_on") is None:
                errors["agreed_on"] = _("Ein vereinbarter Plan braucht das Datum der Vereinbarung.")
            if not values.get("agreement_form"):
                errors["agreement_form"] = _(
                    "Bitte angeben, wie der Plan vereinbart wurde (mündlich, schriftlich, digital)."
                )
        if status == PlanStatus.SUPERSEDED and previous_status != PlanStatus.SUPERSEDED:
            errors["status"] = _(
                "Eine Fassung wird abgelöst, wenn eine neue Fassung vereinbart wird; bitte "
                "„Neue Fassung“ wählen."
            )
        elif previous_status == PlanStatus.SUPERSEDED and status != PlanStatus.SUPERSEDED:
            errors["status"] = _("Eine abgelöste Fassung bleibt abgelöst.")
        elif previous_status == PlanStatus.AGREED and status == PlanStatus.DRAFT:
            errors["status"] = _(
                "Ein vereinbarter Plan wird nicht wieder zum Entwurf; für Änderungen bitte "
                "eine neue Fassung anlegen."
            )
        return errors


class PlanGoal(OrgOwned, Base):
    __tablename__ = "plan_goal"
    __table_args__ = (GoalStatus.check("status"),)

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("integration_plan.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"),
        index=True,
        comment="the plan's case, kept here for the visibility rule",
    )
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="RESTRICT"), index=True)
    text: Mapped[text10k] = mapped_column(comment="the goal in the client's words; personal data")
    target_on: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default=GoalStatus.OPEN)

    plan: Mapped[IntegrationPlan] = relationship(back_populates="goals")
    case: Mapped[Case] = relationship()
    topic: Mapped[Topic] = relationship()
    steps: Mapped[list[PlanStep]] = relationship(
        back_populates="goal", order_by="PlanStep.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 60 else f"{self.text[:57]}…"
        return f"{self.topic.name}: {text}"

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        check_plausible(errors, values, "target_on")
        status = values.get("status") or GoalStatus.OPEN
        if status not in GoalStatus._value2member_map_:
            errors["status"] = _("Unbekannter Status.")
        plan = values.get("plan")
        if plan is not None and getattr(plan, "status", None) == PlanStatus.SUPERSEDED:
            errors["plan"] = _("Eine abgelöste Fassung wird nicht mehr geändert.")
        return errors


class PlanStep(OrgOwned, Base):
    __tablename__ = "plan_step"
    __table_args__ = (
        StepResponsible.check("responsible"),
        CheckConstraint(
            "responsible <> 'partner' OR partner_id IS NOT NULL", name="partner_step_has_partner"
        ),
    )

    id: Mapped[intpk]
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goal.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"),
        index=True,
        comment="the goal's case, kept here for the visibility rule",
    )
    description: Mapped[str2000] = mapped_column(comment="what is to be done; personal data")
    responsible: Mapped[str] = mapped_column(String(20), default=StepResponsible.CLIENT)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"), index=True
    )
    due_on: Mapped[dt.date | None]
    done_on: Mapped[dt.date | None]
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="SET NULL"),
        index=True,
        comment="the referral made from this step",
    )

    goal: Mapped[PlanGoal] = relationship(back_populates="steps")
    case: Mapped[Case] = relationship()
    partner: Mapped[Partner | None] = relationship()
    referral: Mapped[Referral | None] = relationship()

    def __str__(self) -> str:
        text = self.description
        return text if len(text) <= 60 else f"{text[:57]}…"

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        check_not_future(errors, values, "done_on", today)
        for field in ("due_on", "done_on"):
            check_plausible(errors, values, field)
        if values.get("responsible") == StepResponsible.PARTNER and values.get("partner") is None:
            errors["partner"] = _("Für einen Schritt eines Partners bitte den Partner wählen.")
        goal = values.get("goal")
        plan = getattr(goal, "plan", None)
        if plan is not None and plan.status == PlanStatus.SUPERSEDED:
            errors["goal"] = _("Eine abgelöste Fassung wird nicht mehr geändert.")
        return errors


# --- rules of the case that depend on its plan -------------------------------------------


def current_plans(session: Session, case_id: int) -> list[IntegrationPlan]:
    statement = (
        select(IntegrationPlan)
        .where(
            IntegrationPlan.case_id == case_id,
            IntegrationPlan.status.in_(CURRENT_PLAN_STATUSES),
        )
        .order_by(IntegrationPlan.revision)
    )
    return list(session.scalars(statement))


def has_agreed_plan(session: Session, case_id: int | None) -> bool:
    if case_id is None:
        return False
    statement = select(func.count()).where(
        IntegrationPlan.case_id == case_id, IntegrationPlan.status == PlanStatus.AGREED
    )
    return session.execute(statement).scalar_one() > 0


def open_goals(session: Session, case_id: int) -> list[PlanGoal]:
    """Goals of the case's current plan without a final status."""
    statement = (
        select(PlanGoal)
        .join(IntegrationPlan, PlanGoal.plan_id == IntegrationPlan.id)
        .where(
            PlanGoal.case_id == case_id,
            IntegrationPlan.status.in_(CURRENT_PLAN_STATUSES),
            PlanGoal.status.not_in(FINAL_GOAL_STATUSES),
        )
        .order_by(PlanGoal.id)
    )
    return list(session.scalars(statement))


def case_plan_errors(
    session: Session, case_id: int | None, values: FormValues, previous_phase: str | None
) -> FieldErrors:
    """The case's rules that need its plan: Umsetzung needs an agreed plan, closing final goals."""
    errors: FieldErrors = {}
    phase = values.get("phase")
    entering_monitoring = phase == CasePhase.MONITORING and previous_phase != CasePhase.MONITORING
    if entering_monitoring and not has_agreed_plan(session, case_id):
        errors["phase"] = _(
            "Die Phase „Umsetzung/Monitoring“ setzt einen vereinbarten Integrationsplan voraus."
        )
    closing = phase == CasePhase.CLOSED or values.get("closed_on") is not None
    if closing and case_id is not None:
        unfinished = open_goals(session, case_id)
        if unfinished:
            errors["phase"] = _(
                "Vor dem Abschluss braucht jedes Ziel des Integrationsplans einen "
                "abschließenden Status (offen sind noch: %(goals)s).",
                goals="; ".join(str(goal) for goal in unfinished),
            )
    return errors


# --- writing the plan --------------------------------------------------------------------


def next_revision(session: Session, case_id: int) -> int:
    statement = select(func.coalesce(func.max(IntegrationPlan.revision), 0)).where(
        IntegrationPlan.case_id == case_id
    )
    return int(session.execute(statement).scalar_one()) + 1


def agree(session: Session, plan: IntegrationPlan) -> None:
    """Make ``plan`` the agreed version: the version agreed before is superseded."""
    if plan.review_on is None and plan.agreed_on is not None:
        plan.review_on = default_review_on(plan.agreed_on)
    # A new plan from a form links its case by relationship; the id comes at the flush.
    case_id = plan.case_id if plan.case_id is not None else plan.case.id
    earlier = select(IntegrationPlan).where(
        IntegrationPlan.case_id == case_id,
        IntegrationPlan.organisation_id == plan.organisation_id,
        IntegrationPlan.status == PlanStatus.AGREED,
    )
    for other in session.scalars(earlier):
        if other is not plan:
            other.status = PlanStatus.SUPERSEDED


def new_version(session: Session, user: Principal, plan: IntegrationPlan) -> IntegrationPlan:
    """A draft of the next version, with the open goals and the open steps of ``plan``."""
    if plan.status != PlanStatus.AGREED:
        raise PlanError(_("Eine neue Fassung wird von der vereinbarten Fassung angelegt."))
    drafts = select(func.count()).where(
        IntegrationPlan.case_id == plan.case_id, IntegrationPlan.status == PlanStatus.DRAFT
    )
    if session.execute(drafts).scalar_one():
        raise PlanError(_("Für diesen Fall gibt es schon einen Entwurf einer neuen Fassung."))
    draft = IntegrationPlan(
        organisation_id=plan.organisation_id,
        case_id=plan.case_id,
        revision=next_revision(session, plan.case_id),
        status=PlanStatus.DRAFT,
        language=plan.language,
        interpreter_used=plan.interpreter_used,
        notes=plan.notes,
    )
    for goal in plan.goals:
        if goal.status in FINAL_GOAL_STATUSES:
            continue
        copy = PlanGoal(
            organisation_id=plan.organisation_id,
            case_id=plan.case_id,
            topic_id=goal.topic_id,
            text=goal.text,
            target_on=goal.target_on,
            status=goal.status,
        )
        copy.steps = [
            PlanStep(
                organisation_id=plan.organisation_id,
                case_id=plan.case_id,
                description=step.description,
                responsible=step.responsible,
                partner_id=step.partner_id,
                due_on=step.due_on,
                referral_id=step.referral_id,
            )
            for step in goal.steps
            if step.done_on is None
        ]
        draft.goals.append(copy)
    session.add(draft)
    _stamp_tree(draft, user)
    return draft


def _stamp_tree(plan: IntegrationPlan, user: Principal) -> None:
    user_id = getattr(user, "id", None)
    records: list[OrgOwned] = [plan, *plan.goals]
    records += [step for goal in plan.goals for step in goal.steps]
    for record in records:
        record.created_by_id = record.updated_by_id = user_id


def referral_from_step(
    session: Session, user: Principal, step: PlanStep, today: dt.date
) -> Referral:
    """A planned referral to the step's partner, pre-filled from the step and its goal."""
    if step.referral_id is not None:
        raise PlanError(_("Aus diesem Schritt wurde schon eine Vermittlung angelegt."))
    partner = step.partner
    if partner is None:
        raise PlanError(_("Für eine Vermittlung braucht der Schritt einen Partner."))
    if partner.organisation_id is not None and partner.organisation_id == step.organisation_id:
        raise PlanError(_("Eine Vermittlung an die eigene Organisation ist nicht möglich."))
    if not partner.active:
        raise PlanError(_("Der Partner ist nicht mehr aktiv."))
    case = session.execute(
        select(Case).where(Case.id == step.case_id, *visible_criteria(user, Case))
    ).scalar_one_or_none()
    if case is None or case.closed_on is not None:
        raise PlanError(_("Für einen abgeschlossenen Fall wird keine Vermittlung mehr angelegt."))
    referral = Referral(
        organisation_id=step.organisation_id,
        case_id=step.case_id,
        partner_id=partner.id,
        topic_id=step.goal.topic_id,
        reason=step.description,
        referred_on=today,
        follow_up_on=default_follow_up(today),
        status=ReferralStatus.PLANNED,
        consent_confirmed=False,
        created_by_id=getattr(user, "id", None),
        updated_by_id=getattr(user, "id", None),
    )
    session.add(referral)
    session.flush()
    step.referral_id = referral.id
    return referral
