"""Figures of the system level: evidence of an issue, the effect check, the report, and
the loop back to the case manager.

- Evidence without persons: the coordination sees the number of linked barriers and of
  distinct cases by quarter, organisation and partner, suppressed like every figure
  across organisations (``models.statistics`` tables and suppression), never a barrier,
  case or client; a team lead sees the exact figures of the own organisation (rows
  chosen by the one visibility rule).
- The effect check of a measure: barriers of the indicator's kind per 100 open cases,
  per quarter, all organisations, for the quarters before the quarter the measure was
  implemented in and after it; "noch nicht prüfbar" until those quarters have passed.
- The system-level report for the coordination: issues by status and category, measures
  due / overdue / implemented, median days from report to decision and from decision to
  implementation. These records hold no persons, so their counts are shown exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, scoped_session

from models.audit import AuditAction, AuditEvent
from models.barrier import Barrier
from models.case import Case
from models.catalogue import BarrierCategory, Partner
from models.choices import BenefitsDomain, IssueStatus, MeasureStatus
from models.client import Client
from models.organisation import Organisation
from models.permissions import Permission, Principal, has_permission
from models.statistics.periods import DASH, quarter_end, quarter_label
from models.statistics.suppression import SUPPRESSED, WITHHELD, is_small, rate_is_safe
from models.statistics.tables import (
    CountTable,
    ShownRow,
    ShownTable,
    median_from_counts,
    rate,
)
from models.structural import Measure, StructuralIssue, evidence_issue_ids, latest_decision
from models.visibility import Shelf, visible_criteria

AnySession = Session | scoped_session[Any]
Quarter = tuple[int, int]
WITHOUT_PARTNER = "ohne Partner"
NOT_YET_CHECKABLE = "noch nicht prüfbar"


# --- evidence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    organisation: str
    case_id: int
    quarter: Quarter
    partner: str


@dataclass
class Evidence:
    """What one user may see of an issue's evidence: tables, exact or suppressed."""

    tables: list[ShownTable]
    exact: bool
    barriers: int | float | str | None  # the total, as shown
    cases: int | float | str | None


