"""The system level: structural issues, the measures decided on them, and the meetings.

These records hold no personal data (a proposal is checked before it is saved,
``models.proposals``) and belong to no organisation: they outlive anonymisation and
retention. The link from a documented barrier to an issue lives with the barrier
(``Barrier.structural_issue_id``), i.e. with the organisation's data.

The status of an issue moves along ``FORWARD``; from any open state it may also be
deferred, rejected (with a reason) or merged into another open issue, whose evidence then
includes this one's. It cannot be closed without an effect rating and a justification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, created_at, intpk, str200, str2000, text10k, updated_at, utcnow
from models.catalogue import BarrierCategory, CatalogueEntry, Partner
from models.choices import (
    BenefitsDomain,
    EffectRating,
    IssuePriority,
    IssueStatus,
    MeasureStatus,
    MeetingKind,
)
from models.owned import Versioned
from models.rules import FieldErrors, FormValues, check_not_before, check_plausible

S = IssueStatus
# The way an issue is meant to go, one step at a time.
FORWARD: tuple[IssueStatus, ...] = (
    S.RECEIVED,
    S.VALIDATED,
    S.IN_WORKING_GROUP,
    S.MEASURE_DECIDED,
    S.IN_IMPLEMENTATION,
    S.IMPLEMENTED,
    S.EFFECT_CHECKED,
    S.CLOSED,
)
FINAL = frozenset({S.CLOSED, S.REJECTED, S.MERGED})
OPEN = frozenset(IssueStatus) - FINAL
# Side exits from every open state (the "open" states include a deferred issue).
SIDE_EXITS = frozenset({S.DEFERRED, S.REJECTED, S.MERGED})
# A deferred issue is taken up again where the coordination's work starts.
RESUME_FROM_DEFERRED = frozenset({S.VALIDATED, S.IN_WORKING_GROUP})
MIN_JUSTIFICATION = 10


def allowed_transitions(status: str) -> frozenset[IssueStatus]:
    """Every status an issue in ``status`` may move to (empty for a final one)."""
    current = IssueStatus(status)
    if current in FINAL:
        return frozenset()
    allowed: set[IssueStatus] = set(SIDE_EXITS - {current})
    if current is S.DEFERRED:
        allowed |= RESUME_FROM_DEFERRED
    else:
        allowed.add(FORWARD[FORWARD.index(current) + 1])
    return frozenset(allowed)


class IssueError(ValueError):
    """A change of a structural issue that its rules refuse; the message is German."""


class WorkingGroup(CatalogueEntry, Base):
    """An Arbeitsgruppe that analyses structural issues (configured by the admins)."""

    __tablename__ = "working_group"


class StructuralIssue(Versioned, Base):
    """A Strukturthema: barriers of many cases bundled into one question for the system."""

    __tablename__ = "structural_issue"
    __table_args__ = (
        IssueStatus.check("status"),
        IssuePriority.check("priority"),
        EffectRating.check("effect_rating"),
        BenefitsDomain.check("benefits_domain"),
        Index("ix_structural_issue_status_changed", "status_changed_at"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str200] = mapped_column(comment="checked for personal data before it is saved")
    description: Mapped[text10k | None] = mapped_column(
        comment="checked for personal data before it is saved"
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("barrier_category.id", ondelete="RESTRICT"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"), index=True
    )
    benefits_domain: Mapped[str | None] = mapped_column(String(20))
    responsible_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"), index=True
    )
    working_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_group.id", ondelete="RESTRICT"), index=True
    )
    priority: Mapped[str] = mapped_column(String(10), default=IssuePriority.MEDIUM)
    status: Mapped[str] = mapped_column(String(20), default=IssueStatus.RECEIVED)
    status_reason: Mapped[str2000 | None] = mapped_column(
        comment="why deferred or not a structural issue"
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("structural_issue.id", ondelete="RESTRICT"), index=True
    )
    reported_on: Mapped[dt.date]
    validated_on: Mapped[dt.date | None]
    decided_on: Mapped[dt.date | None]
    closed_on: Mapped[dt.date | None]
    effect_rating: Mapped[str | None] = mapped_column(String(20))
    effect_justification: Mapped[str2000 | None]
    # The loop back: when the status last changed, for "Rückmeldungen zu Ihren Meldungen".
    status_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    category: Mapped[BarrierCategory] = relationship()
    partner: Mapped[Partner | None] = relationship(foreign_keys=[partner_id])
    responsible_partner: Mapped[Partner | None] = relationship(
        foreign_keys=[responsible_partner_id]
    )
    working_group: Mapped[WorkingGroup | None] = relationship()
    merged_into: Mapped[StructuralIssue | None] = relationship(remote_side="StructuralIssue.id")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="issue", order_by="Measure.id", viewonly=True
    )

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return IssueStatus(self.status) in OPEN

    @property
    def status_label(self) -> str:
        return IssueStatus.label_of(self.status)


def format_issue_number(year: int, number: int) -> str:
    """``ST-2026-007``: Strukturthema, year reported, running number."""
    return f"ST-{year}-{number:03d}"


def next_issue_number(session: Session, year: int) -> str:
    """The next free number of the year; the unique constraint refuses a concurrent twin."""
    prefix = f"ST-{year}-"
    numbers = session.execute(
        select(StructuralIssue.number).where(StructuralIssue.number.startswith(prefix))
    ).scalars()
    highest = max((int(number.removeprefix(prefix)) for number in numbers), default=0)
    return format_issue_number(year, highest + 1)


def new_issue(
    session: Session,
    *,
    title: str,
    category_id: int,
    today: dt.date,
    description: str | None = None,
    **values: Any,
) -> StructuralIssue:
    """A received issue with its number; the caller has checked the text for persons."""
    issue = StructuralIssue(
        number=next_issue_number(session, today.year),
        title=title.strip(),
        description=(description or "").strip() or None,
        category_id=category_id,
        reported_on=values.pop("reported_on", today),
        status=values.pop("status", IssueStatus.RECEIVED),
        **values,
    )
    session.add(issue)
    session.flush()
    return issue


MAX_REASON = 2000  # status_reason, effect_justification: String(2000)


def change_status(
    issue: StructuralIssue,
    new_status: str,
    today: dt.date,
    *,
    reason: str | None = None,
    effect_rating: str | None = None,
    effect_justification: str | None = None,
) -> None:
    """Move ``issue`` to ``new_status`` if the state machine allows it, with its dates.

    Merging goes through ``merge_issue`` (it needs the target).
    """
    if new_status not in IssueStatus._value2member_map_:
        raise IssueError(_("Diesen Status gibt es nicht."))
    target = IssueStatus(new_status)
    if target not in allowed_transitions(issue.status):
        raise IssueError(
            _(
                "Ein Strukturthema im Status „%(current)s“ kann nicht in den Status "
                "„%(target)s“ wechseln.",
                current=issue.status_label,
                target=target.label,
            )
        )
    if target is S.MERGED:
        raise IssueError(_("Zum Zusammenführen bitte das Ziel-Strukturthema wählen."))
    for text in (reason, effect_justification):
        if text and len(text) > MAX_REASON:
            raise IssueError(
                _(
                    "Eine Begründung hat höchstens %(n)s Zeichen.",
                    n=f"{MAX_REASON:,}".replace(",", "."),
                )
            )
    reason = (reason or "").strip()
    if target in (S.DEFERRED, S.REJECTED) and not reason:
        raise IssueError(_("Bitte geben Sie eine Begründung an."))
    if target is S.CLOSED:
        _check_closing_gate(issue, effect_rating, effect_justification)
    if target in (S.DEFERRED, S.REJECTED):
        issue.status_reason = reason
    _set_dates(issue, target, today)
    issue.status = target
    issue.status_changed_at = utcnow()


def _check_closing_gate(
    issue: StructuralIssue, effect_rating: str | None, effect_justification: str | None
) -> None:
    rating = effect_rating or issue.effect_rating
    justification = (effect_justification or issue.effect_justification or "").strip()
    if rating not in EffectRating._value2member_map_:
        raise IssueError(
            _(
                "Ein Strukturthema kann erst abgeschlossen werden, wenn seine Wirkung bewertet "
                "ist (wirksam, teilweise wirksam, nicht wirksam oder nicht prüfbar)."
            )
        )
    if len(justification) < MIN_JUSTIFICATION:
        raise IssueError(
            _(
                "Bitte begründen Sie die Bewertung der Wirkung kurz (mindestens %(n)s Zeichen).",
                n=MIN_JUSTIFICATION,
            )
        )
    issue.effect_rating = rating
    issue.effect_justification = justification


def _set_dates(issue: StructuralIssue, target: IssueStatus, today: dt.date) -> None:
    if target is S.VALIDATED and issue.validated_on is None:
        issue.validated_on = today
    if target is S.MEASURE_DECIDED and issue.decided_on is None:
        issue.decided_on = today
    if target in FINAL:
        issue.closed_on = today


def merge_issue(
    session: Session, source: StructuralIssue, target: StructuralIssue, today: dt.date
) -> None:
    """Merge ``source`` into ``target``: its barriers then count as the target's evidence.

    The barriers keep their link (the organisations' data is not rewritten); the
    evidence of an issue follows the merges (``evidence_issue_ids``).
    """
    if source.id == target.id:
        raise IssueError(_("Ein Strukturthema kann nicht mit sich selbst zusammengeführt werden."))
    if IssueStatus.MERGED not in allowed_transitions(source.status):
        raise IssueError(
            _(
                "Ein Strukturthema im Status „%(current)s“ kann nicht mehr zusammengeführt werden.",
                current=source.status_label,
            )
        )
    if not target.is_open:
        raise IssueError(_("Zusammenführen geht nur in ein offenes Strukturthema."))
    if source.id in evidence_issue_ids(session, target.id):
        raise IssueError(_("Dieses Strukturthema ist bereits Teil des Ziels."))
    source.merged_into_id = target.id
    source.status = IssueStatus.MERGED
    source.status_reason = _("zusammengeführt in %(number)s", number=target.number)
    source.closed_on = today
    source.status_changed_at = utcnow()
    target.status_changed_at = utcnow()


def evidence_issue_ids(session: Session, issue_id: int) -> set[int]:
    """The issue and every issue merged into it, directly or through others."""
    found = {issue_id}
    frontier = {issue_id}
    while frontier:
        merged = set(
            session.execute(
                select(StructuralIssue.id).where(StructuralIssue.merged_into_id.in_(frontier))
            ).scalars()
        )
        frontier = merged - found
        found |= frontier
    return found


def current_issue(session: Session, issue: StructuralIssue) -> StructuralIssue:
    """Where a merged issue went (following merges); the issue itself otherwise."""
    seen = {issue.id}
    while issue.merged_into is not None and issue.merged_into.id not in seen:
        issue = issue.merged_into
        seen.add(issue.id)
    return issue


def issue_field_errors(values: FormValues, today: dt.date) -> FieldErrors:
    errors: FieldErrors = {}
    check_plausible(errors, values, "reported_on")
    return errors


class Meeting(Base):
    """A Sitzung: Lenkungsgruppe, Arbeitsgruppe or Planungskonferenz, with its agenda."""

    __tablename__ = "meeting"
    __table_args__ = (MeetingKind.check("kind"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[dt.date] = mapped_column(index=True)
    title: Mapped[str200]
    working_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_group.id", ondelete="RESTRICT"), index=True
    )
    notes: Mapped[text10k | None] = mapped_column(comment="minutes; no personal data")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    working_group: Mapped[WorkingGroup | None] = relationship()
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{MeetingKind.label_of(self.kind)} {self.held_on:%d.%m.%Y}: {self.title}"


class AgendaItem(Base):
    """One structural issue on a meeting's agenda, and what the meeting decided on it."""

    __tablename__ = "agenda_item"

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("structural_issue.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(default=1)
    decision: Mapped[str2000 | None] = mapped_column(comment="the decision; no personal data")

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    issue: Mapped[StructuralIssue] = relationship()

    def __str__(self) -> str:
        return f"{self.position}. {self.issue}"


class Measure(Versioned, Base):
    """A Maßnahme decided on an issue, with the indicator of its effect check."""

    __tablename__ = "measure"
    __table_args__ = (
        MeasureStatus.check("status"),
        BenefitsDomain.check("indicator_benefits_domain"),
    )

    id: Mapped[intpk]
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("structural_issue.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str200]
    description: Mapped[str2000 | None]
    responsible_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"), index=True
    )
    responsible_function: Mapped[str200 | None] = mapped_column(
        comment="a function (Amtsleitung), never a person's name"
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    decided_on: Mapped[dt.date | None]
    due_on: Mapped[dt.date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=MeasureStatus.PLANNED)
    implemented_on: Mapped[dt.date | None]
    # The indicator: barriers of this kind per 100 open cases, before and after.
    indicator_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_category.id", ondelete="RESTRICT"), index=True
    )
    indicator_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT")
    )
    indicator_benefits_domain: Mapped[str | None] = mapped_column(String(20))
    indicator_quarters: Mapped[int] = mapped_column(default=2)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    issue: Mapped[StructuralIssue] = relationship(back_populates="measures")
    responsible_partner: Mapped[Partner | None] = relationship(
        foreign_keys=[responsible_partner_id]
    )
    meeting: Mapped[Meeting | None] = relationship()
    indicator_category: Mapped[BarrierCategory | None] = relationship()
    indicator_partner: Mapped[Partner | None] = relationship(foreign_keys=[indicator_partner_id])

    def __str__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return MeasureStatus.label_of(self.status)

    def is_overdue(self, today: dt.date) -> bool:
        """Due and not implemented (a discarded measure is never overdue)."""
        return (
            self.due_on is not None
            and self.due_on < today
            and self.status not in (MeasureStatus.IMPLEMENTED, MeasureStatus.DISCARDED)
        )

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        for field in ("decided_on", "due_on", "implemented_on"):
            check_plausible(errors, values, field)
        implemented_on = values.get("implemented_on")
        if implemented_on is not None and implemented_on > today:
            errors["implemented_on"] = _("Das Datum darf nicht in der Zukunft liegen.")
        check_not_before(
            errors,
            values,
            "implemented_on",
            "decided_on",
            _("Eine Maßnahme kann nicht vor ihrem Beschluss umgesetzt sein."),
        )
        status = values.get("status")
        if status == MeasureStatus.IMPLEMENTED and implemented_on is None:
            errors["implemented_on"] = _("Bitte geben Sie an, wann die Maßnahme umgesetzt wurde.")
        if status != MeasureStatus.IMPLEMENTED and implemented_on is not None:
            errors["status"] = _("Eine Maßnahme mit Umsetzungsdatum ist „umgesetzt“.")
        quarters = values.get("indicator_quarters")
        if quarters is not None and not 1 <= int(quarters) <= 8:
            errors["indicator_quarters"] = _("Bitte 1 bis 8 Quartale angeben.")
        return errors


def overdue_measures(session: Session, today: dt.date) -> list[Measure]:
    statement = select(Measure).where(
        Measure.due_on < today,
        Measure.status.not_in([MeasureStatus.IMPLEMENTED, MeasureStatus.DISCARDED]),
    )
    return list(session.execute(statement.order_by(Measure.due_on)).scalars())


def latest_decision(session: Session, issue_id: int) -> AgendaItem | None:
    """The newest decision a meeting took on the issue (or an issue merged into it)."""
    ids = evidence_issue_ids(session, issue_id)
    statement = (
        select(AgendaItem)
        .join(Meeting)
        .where(AgendaItem.issue_id.in_(ids), AgendaItem.decision.is_not(None))
        .where(func.length(AgendaItem.decision) > 0)
        .order_by(Meeting.held_on.desc(), AgendaItem.id.desc())
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()
