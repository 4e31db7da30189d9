"""The Integrationsplan in the statistics: plan coverage, days to the plan, goals reached.

Three figures (issue 15), each one aggregate query per table:

- the share of the cases open at the end of the period that had an agreed plan by then;
- the median days from opening a case to its first agreed plan (plans agreed in the period);
- the goals of the cases closed in the period, by Handlungsfeld and final status.

For the coordination they are suppressed like every figure: shares and medians only where
the counts behind them are safe (``rate_is_safe``, ``median_is_safe``); the goal counts
only over all organisations and whole calendar years, without totals, counts 1–4 as "<5".
Calendar years do not overlap and no other table counts goals, so no published figure
can be subtracted from another to uncover a hidden one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, or_, select

from models.case import Case
from models.catalogue import Topic
from models.choices import GoalStatus, PlanStatus
from models.plan import FINAL_GOAL_STATUSES, IntegrationPlan, PlanGoal
from models.statistics.generation import ORGANISATIONS
from models.statistics.periods import DASH
from models.statistics.queries import StatisticsQueries, days_between
from models.statistics.suppression import SUPPRESSED, THRESHOLD, median_is_safe, rate_is_safe
from models.statistics.tables import (
    Cell,
    CountTable,
    FigureTable,
    PublishedTable,
    ShownRow,
    median_from_counts,
    rate,
)

if TYPE_CHECKING:
    from models.statistics.coordination import CoordinationFigures

ALL_ORGANISATIONS = "alle Organisationen"
ONCE_AGREED = (PlanStatus.AGREED, PlanStatus.SUPERSEDED)
FINAL_STATUSES = [status for status in GoalStatus if status in FINAL_GOAL_STATUSES]
PLAN_HEADER = [
    "Organisation",
    "Anteil offener Fälle mit vereinbartem Integrationsplan (%)",
    "Median Tage von der Eröffnung bis zum Plan",
]


def _coverage_counts(queries: StatisticsQueries) -> dict[int, tuple[int, int]]:
    """Per organisation: cases open at the end of the period, and those with an agreed plan."""
    end = queries.period.end
    open_at_end = and_(Case.opened_on <= end, or_(Case.closed_on.is_(None), Case.closed_on > end))
    agreed_by_end = exists().where(
        IntegrationPlan.case_id == Case.id,
        IntegrationPlan.status.in_(ONCE_AGREED),
        IntegrationPlan.agreed_on <= end,
    )
    statement = (
        select(Case.organisation_id, func.count(), func.sum(case((agreed_by_end, 1), else_=0)))
        .where(Case.organisation_id.in_(ORGANISATIONS), open_at_end)
        .group_by(Case.organisation_id)
    )
    return {
        org: (int(n), int(with_plan or 0)) for org, n, with_plan in queries.grouped_rows(statement)
    }


def _days_to_plan_counts(queries: StatisticsQueries) -> dict[int, list[tuple[float, int]]]:
    """Per organisation: (days from opening to the first agreed plan, cases) in the period."""
    first_agreed = (
        select(IntegrationPlan.case_id, func.min(IntegrationPlan.agreed_on).label("agreed_on"))
        .where(
            IntegrationPlan.organisation_id.in_(ORGANISATIONS),
            IntegrationPlan.status.in_(ONCE_AGREED),
        )
        .group_by(IntegrationPlan.case_id)
        .subquery()
    )
    days = days_between(Case.opened_on, first_agreed.c.agreed_on)
    statement = (
        select(Case.organisation_id, days, func.count())
        .join(first_agreed, first_agreed.c.case_id == Case.id)
        .where(
            Case.organisation_id.in_(ORGANISATIONS),
            first_agreed.c.agreed_on.between(queries.period.start, queries.period.end),
        )
        .group_by(Case.organisation_id, days)
    )
    per_org: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for org, value, count in queries.grouped_rows(statement):
        per_org[org].append((float(value), int(count)))
    return per_org


def _goal_counts(queries: StatisticsQueries) -> list[Any]:
    """(organisation, topic, status, goals) of the cases closed in the period."""
    statement = (
        select(Case.organisation_id, PlanGoal.topic_id, PlanGoal.status, func.count())
        .select_from(PlanGoal)
        .join(Case, PlanGoal.case_id == Case.id)
        .join(IntegrationPlan, PlanGoal.plan_id == IntegrationPlan.id)
        .where(
            Case.organisation_id.in_(ORGANISATIONS),
            Case.closed_on.between(queries.period.start, queries.period.end),
            IntegrationPlan.status != PlanStatus.SUPERSEDED,
            PlanGoal.status.in_(FINAL_GOAL_STATUSES),
        )
        .group_by(Case.organisation_id, PlanGoal.topic_id, PlanGoal.status)
    )
    return queries.grouped_rows(statement)


def _topics(queries: StatisticsQueries, topic_ids: set[int]) -> list[tuple[int, str]]:
    if not topic_ids:
        return []
    statement = (
        select(Topic.id, Topic.name)
        .where(Topic.id.in_(topic_ids))
        .order_by(Topic.sort_order, Topic.name)
    )
    return [(topic_id, name) for topic_id, name in queries.session.execute(statement)]


def _pooled(per_org: dict[int, list[tuple[float, int]]]) -> list[tuple[float, int]]:
    return [pair for pairs in per_org.values() for pair in pairs]


# --- an organisation's own figures (exact) -----------------------------------------------


def plan_figures(queries: StatisticsQueries) -> FigureTable:
    coverage = _coverage_counts(queries)
    days = _days_to_plan_counts(queries)
    keyed: list[tuple[str, tuple[int, int], list[tuple[float, int]], bool]] = [
        (org.name, coverage.get(org.id, (0, 0)), days.get(org.id, []), False)
        for org in queries.scope.organisations
    ]
    if len(queries.scope.ids) > 1:
        totals = (sum(n for n, _w in coverage.values()), sum(w for _n, w in coverage.values()))
        keyed.append((ALL_ORGANISATIONS, totals, _pooled(days), True))
    rows = [
        ShownRow(label, [rate(with_plan, cases), median_from_counts(pairs)], is_total=total)
        for label, (cases, with_plan), pairs, total in keyed
    ]
    return FigureTable(PLAN_HEADER, rows, note=f"{DASH} : keine Werte im Zeitraum.")


def goals_by_topic(queries: StatisticsQueries) -> CountTable:
    found = _goal_counts(queries)
    topics = _topics(queries, {topic for _org, topic, _status, _n in found})
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for _org, topic, status, n in found:
        counts[(topic, status)] += int(n)
    return CountTable(
        "Handlungsfeld",
        [str(status.label) for status in FINAL_STATUSES],
        [(name, [counts[(topic, status)] for status in FINAL_STATUSES]) for topic, name in topics],
        row_totals=True,
        note="Ziele der im Zeitraum abgeschlossenen Fälle, nach ihrem abschließenden Status.",
    )


# --- the coordination's figures (suppressed) ---------------------------------------------


def coordinated_plan_figures(figures: CoordinationFigures) -> PublishedTable:
    """Shares and medians only where the counts behind them are safe to imply."""
    exact = figures._exact(figures.period)
    coverage = _coverage_counts(exact)
    days = _days_to_plan_counts(exact)
    rows = []
    for name, axis in figures.columns():
        if isinstance(axis, int):  # the organisation's place in the cover
            org_id = figures.organisations[axis].id
            cases, with_plan = coverage.get(org_id, (0, 0))
            pairs = days.get(org_id, [])
        else:
            cases = sum(n for n, _w in coverage.values())
            with_plan = sum(w for _n, w in coverage.values())
            pairs = _pooled(days)
        share: Cell = rate(with_plan, cases) if rate_is_safe(with_plan, cases) else None
        values = sum(n for _v, n in pairs)
        median: Cell = median_from_counts(pairs) if median_is_safe(values) else None
        label = ALL_ORGANISATIONS if not isinstance(axis, int) else name
        rows.append(ShownRow(label, [share, median], is_total=not isinstance(axis, int)))
    return PublishedTable(
        PLAN_HEADER,
        rows,
        note=f"{DASH} : keine Werte, oder weniger als {THRESHOLD} Fälle dahinter, oder der "
        f"Anteil ließe auf eine Zahl von 1 bis {THRESHOLD - 1} schließen.",
    )


def coordinated_goals_by_topic(figures: CoordinationFigures) -> PublishedTable:
    """All organisations and whole years only; no totals; counts 1–4 as "<5"."""
    header = ["Handlungsfeld", *(str(status.label) for status in FINAL_STATUSES)]
    reason = figures._needs(year=True, all_organisations=True)
    if reason:
        return PublishedTable(header, [], unavailable=reason)
    exact = figures._exact(figures.period)
    found = _goal_counts(exact)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for _org, topic, status, n in found:
        counts[(topic, status)] += int(n)
    topics = _topics(exact, {topic for _org, topic, _status, _n in found})

    def shown(count: int) -> Cell:
        return SUPPRESSED if 0 < count < THRESHOLD else count

    rows = [
        ShownRow(name, [shown(counts[(topic, status)]) for status in FINAL_STATUSES])
        for topic, name in topics
    ]
    return PublishedTable(
        header,
        rows,
        note=f"{SUPPRESSED} : 1 bis {THRESHOLD - 1} Ziele. Ohne Summen, damit sich keine "
        "ausgeblendete Zahl errechnen lässt.",
    )