def _evidence_rows(
    session: AnySession, issue_ids: Iterable[int], *criteria: Any
) -> list[EvidenceRow]:
    statement = (
        select(Organisation.name, Barrier.case_id, Barrier.observed_on, Partner.name)
        .select_from(Barrier)
        .join(Organisation, Organisation.id == Barrier.organisation_id)
        .outerjoin(Partner, Partner.id == Barrier.partner_id)
        .where(Barrier.structural_issue_id.in_(list(issue_ids)), *criteria)
    )
    return [
        EvidenceRow(name, case_id, (day.year, (day.month - 1) // 3 + 1), partner or WITHOUT_PARTNER)
        for name, case_id, day, partner in session.execute(statement)
    ]


def evidence_tables(rows: list[EvidenceRow], *, suppressed: bool) -> list[ShownTable]:
    """Barriers and distinct cases by organisation x quarter, barriers by partner."""
    quarters = sorted({row.quarter for row in rows})
    labels = [quarter_label(quarter) for quarter in quarters]
    organisations = sorted({row.organisation for row in rows})
    partners = sorted({row.partner for row in rows})
    barriers = Counter((row.organisation, row.quarter) for row in rows)
    cases_by_quarter: dict[tuple[str, Quarter], set[int]] = defaultdict(set)
    cases_overall: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        cases_by_quarter[row.organisation, row.quarter].add(row.case_id)
        cases_overall[row.organisation].add(row.case_id)
    barrier_table = CountTable(
        "Organisation",
        labels,
        [(org, [barriers[org, quarter] for quarter in quarters]) for org in organisations],
        row_totals=True,
    )
    # Distinct cases do not add up over quarters (a case may have barriers in two), but
    # over organisations they do: every case belongs to one.
    case_table = CountTable(
        "Organisation",
        [*labels, "gesamt"],
        [
            (
                org,
                [len(cases_by_quarter[org, quarter]) for quarter in quarters]
                + [len(cases_overall[org])],
            )
            for org in organisations
        ],
        row_totals=False,
        rows_add_up=False,
    )
    partner_counts = Counter(row.partner for row in rows)
    partner_table = CountTable(
        "Partner", ["Barrieren"], [(partner, [partner_counts[partner]]) for partner in partners]
    )
    return [
        barrier_table.shown(suppressed, "evidenz_barrieren", "Verknüpfte Barrieren je Quartal"),
        case_table.shown(suppressed, "evidenz_faelle", "Betroffene Fälle je Quartal"),
        partner_table.shown(suppressed, "evidenz_partner", "Verknüpfte Barrieren je Partner"),
    ]


def evidence_for(session: AnySession, user: Principal, issue: StructuralIssue) -> Evidence | None:
    """The evidence of ``issue`` (and of the issues merged into it) as ``user`` may see it:
    suppressed across organisations for the coordination, exact for the own organisation
    of a team lead; None for everyone else."""
    ids = evidence_issue_ids(session, issue.id)  # type: ignore[arg-type]
    if has_permission(user, Permission.EVIDENCE_ALL):
        rows = _evidence_rows(session, ids)
        suppressed = True
    elif has_permission(user, Permission.EVIDENCE_OWN_ORGANISATION):
        rows = _evidence_rows(session, ids, *visible_criteria(user, Barrier, shelf=Shelf.ANY))
        suppressed = False
    else:
        return None
    tables = evidence_tables(rows, suppressed=suppressed)
    barriers_total = tables[0].rows[-1].cells[-1] if rows else 0
    cases_total = tables[1].rows[-1].cells[-1] if rows else 0
    return Evidence(tables, not suppressed, barriers_total or 0, cases_total or 0)


def evidence_counts(session: AnySession, issue_id: int) -> tuple[int, int]:
    """Exact linked barriers and distinct cases of an issue, across organisations: for
    the domain (tests, the merge); never shown to the coordination unsuppressed."""
    ids = evidence_issue_ids(session, issue_id)  # type: ignore[arg-type]
    statement = select(func.count(Barrier.id), func.count(func.distinct(Barrier.case_id))).where(
        Barrier.structural_issue_id.in_(ids)
    )
    barriers, cases = session.execute(statement).one()
    return int(barriers), int(cases)


# --- the effect check -------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterRate:
    quarter: Quarter
    barriers: int
    open_cases: int

    @property
    def label(self) -> str:
        return quarter_label(self.quarter)

    @property
    def rate(self) -> float | None:
        return rate(self.barriers, self.open_cases)


@dataclass
class EffectCheck:
    """The indicator's rate before and after a measure was implemented (exact figures)."""

    measure_id: int
    indicator: str
    before: list[QuarterRate] = field(default_factory=list)
    after: list[QuarterRate] = field(default_factory=list)
    checkable: bool = False
    reason: str = ""

    @staticmethod
    def pooled(quarters: list[QuarterRate]) -> tuple[int, int, float | None]:
        barriers = sum(quarter.barriers for quarter in quarters)
        open_cases = sum(quarter.open_cases for quarter in quarters)
        return barriers, open_cases, rate(barriers, open_cases)

    @property
    def rate_before(self) -> float | None:
        return self.pooled(self.before)[2]

    @property
    def rate_after(self) -> float | None:
        return self.pooled(self.after)[2] if self.checkable else None

    def shown(self) -> ShownTable:
        """The table as the coordination sees it: counts 1-4 as "<5", a rate only where
        none of the counts behind it is small (``rate_is_safe``)."""
        rows: list[ShownRow] = []
        for phase, quarters in (("vorher", self.before), ("nachher", self.after)):
            for quarter in quarters:
                rows.append(ShownRow(f"{phase}: {quarter.label}", self._cells(quarter)))
            if quarters:
                barriers, open_cases, _rate = self.pooled(quarters)
                pooled = QuarterRate((0, 0), barriers, open_cases)
                rows.append(ShownRow(f"{phase}: zusammen", self._cells(pooled), is_total=True))
        note = "" if self.checkable else f"{NOT_YET_CHECKABLE}: {self.reason}"
        return ShownTable(
            f"wirkung_{self.measure_id}",
            f"Wirkungsprüfung: {self.indicator}",
            ["Quartal", "Barrieren", "offene Fälle", "je 100 offene Fälle"],
            rows,
            note,
            chart="bar",
        )

    @staticmethod
    def _cells(quarter: QuarterRate) -> list[int | float | str | None]:
        def count(value: int) -> int | str:
            return SUPPRESSED if is_small(value) else value

        shown_rate: float | str | None = quarter.rate
        if quarter.rate is not None and not rate_is_safe(quarter.barriers, quarter.open_cases):
            shown_rate = WITHHELD
        return [count(quarter.barriers), count(quarter.open_cases), shown_rate]


def _quarters_around(day: dt.date, count: int) -> tuple[list[Quarter], list[Quarter]]:
    """The ``count`` quarters before the quarter of ``day``, and the ``count`` after it."""
    position = day.year * 4 + (day.month - 1) // 3

    def quarter(index: int) -> Quarter:
        return index // 4, index % 4 + 1

    before = [quarter(position - offset) for offset in range(count, 0, -1)]
    after = [quarter(position + offset) for offset in range(1, count + 1)]
    return before, after


def _start(quarter: Quarter) -> dt.date:
    return dt.date(quarter[0], (quarter[1] - 1) * 3 + 1, 1)


def indicator_rates(
    session: AnySession, measure: Measure, quarters: list[Quarter]
) -> list[QuarterRate]:
    """Barriers of the indicator's kind and cases open, per quarter, all organisations.

    A case is open in a quarter when it was opened by the quarter's end and not closed
    before its start; archived records count, as in every statistic.
    """
    results = []
    for quarter in quarters:
        start = _start(quarter)
        end = quarter_end(start)
        open_cases = select(func.count(Case.id)).where(
            Case.opened_on <= end, or_(Case.closed_on.is_(None), Case.closed_on >= start)
        )
        barriers = (
            select(func.count(Barrier.id))
            .where(
                Barrier.category_id == measure.indicator_category_id,
                Barrier.observed_on.between(start, end),
            )
            .join(Case, Case.id == Barrier.case_id)
        )
        if measure.indicator_partner_id is not None:
            barriers = barriers.where(Barrier.partner_id == measure.indicator_partner_id)
        if measure.indicator_benefits_domain:
            domain = Client.benefits_domain == measure.indicator_benefits_domain
            barriers = barriers.join(Client, Client.id == Case.client_id).where(domain)
            open_cases = open_cases.join(Client, Client.id == Case.client_id).where(domain)
        results.append(
            QuarterRate(
                quarter,
                int(session.execute(barriers).scalar_one()),
                int(session.execute(open_cases).scalar_one()),
            )
        )
    return results


def indicator_text(measure: Measure) -> str:
    parts = [str(measure.indicator_category) if measure.indicator_category else DASH]
    if measure.indicator_partner is not None:
        parts.append(str(measure.indicator_partner))
    if measure.indicator_benefits_domain:
        parts.append(BenefitsDomain.label_of(measure.indicator_benefits_domain))
    return " · ".join(parts)


def effect_check(session: AnySession, measure: Measure, today: dt.date) -> EffectCheck | None:
    """The effect check of ``measure``; None when it has no indicator."""
    if measure.indicator_category_id is None:
        return None
    check = EffectCheck(measure.id, indicator_text(measure))
    count = max(1, min(8, measure.indicator_quarters or 2))
    if measure.status != MeasureStatus.IMPLEMENTED or measure.implemented_on is None:
        check.reason = "die Maßnahme ist noch nicht umgesetzt."
        before, _after = _quarters_around(measure.due_on or today, count)
        check.before = indicator_rates(session, measure, before)
        return check
    before, after = _quarters_around(measure.implemented_on, count)
    check.before = indicator_rates(session, measure, before)
    last_day = quarter_end(_start(after[-1]))
    if today <= last_day:
        check.reason = f"die {count} Quartale nach der Umsetzung enden am {last_day:%d.%m.%Y}."
        passed = [quarter for quarter in after if quarter_end(_start(quarter)) < today]
        check.after = indicator_rates(session, measure, passed)
        return check
    check.after = indicator_rates(session, measure, after)
    check.checkable = True
    return check


# --- the loop back ----------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """An issue a case manager's barriers feed, as shown with the barrier or on the start."""

    issue_id: int
    number: str
    title: str
    status: str
    decision: str | None
    merged_into: str | None = None


def feedback_of_issue(session: AnySession, issue: StructuralIssue) -> Feedback:
    """Number, title, status and latest decision; a merged issue names where it went."""
    target = issue
    seen = {issue.id}
    while target.merged_into is not None and target.merged_into.id not in seen:
        target = target.merged_into
        seen.add(target.id)
    decision = latest_decision(session, target.id)  # type: ignore[arg-type]
    return Feedback(
        target.id,
        target.number,
        target.title,
        target.status_label,
        decision.decision if decision else None,
        issue.number if target is not issue else None,
    )


def previous_sign_in(session: AnySession, user_id: int) -> dt.datetime | None:
    """When the user signed in before the current session (the trail's second-last login)."""
    statement = (
        select(AuditEvent.occurred_at)
        .where(AuditEvent.actor_user_id == user_id, AuditEvent.action == AuditAction.LOGIN)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset(1)
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


def feedback_for(session: AnySession, user: Any) -> list[Feedback]:
    """Issues fed by barriers the user documented or of the user's cases, that changed
    since the user's previous sign-in (all of them at a first sign-in)."""
    own_barriers = select(Barrier.structural_issue_id).where(
        *visible_criteria(user, Barrier),
        Barrier.structural_issue_id.is_not(None),
        or_(
            Barrier.created_by_id == user.id,
            Barrier.case_id.in_(select(Case.id).where(Case.case_manager_id == user.id)),
        ),
    )
    fed = set(session.execute(own_barriers).scalars())
    if not fed:
        return []
    issues = session.execute(select(StructuralIssue).where(StructuralIssue.id.in_(fed))).scalars()
    since = previous_sign_in(session, user.id)
    results = []
    for issue in issues:
        feedback = feedback_of_issue(session, issue)
        target = session.get(StructuralIssue, feedback.issue_id)
        changed = issue.status_changed_at
        if target is not None and target.status_changed_at > changed:
            changed = target.status_changed_at
        if since is None or changed > since:
            results.append(feedback)
    return sorted(results, key=lambda item: item.number)


# --- the system-level report ------------------------------------------------------------


@dataclass
class SystemReport:
    tables: list[ShownTable]


def _median_days(pairs: Iterable[tuple[dt.date | None, dt.date | None]]) -> tuple[Any, int]:
    days = Counter((end - start).days for start, end in pairs if start and end and end >= start)
    return median_from_counts(days.items()), sum(days.values())


def system_report(session: AnySession, today: dt.date) -> SystemReport:
    """The coordination's overview of the register (no persons: exact counts)."""
    by_status = dict(
        session.execute(
            select(StructuralIssue.status, func.count()).group_by(StructuralIssue.status)
        ).all()
    )
    status_rows = [
        ShownRow(status.label, [int(by_status.get(str(status), 0))]) for status in IssueStatus
    ]
    status_rows.append(ShownRow("Summe", [sum(int(v) for v in by_status.values())], True))
    by_category = session.execute(
        select(BarrierCategory.name, func.count(StructuralIssue.id))
        .join(StructuralIssue, StructuralIssue.category_id == BarrierCategory.id)
        .group_by(BarrierCategory.name)
        .order_by(BarrierCategory.name)
    ).all()
    category_rows = [ShownRow(name, [int(count)]) for name, count in by_category]
    measures = list(session.execute(select(Measure)).scalars())
    open_measures = [
        m for m in measures if m.status in (MeasureStatus.PLANNED, MeasureStatus.IN_IMPLEMENTATION)
    ]
    due = [m for m in open_measures if m.due_on is not None and m.due_on >= today]
    overdue = [m for m in open_measures if m.is_overdue(today)]
    implemented = [m for m in measures if m.status == MeasureStatus.IMPLEMENTED]
    measure_rows = [
        ShownRow("fällig (Frist noch nicht erreicht)", [len(due)]),
        ShownRow("überfällig", [len(overdue)]),
        ShownRow("umgesetzt", [len(implemented)]),
        ShownRow("verworfen", [sum(m.status == MeasureStatus.DISCARDED for m in measures)]),
    ]
    issues = session.execute(select(StructuralIssue.reported_on, StructuralIssue.decided_on))
    to_decision, decided = _median_days(issues.all())
    to_implementation, implemented_count = _median_days(
        (m.decided_on, m.implemented_on) for m in implemented
    )
    durations = [
        ShownRow("Meldung bis Beschluss (Strukturthemen)", [to_decision, decided]),
        ShownRow("Beschluss bis Umsetzung (Maßnahmen)", [to_implementation, implemented_count]),
    ]
    return SystemReport(
        [
            ShownTable(
                "system_status", "Strukturthemen nach Status", ["Status", "Anzahl"], status_rows
            ),
            ShownTable(
                "system_kategorie",
                "Strukturthemen nach Kategorie",
                ["Kategorie", "Anzahl"],
                category_rows,
            ),
            ShownTable("system_massnahmen", "Maßnahmen", ["Stand", "Anzahl"], measure_rows),
            ShownTable(
                "system_dauer",
                "Dauer in Tagen (Median)",
                ["Abschnitt", "Median (Tage)", "Anzahl"],
                durations,
            ),
        ]
    )


def issues_in(session: AnySession, statuses: Iterable[str]) -> list[StructuralIssue]:
    statement = select(StructuralIssue).where(StructuralIssue.status.in_(list(statuses)))
    return list(session.execute(statement.order_by(StructuralIssue.number)).scalars())


def measures_due(session: AnySession, today: dt.date, within_days: int = 90) -> list[Measure]:
    """Open measures due within ``within_days`` or overdue, earliest first."""
    statement = select(Measure).where(
        Measure.status.in_([MeasureStatus.PLANNED, MeasureStatus.IN_IMPLEMENTATION]),
        Measure.due_on.is_not(None),
        Measure.due_on <= today + dt.timedelta(days=within_days),
    )
    return list(session.execute(statement.order_by(Measure.due_on)).scalars())


__all__ = [
    "EffectCheck",
    "Evidence",
    "Feedback",
    "effect_check",
    "evidence_counts",
    "evidence_for",
    "feedback_for",
    "feedback_of_issue",
    "system_report",
]
