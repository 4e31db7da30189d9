"""The SQL of the statistics: one aggregate query per table, laid out as its rows.

Nothing here loops over cases in Python: every query returns one row per group (an
organisation, a category, a month, a number of days), so the number of queries and the
size of their results do not grow with the caseload. Medians come from a query that
counts how often each value occurs per group (``median_from_counts``). Archived records
are counted like any other: archiving only takes a record off the working lists and
changes no figure (SPEC §6.6); an erased record is gone, and so is its share.

Each builder returns the layout of one table without its key and title, which the
registry (``models.statistics.report``) gives.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models.barrier import Barrier
from models.case import Case
from models.catalogue import BarrierCategory, Partner
from models.choices import (
    BarrierStatus,
    BenefitsDomain,
    ClosureReason,
    Gender,
    ReferralStatus,
    ResidenceStatus,
    country_name,
)
from models.client import Client
from models.referral import Referral, overdue_condition
from models.statistics.generation import ORGANISATIONS, organisation_rows
from models.statistics.periods import (
    AGE_BANDS,
    DASH,
    Period,
    quarter_label,
    years_before,
)
from models.statistics.scope import Scope
from models.statistics.suppression import median_is_safe, rate_is_safe
from models.statistics.tables import (
    Cell,
    CountTable,
    FigureTable,
    ShownRow,
    median_from_counts,
    pivot,
    rate,
)

UNKNOWN = "keine Angabe"
TOP_COUNTRIES = 10
ANSWERED_POSITIVE = (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED)
ANSWERED = (*ANSWERED_POSITIVE, ReferralStatus.DECLINED)


# --- portable SQL ----------------------------------------------------------------------


class days_between(FunctionElement[int]):  # noqa: N801 - reads like the SQL function it is
    """Whole days from the first date to the second, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)}) AS INTEGER)"
    )


def date_part(field: str, day: Any) -> ColumnElement[int]:
    """The year or month of a date as an integer on both databases: PostgreSQL's EXTRACT
    gives a numeric, which the driver reads as a Decimal (unlike SQLite's integer), and a
    count's rows stored for every worker keep each Decimal as an object to decode again."""
    return cast(extract(field, day), Integer)


def date_quarter(day: Any) -> ColumnElement[int]:
    """The quarter (1-4) of a date: a count by quarter has a third of the rows by month."""
    return (date_part("month", day) - 1) // 3 + 1


def age_band(date_of_birth: Any, at: dt.date) -> ColumnElement[str]:
    """The age band at ``at`` as a CASE over birth dates (no date arithmetic in SQL)."""
    whens: list[tuple[ColumnElement[bool], str]] = [(date_of_birth.is_(None), UNKNOWN)]
    for label, below in AGE_BANDS:
        if below is not None:
            whens.append((date_of_birth > years_before(at, below), label))
    return case(*whens, else_=AGE_BANDS[-1][0])


def overdue_referrals(today: dt.date) -> Any:
    """``(organisation, referrals)``: the overdue referrals of each organisation of
    ``ORGANISATIONS`` (a referral has its case's organisation), for the overview and the
    coordination's cover alike."""
    return (
        select(Referral.organisation_id, func.count())
        .where(Referral.organisation_id.in_(ORGANISATIONS), overdue_condition(today))
        .group_by(Referral.organisation_id)
    )


# --- the tables ------------------------------------------------------------------------


