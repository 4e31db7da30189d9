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
from itertools import product
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
from models.statistics.coordination import ALL, CoordinationFigures
from models.statistics.periods import DASH, YEAR, quarter_end, quarter_label
from models.statistics.scope import load_scope
from models.statistics.suppression import WITHHELD, Cover, protect
from models.statistics.tables import (
    TOTAL,
    Cell,
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


def evidence_rows(
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


def evidence_cover(rows: list[EvidenceRow]) -> Cover:
    """Every evidence figure of one issue as one cover: barriers by organisation x quarter
    (with totals), barriers by partner (adding up to the same total), distinct cases by
    organisation x quarter and overall (adding up over organisations only)."""
    cover = Cover()
    quarters = sorted({row.quarter for row in rows})
    organisations = sorted({row.organisation for row in rows})
    cases: dict[tuple[Any, Any], set[int]] = defaultdict(set)
    for row in sorted(rows, key=repr):
        for org, quarter in product((row.organisation, ALL), (row.quarter, ALL)):
            cover.add(("b", org, quarter), 1)
            cases[org, quarter].add(row.case_id)
        cover.add(("p", row.partner), 1)
    for (org, quarter), found in sorted(cases.items(), key=repr):
        cover.add(("c", org, quarter), len(found))
    for org in [*organisations, ALL]:
        cover.total(("b", org, ALL), [("b", org, quarter) for quarter in quarters])
    for quarter in [*quarters, ALL]:
        cover.total(("b", ALL, quarter), [("b", org, quarter) for org in organisations])
        # Every case belongs to one organisation: distinct cases add up over them.
        cover.total(("c", ALL, quarter), [("c", org, quarter) for org in organisations])
    cover.total(("b", ALL, ALL), [("p", partner) for partner in sorted({r.partner for r in rows})])
    return cover


def evidence_tables(rows: list[EvidenceRow], *, suppressed: bool) -> list[ShownTable]:
    """Barriers and distinct cases by organisation x quarter, barriers by partner: cuts of
    one protected cover for the coordination (``protect``), exact otherwise."""
    cover = evidence_cover(rows)
    publication = protect(cover) if suppressed else None

    def shown(key: tuple[Any, ...]) -> Cell:
        return publication.shown(key) if publication is not None else cover.value(key)

    quarters = sorted({row.quarter for row in rows})
    labels = [quarter_label(quarter) for quarter in quarters]
    organisations = sorted({row.organisation for row in rows})
    partners = sorted({row.partner for row in rows})

    def grid(kind: str) -> list[ShownRow]:
        lines = [
            ShownRow(org, [*(shown((kind, org, q)) for q in quarters), shown((kind, org, ALL))])
            for org in organisations
        ]
        totals = [*(shown((kind, ALL, q)) for q in quarters), shown((kind, ALL, ALL))]
        return [*lines, ShownRow(TOTAL, totals, is_total=True)]

    partner_rows = [ShownRow(partner, [shown(("p", partner))]) for partner in partners]
    partner_rows.append(ShownRow(TOTAL, [shown(("b", ALL, ALL))], is_total=True))
    return [
        ShownTable(
            "evidenz_barrieren",
            "Verknüpfte Barrieren je Quartal",
            ["Organisation", *labels, TOTAL],
            grid("b"),
        ),
        ShownTable(
            "evidenz_faelle",
            "Betroffene Fälle je Quartal",
            ["Organisation", *labels, "gesamt"],
            grid("c"),
            note="Ein Fall mit Barrieren in mehreren Quartalen zählt in jedem, „gesamt“ einmal.",
        ),
        ShownTable(
            "evidenz_partner",
            "Verknüpfte Barrieren je Partner",
            ["Partner", "Barrieren"],
            partner_rows,
        ),
    ]


def evidence_for(session: AnySession, user: Principal, issue: StructuralIssue) -> Evidence | None:
    """The evidence of ``issue`` (and of the issues merged into it) as ``user`` may see it:
    suppressed across organisations for the coordination, exact for the own organisation
    of a team lead; None for everyone else."""
    ids = evidence_issue_ids(session, issue.id)  # type: ignore[arg-type]
    if has_permission(user, Permission.EVIDENCE_ALL):
        rows = evidence_rows(session, ids)
        suppressed = True
    elif has_permission(user, Permission.EVIDENCE_OWN_ORGANISATION):
        rows = evidence_rows(session, ids, *visible_criteria(user, Barrier, shelf=Shelf.ANY))
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
    """The indicator's rate before and after a measure was implemented.

    ``before``/``after`` hold the exact counts (the domain, the tests); what a person sees
    is ``shown()``: for an indicator of a category alone, every count is the cell the
    coordination's statistics publish for it (``models.statistics.coordination``: barriers
    of the category in the quarter, cases open at the previous quarter's end plus those
    opened in it), so the effect check shows nothing the statistics hide. An indicator
    narrowed to a partner or Rechtskreis has no such cells; its counts are protected as a
    cover of their own (quarters adding up to the phase).
    """

    measure_id: int
    indicator: str
    before: list[QuarterRate] = field(default_factory=list)
    after: list[QuarterRate] = field(default_factory=list)
    checkable: bool = False
    reason: str = ""
    # Quarter -> (barriers, open cases) as the coordination's statistics show them.
    published: dict[Quarter, tuple[Cell, Cell]] | None = None

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

    def _phases(self) -> list[tuple[str, list[QuarterRate]]]:
        phases = (("vorher", self.before), ("nachher", self.after))
        return [(phase, quarters) for phase, quarters in phases if quarters]

    def _shown_counts(self) -> dict[tuple[str, Any], tuple[Cell, Cell]]:
        """(phase, quarter or ALL) -> the barriers and open cases as shown."""
        shown: dict[tuple[str, Any], tuple[Cell, Cell]] = {}
        if self.published is not None:
            for phase, quarters in self._phases():
                cells = [self.published[quarter.quarter] for quarter in quarters]
                for quarter, pair in zip(quarters, cells, strict=True):
                    shown[phase, quarter.quarter] = pair
                shown[phase, ALL] = (
                    _sum_if_visible([pair[0] for pair in cells]),
                    _sum_if_visible([pair[1] for pair in cells]),
                )
            return shown
        cover = Cover()
        for phase, quarters in self._phases():
            for kind in ("b", "n"):
                for quarter in quarters:
                    cover.add((kind, phase, quarter.quarter), _count(quarter, kind))
                cover.add((kind, phase, ALL), sum(_count(quarter, kind) for quarter in quarters))
        for phase, quarters in self._phases():
            for kind in ("b", "n"):
                cover.total((kind, phase, ALL), [(kind, phase, q.quarter) for q in quarters])
        publication = protect(cover)
        for phase, quarters in self._phases():
            for position in [*(quarter.quarter for quarter in quarters), ALL]:
                shown[phase, position] = (
                    publication.shown(("b", phase, position)),
                    publication.shown(("n", phase, position)),
                )
        return shown

    def shown(self) -> ShownTable:
        """The table as the coordination sees it: hidden counts as "<5" or "x", a rate only
        where both counts behind it are shown."""
        counts = self._shown_counts()
        rows: list[ShownRow] = []
        for phase, quarters in self._phases():
            for quarter in quarters:
                rows.append(
                    ShownRow(f"{phase}: {quarter.label}", _cells(*counts[phase, quarter.quarter]))
                )
            rows.append(ShownRow(f"{phase}: zusammen", _cells(*counts[phase, ALL]), is_total=True))
        note = "" if self.checkable else f"{NOT_YET_CHECKABLE}: {self.reason}"
        return ShownTable(
            f"wirkung_{self.measure_id}",
            f"Wirkungsprüfung: {self.indicator}",
            ["Quartal", "Barrieren", "offene Fälle", "je 100 offene Fälle"],
            rows,
            note,
            chart="bar",
        )


def _count(quarter: QuarterRate, kind: str) -> int:
    return quarter.barriers if kind == "b" else quarter.open_cases


def _sum_if_visible(cells: list[Cell]) -> Cell:
    """A sum of shown counts; hidden ("x") as soon as one part is hidden."""
    if all(isinstance(cell, int) for cell in cells):
        return sum(cell for cell in cells if isinstance(cell, int))
    return WITHHELD


def _cells(barriers: Cell, open_cases: Cell) -> list[Cell]:
    if isinstance(barriers, int) and isinstance(open_cases, int):
        return [barriers, open_cases, rate(barriers, open_cases)]
    return [barriers, open_cases, WITHHELD]


def published_indicator_cells(
    session: AnySession, category_id: int, quarters: list[Quarter], today: dt.date
) -> dict[Quarter, tuple[Cell, Cell]]:
    """Barriers of the category and cases open, per quarter, as the coordination's
    statistics publish them (one protected cover per year, the same pattern)."""
    organisations = load_scope(session, None, True).organisations
    figures: dict[int, CoordinationFigures] = {}
    cells: dict[Quarter, tuple[Cell, Cell]] = {}
    for year, number in quarters:
        if year not in figures:
            figures[year] = CoordinationFigures(session, organisations, (year, YEAR), today)
        published = figures[year]
        barriers = published.barriers.shown(("b", category_id, ALL, ALL, number))
        previous = (year, number - 1) if number > 1 else (year - 1, 4)
        stock = published.cases.shown(("s", *previous, ALL))
        opened = published.cases.shown(("o", year, number, ALL))
        cells[year, number] = (barriers, _sum_if_visible([stock, opened]))
    return cells


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
    check = _exact_effect_check(session, measure, today)
    if check is not None:
        _publish(check, session, measure, today)
    return check


def _exact_effect_check(
    session: AnySession, measure: Measure, today: dt.date
) -> EffectCheck | None:
    if measure.indicator_category_id is None:
        return None
    check = EffectCheck(measure.id, indicator_text(measure))
    count = max(1, min(8, measure.indicator_quarters or 2))
    if measure.status != MeasureStatus.IMPLEMENTED or measure.implemented_on is None:
        check.reason = "die Maßnahme ist noch nicht umgesetzt."
        before, _after = _quarters_around(min(measure.due_on or today, today), count)
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


def _publish(check: EffectCheck, session: AnySession, measure: Measure, today: dt.date) -> None:
    if measure.indicator_partner_id is None and not measure.indicator_benefits_domain:
        quarters = [quarter.quarter for quarter in (*check.before, *check.after)]
        check.published = published_indicator_cells(
            session,
            measure.indicator_category_id,  # type: ignore[arg-type]
            quarters,
            today,
        )


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