class StatisticsQueries:
    """The tables of one scope and period, each built by one method."""

    def __init__(
        self, session: Session | scoped_session[Any], scope: Scope, period: Period, today: dt.date
    ) -> None:
        self.session = session
        self.scope = scope
        self.period = period
        self.today = today

    @property
    def suppressed(self) -> bool:
        return self.scope.across_organisations

    # -- shared pieces --

    def _org_columns(self) -> list[str]:
        return [organisation.name for organisation in self.scope.organisations]

    def _by_organisation(
        self,
        row_header: str,
        labelled_rows: Sequence[tuple[Any, str]],
        counts: Iterable[tuple[Any, Any, int]],
        **options: Any,
    ) -> CountTable:
        """Rows by organisations; a "Summe" column only when there are several."""
        grid = pivot(
            ((row, org, n) for org, row, n in counts),
            [r for r, _l in labelled_rows],
            self.scope.ids,
        )
        return CountTable(
            row_header,
            self._org_columns(),
            [(label, values) for (_r, label), values in zip(labelled_rows, grid, strict=True)],
            row_totals=len(self.scope.ids) > 1,
            **options,
        )

    def _counted_cases(self) -> list[ColumnElement[bool]]:
        """The cases of the scope, archived ones included (SPEC §6.6)."""
        return [Case.organisation_id.in_(ORGANISATIONS)]

    def grouped_rows(self, statement: Any, *, by_organisation: bool = True) -> list[Any]:
        """The rows of a grouped count over the scope's organisations (``ORGANISATIONS``),
        each organisation's kept on their own (``organisation_rows``)."""
        return organisation_rows(
            self.session, statement, self.scope.ids, by_organisation=by_organisation
        )

    # -- 1. cases --

    def overview(self) -> CountTable:
        start, end = self.period.start, self.period.end
        open_at_end = and_(
            Case.opened_on <= end, or_(Case.closed_on.is_(None), Case.closed_on > end)
        )
        statement = (
            select(
                Case.organisation_id,
                func.sum(case((open_at_end, 1), else_=0)),
                func.sum(case((Case.opened_on >= start, 1), else_=0)),
                func.sum(case((Case.closed_on.between(start, end), 1), else_=0)),
            )
            .where(*self._counted_cases(), Case.opened_on <= end)
            .group_by(Case.organisation_id)
        )
        found = {
            org: [int(a or 0), int(b or 0), int(c or 0)]
            for org, a, b, c in self.grouped_rows(statement)
        }
        overdue_of = {org: int(n) for org, n in self.grouped_rows(overdue_referrals(self.today))}
        rows = [
            (org.name, [*found.get(org.id, [0, 0, 0]), overdue_of.get(org.id, 0)])
            for org in self.scope.organisations
        ]
        return CountTable(
            "Organisation",
            [
                "offene Fälle am Ende des Zeitraums",
                "eröffnete Fälle",
                "abgeschlossene Fälle",
                "überfällige Vermittlungen (heute)",
            ],
            rows,
            column_totals=len(rows) > 1,
            rows_add_up=False,
        )

    def cases_per_month(self) -> CountTable:
        year, month = date_part("year", Case.opened_on), date_part("month", Case.opened_on)
        statement = (
            select(Case.organisation_id, year, month, func.count())
            .where(
                *self._counted_cases(), Case.opened_on.between(self.period.start, self.period.end)
            )
            .group_by(Case.organisation_id, year, month)
        )
        counts = [(org, (int(y), int(m)), n) for org, y, m, n in self.grouped_rows(statement)]
        months = [(key, f"{key[1]:02d}/{key[0]}") for key in self.period.months()]
        return self._by_organisation("Monat", months, counts, chart="bar")

    def closure_reasons(self) -> CountTable:
        statement = (
            select(Case.organisation_id, Case.closure_reason, func.count())
            .where(
                *self._counted_cases(), Case.closed_on.between(self.period.start, self.period.end)
            )
            .group_by(Case.organisation_id, Case.closure_reason)
        )
        reasons = [(code, str(label)) for code, label in ClosureReason.choices()]
        return self._by_organisation("Abschlussgrund", reasons, self.grouped_rows(statement))

    def duration_counts(self) -> list[Any]:
        """``(organisation, days, cases)`` of the cases closed in the period."""
        days = days_between(Case.opened_on, Case.closed_on)
        statement = (
            select(Case.organisation_id, days, func.count())
            .where(
                *self._counted_cases(), Case.closed_on.between(self.period.start, self.period.end)
            )
            .group_by(Case.organisation_id, days)
        )
        return self.grouped_rows(statement)

    def durations(self) -> list[tuple[int, list[Cell]]]:
        """Per organisation: closed cases and the median of their duration in days."""
        return self._medians(self.duration_counts())

    def _medians(self, rows: Iterable[tuple[int, int, int]]) -> list[tuple[int, list[Cell]]]:
        result: list[tuple[int, list[Cell]]] = []
        per_org: dict[int, list[tuple[float, int]]] = defaultdict(list)
        for org, value, count in rows:
            per_org[org].append((float(value), int(count)))
        every = [pair for pairs in per_org.values() for pair in pairs]
        keyed = [(org.id, per_org.get(org.id, [])) for org in self.scope.organisations]
        if len(self.scope.ids) > 1:
            keyed.append((0, every))
        for org_id, pairs in keyed:
            n = sum(count for _value, count in pairs)
            median = median_from_counts(pairs)
            if self.suppressed and not median_is_safe(n):
                median = None
            result.append((org_id, [median]))
        return result

    # -- 2. clients --

    def _clients_in_period(self) -> list[ColumnElement[bool]]:
        with_open_case = select(Case.client_id).where(
            *self._counted_cases(),
            Case.opened_on <= self.period.end,
            or_(Case.closed_on.is_(None), Case.closed_on >= self.period.start),
        )
        return [
            Client.organisation_id.in_(ORGANISATIONS),
            Client.id.in_(with_open_case),
        ]

    def _client_dimensions(self) -> dict[str, Any]:
        """The columns the six client tables group by, each by its name."""
        return {
            "residence_status": Client.residence_status,
            "benefits_domain": Client.benefits_domain,
            "gender": Client.gender,
            "district": cast(Client.district, String),  # a UNION's columns have one type
            "country_of_origin": Client.country_of_origin,
            "age": age_band(Client.date_of_birth, self.period.end),
        }

    @cached_property
    def _client_dimension_rows(self) -> list[Any]:
        """``(organisation, dimension, value, clients)``: the clients of the period counted
        by organisation for each dimension on its own (a few dozen rows), all six in one
        statement over one pass of the clients: a CTE named six times, which SQLite and
        PostgreSQL read once."""
        dimensions = self._client_dimensions()
        clients = (
            select(
                Client.organisation_id.label("org"),
                *(expression.label(name) for name, expression in dimensions.items()),
            )
            .where(*self._clients_in_period())
            .cte("clients_of_period")
        )
        # Grouped by the CTE's columns: a CASE with bound dates is not "the same
        # expression" to PostgreSQL.
        statement = union_all(
            *(
                select(clients.c.org, literal(name), clients.c[name], func.count()).group_by(
                    clients.c.org, clients.c[name]
                )
                for name in dimensions
            )
        )
        return organisation_rows(self.session, statement, self.scope.ids)

    def _client_counts(self, dimension: str) -> list[Any]:
        """``(organisation, value, clients)`` of one dimension (a key of
        ``_client_dimensions``)."""
        return [
            (org, value, n)
            for org, name, value, n in self._client_dimension_rows
            if name == dimension
        ]

    def _client_table(
        self,
        header: str,
        choices: Sequence[tuple[Any, str]],
        dimension: str,
        *,
        nullable: bool = True,
    ) -> CountTable:
        counts = self._client_counts(dimension)
        rows = [*choices, *([(None, UNKNOWN)] if nullable else [])]
        return self._by_organisation(header, rows, counts)

    def clients_by_residence_status(self) -> CountTable:
        return self._client_table(
            "Aufenthaltsstatus",
            [(code, str(label)) for code, label in ResidenceStatus.choices()],
            "residence_status",
        )

    def clients_by_benefits_domain(self) -> CountTable:
        return self._client_table(
            "Rechtskreis",
            [(code, str(label)) for code, label in BenefitsDomain.choices()],
            "benefits_domain",
        )

    def clients_by_gender(self) -> CountTable:
        return self._client_table(
            "Geschlecht",
            [(code, str(label)) for code, label in Gender.choices()],
            "gender",
            nullable=False,  # "keine Angabe" is a value of its own
        )

    def clients_by_district(self) -> CountTable:
        return self._client_table(
            "Stadtbezirk",
            [(str(number), f"Stadtbezirk {number}") for number in range(1, 11)],
            "district",
        )

    def clients_by_age(self) -> CountTable:
        bands = [(label, label) for label, _below in AGE_BANDS]
        counts = self._client_counts("age")
        return self._by_organisation("Altersgruppe", [*bands, (UNKNOWN, UNKNOWN)], counts)

    def clients_by_country(self) -> CountTable:
        counts = self._client_counts("country_of_origin")
        totals: dict[str, int] = defaultdict(int)
        for _org, code, n in counts:
            if code:
                totals[code] += n
        top = sorted(totals, key=lambda code: (-totals[code], country_name(code)))[:TOP_COUNTRIES]
        others = "andere Länder"
        folded = [
            (org, code if code in top or code is None else others, n) for org, code, n in counts
        ]
        rows = [(code, country_name(code)) for code in top] + [(others, others), (None, UNKNOWN)]
        return self._by_organisation("Herkunftsland", rows, folded)

    # -- 3. referrals --

    def _referrals_in_period(self) -> list[ColumnElement[bool]]:
        # A referral belongs to its case's organisation (stamped with it, ``OrgOwned``):
        # its own column selects the scope's, through the index on (organisation, day).
        return [
            Referral.organisation_id.in_(ORGANISATIONS),
            Referral.referred_on.between(self.period.start, self.period.end),
        ]

    @cached_property
    def _referral_status_counts(self) -> list[Any]:
        """One query for the status table and the key figures, whichever comes first."""
        statement = (
            select(Referral.organisation_id, Referral.status, func.count())
            .select_from(Referral)
            .where(*self._referrals_in_period())
            .group_by(Referral.organisation_id, Referral.status)
        )
        return self.grouped_rows(statement)

    def referrals_by_status(self) -> CountTable:
        statuses = [(code, str(label)) for code, label in ReferralStatus.choices()]
        return self._by_organisation("Status", statuses, self._referral_status_counts, chart="bar")

    def referrals_by_partner(self) -> CountTable:
        statement = (
            select(
                Referral.organisation_id, Partner.id, Partner.name, Referral.status, func.count()
            )
            .select_from(Referral)
            .join(Partner, Referral.partner_id == Partner.id)
            .where(*self._referrals_in_period())
            .group_by(Referral.organisation_id, Partner.id, Partner.name, Referral.status)
        )
        found = self.grouped_rows(statement, by_organisation=False)
        partners = sorted({(pid, name) for pid, name, _s, _n in found}, key=lambda item: item[1])
        statuses = [code for code, _label in ReferralStatus.choices()]
        grid = pivot(
            ((pid, status, n) for pid, _name, status, n in found),
            [p for p, _n in partners],
            statuses,
        )
        return CountTable(
            "Partner",
            [str(label) for _code, label in ReferralStatus.choices()],
            [(name, values) for (_pid, name), values in zip(partners, grid, strict=True)],
            row_totals=True,
        )

    def response_day_counts(self) -> list[Any]:
        """``(organisation, days, referrals)``: days from referral to answer, of the
        referrals of the period that were answered."""
        days = days_between(Referral.referred_on, Referral.responded_on)
        statement = (
            select(Referral.organisation_id, days, func.count())
            .select_from(Referral)
            .where(*self._referrals_in_period(), Referral.responded_on.is_not(None))
            .group_by(Referral.organisation_id, days)
        )
        return self.grouped_rows(statement)

    def referral_figures(self) -> list[tuple[int, list[Cell]]]:
        """Per organisation: acceptance rate and median days until the partner answered."""
        medians = dict(self._medians(self.response_day_counts()))
        by_status = self.referrals_by_status()
        statuses = [code for code, _label in ReferralStatus.choices()]
        positive = [statuses.index(status) for status in ANSWERED_POSITIVE]
        answered = [statuses.index(status) for status in ANSWERED]
        result = []
        org_ids = [*self.scope.ids, *([0] if len(self.scope.ids) > 1 else [])]
        for index, org_id in enumerate(org_ids):
            column = [values[index] if org_id else sum(values) for _label, values in by_status.rows]
            numerator = sum(column[i] for i in positive)
            denominator = sum(column[i] for i in answered)
            shown_rate = rate(numerator, denominator)
            if self.suppressed and not rate_is_safe(numerator, denominator):
                shown_rate = None
            result.append((org_id, [shown_rate, *medians[org_id]]))
        return result

    def key_figures(self) -> FigureTable:
        """Medians and the acceptance rate per organisation (not counts: not suppressed
        as cells, but left out across organisations when fewer than five values stand
        behind them, or when the rate would give away a count from 1 to 4)."""
        durations = dict(self.durations())
        referrals = dict(self.referral_figures())
        names = {org.id: org.name for org in self.scope.organisations} | {0: "alle Organisationen"}
        rows = [
            ShownRow(names[org_id], [*durations[org_id], *referrals[org_id]], is_total=org_id == 0)
            for org_id in durations
        ]
        return FigureTable(
            [
                "Organisation",
                "Median Falldauer abgeschlossener Fälle (Tage)",
                "Annahmequote (angenommen + abgeschlossen von beantworteten, %)",
                "Median Tage bis zur Antwort",
            ],
            rows,
            note=f"{DASH} : keine Werte, oder (Koordination) weniger als 5 Werte dahinter."
            if self.suppressed
            else f"{DASH} : keine Werte im Zeitraum.",
        )

    # -- 4. barriers --

    def _barriers_in_period(self, category_id: int | None = None) -> list[ColumnElement[bool]]:
        # A barrier belongs to its case's organisation (stamped with it, ``OrgOwned``):
        # its own column selects the scope's, through the index on (organisation, day),
        # without the join to the cases.
        criteria: list[ColumnElement[bool]] = [
            Barrier.organisation_id.in_(ORGANISATIONS),
            Barrier.observed_on.between(self.period.start, self.period.end),
        ]
        if category_id is not None:
            criteria.append(Barrier.category_id == category_id)
        return criteria

    def _category_rows(self, found: Iterable[tuple[int, str, int]]) -> list[tuple[int, str]]:
        return [(cid, name) for cid, name, _order in sorted(set(found), key=lambda c: (c[2], c[1]))]

    def barriers_by_category(self) -> CountTable:
        """Category by status, with the link to the drill-down per category."""
        statement = (
            select(
                Barrier.organisation_id,
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                Barrier.status,
                func.count(),
            )
            .select_from(Barrier)
            .join(BarrierCategory, Barrier.category_id == BarrierCategory.id)
            .where(*self._barriers_in_period())
            .group_by(
                Barrier.organisation_id,
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                Barrier.status,
            )
        )
        found = self.grouped_rows(statement, by_organisation=False)
        categories = self._category_rows((c, name, order) for c, name, order, _s, _n in found)
        statuses = [code for code, _label in BarrierStatus.choices()]
        grid = pivot(
            ((c, s, n) for c, _name, _o, s, n in found), [c for c, _n in categories], statuses
        )
        return CountTable(
            "Kategorie",
            [str(label) for _code, label in BarrierStatus.choices()],
            [(name, values) for (_c, name), values in zip(categories, grid, strict=True)],
            row_totals=True,
            chart="bar",
            row_ids=[c for c, _n in categories],
            drill=True,
        )

    def cases_affected_by_category(self) -> CountTable:
        """Distinct cases with a barrier of each category; the totals count each case once."""
        statement = (
            select(
                Barrier.organisation_id,
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                func.count(distinct(Barrier.case_id)),
            )
            .select_from(Barrier)
            .join(BarrierCategory, Barrier.category_id == BarrierCategory.id)
            .where(*self._barriers_in_period())
            .group_by(
                Barrier.organisation_id,
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
            )
        )
        total = (
            select(Barrier.organisation_id, func.count(distinct(Barrier.case_id)))
            .select_from(Barrier)
            .where(*self._barriers_in_period())
            .group_by(Barrier.organisation_id)
        )
        found = self.grouped_rows(statement)
        categories = self._category_rows((c, name, order) for _org, c, name, order, _n in found)
        total_of = {org: int(n) for org, n in self.grouped_rows(total)}
        return self._by_organisation(
            "Kategorie",
            categories,
            [(org, c, n) for org, c, _name, _o, n in found],
            total_row=[total_of.get(org_id, 0) for org_id in self.scope.ids],
            note="Ein Fall mit Barrieren mehrerer Kategorien zählt in der Summe einmal.",
        )

    def barriers_by_quarter(self) -> CountTable:
        year, quarter = date_part("year", Barrier.observed_on), date_quarter(Barrier.observed_on)
        groups = (
            Barrier.organisation_id,
            BarrierCategory.id,
            BarrierCategory.name,
            BarrierCategory.sort_order,
            year,
            quarter,
        )
        statement = (
            select(*groups, func.count())
            .select_from(Barrier)
            .join(BarrierCategory, Barrier.category_id == BarrierCategory.id)
            .where(*self._barriers_in_period())
            .group_by(*groups)
        )
        found = self.grouped_rows(statement, by_organisation=False)
        categories = self._category_rows((c, name, order) for c, name, order, _y, _m, _n in found)
        quarters = self.period.quarters()
        grid = pivot(
            ((c, (int(y), int(q)), n) for c, _name, _o, y, q, n in found),
            [c for c, _n in categories],
            quarters,
        )
        return CountTable(
            "Kategorie",
            [quarter_label(quarter) for quarter in quarters],
            [(name, values) for (_c, name), values in zip(categories, grid, strict=True)],
            row_totals=True,
            row_ids=[c for c, _n in categories],
            drill=True,
        )

    def barrier_trend(self, category_id: int) -> CountTable:
        """One category: quarter by status."""
        year, quarter = date_part("year", Barrier.observed_on), date_quarter(Barrier.observed_on)
        statement = (
            select(Barrier.organisation_id, year, quarter, Barrier.status, func.count())
            .select_from(Barrier)
            .where(*self._barriers_in_period(category_id))
            .group_by(Barrier.organisation_id, year, quarter, Barrier.status)
        )
        found = self.grouped_rows(statement, by_organisation=False)
        quarters = self.period.quarters()
        statuses = [code for code, _label in BarrierStatus.choices()]
        grid = pivot(
            (((int(y), int(q)), s, n) for y, q, s, n in found),
            quarters,
            statuses,
        )
        return CountTable(
            "Quartal",
            [str(label) for _code, label in BarrierStatus.choices()],
            [(quarter_label(q), values) for q, values in zip(quarters, grid, strict=True)],
            row_totals=True,
            chart="bar",
        )

    def barriers_by_partner(self, category_id: int | None = None) -> CountTable:
        """Partner by status: of every barrier, or of one category's (its drill-down)."""
        statement = (
            select(Barrier.organisation_id, Partner.id, Partner.name, Barrier.status, func.count())
            .select_from(Barrier)
            .outerjoin(Partner, Barrier.partner_id == Partner.id)
            .where(*self._barriers_in_period(category_id))
            .group_by(Barrier.organisation_id, Partner.id, Partner.name, Barrier.status)
        )
        found = self.grouped_rows(statement, by_organisation=False)
        without = "ohne Partner"
        partners = sorted(
            {(pid, name or without) for pid, name, _s, _n in found},
            key=lambda p: (p[0] is None, p[1]),
        )
        statuses = [code for code, _label in BarrierStatus.choices()]
        grid = pivot(
            ((pid, s, n) for pid, _name, s, n in found), [p for p, _n in partners], statuses
        )
        return CountTable(
            "Partner",
            [str(label) for _code, label in BarrierStatus.choices()],
            [(name, values) for (_p, name), values in zip(partners, grid, strict=True)],
            row_totals=True,
        )
