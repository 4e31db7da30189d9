"""The figures of SPEC §6 as aggregate SQL, one GROUP BY query per table.

Nothing here loops over cases in Python: every query returns one row per group (an
organisation, a category, a month, a number of days), so the number of queries and the
size of their results do not grow with the caseload. Medians come from a query that
counts how often each value occurs per group (``median_from_counts``).

The figures are for a ``Scope``: the own organisation of a case-level user, or all
organisations (or one chosen) for the coordination, where every count table is shown
through ``models.suppression``. Records that are archived (soft-deleted) are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, distinct, extract, func, or_, select
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
from models.organisation import Organisation
from models.referral import Referral, overdue_condition
from models.suppression import THRESHOLD, suppress

TOTAL = "Summe"
UNKNOWN = "keine Angabe"
DASH = "\u2013"  # the German range and "no value" dash
MAX_PERIOD_DAYS = 366 * 5
TOP_COUNTRIES = 10

PRESETS: dict[str, str] = {
    "this_year": "dieses Jahr",
    "last_year": "letztes Jahr",
    "last_quarter": "letztes Quartal",
    "last_12_months": "letzte 12 Monate",
}
DEFAULT_PRESET = "this_year"
AGE_BANDS: list[tuple[str, int | None]] = [
    (f"0{DASH}17", 18),
    (f"18{DASH}26", 27),
    (f"27{DASH}49", 50),
    (f"50{DASH}64", 65),
    ("65+", None),
]
ANSWERED_POSITIVE = (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED)
ANSWERED = (*ANSWERED_POSITIVE, ReferralStatus.DECLINED)


# --- periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: dt.date
    end: dt.date
    preset: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("Das Ende des Zeitraums liegt vor dem Anfang.")
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValueError("Der Zeitraum darf höchstens fünf Jahre umfassen.")

    @property
    def label(self) -> str:
        return f"{self.start:%d.%m.%Y} {DASH} {self.end:%d.%m.%Y}"

    def months(self) -> list[tuple[int, int]]:
        year, month = self.start.year, self.start.month
        months = []
        while (year, month) <= (self.end.year, self.end.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def quarters(self) -> list[tuple[int, int]]:
        return list(dict.fromkeys(quarter_of(year, month) for year, month in self.months()))


def quarter_of(year: int, month: int) -> tuple[int, int]:
    return year, (month - 1) // 3 + 1


def quarter_label(quarter: tuple[int, int]) -> str:
    return f"{quarter[1]}. Quartal {quarter[0]}"


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def preset_period(name: str, today: dt.date) -> Period:
    """The period a preset means on ``today``; an unknown name is the current year."""
    if name == "last_year":
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), name)
    if name == "last_quarter":
        end = quarter_start(today) - dt.timedelta(days=1)
        return Period(quarter_start(end), end, name)
    if name == "last_12_months":
        return Period(_years_before(today, 1) + dt.timedelta(days=1), today, name)
    return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31), DEFAULT_PRESET)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# --- scope -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationColumn:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Scope:
    """Whose figures: the organisations counted, and whether small cells are suppressed."""

    organisations: tuple[OrganisationColumn, ...]
    across_organisations: bool

    @property
    def ids(self) -> list[int]:
        return [organisation.id for organisation in self.organisations]

    @property
    def slug(self) -> str:
        if len(self.organisations) == 1:
            return self.organisations[0].slug
        return "alle"


def load_scope(
    session: Session | scoped_session[Any], organisation_ids: Sequence[int] | None, across: bool
) -> Scope:
    """The organisations of the scope; ``None`` means all of them (coordination)."""
    statement = select(Organisation.id, Organisation.slug, Organisation.name).order_by(
        Organisation.name
    )
    if organisation_ids is not None:
        statement = statement.where(Organisation.id.in_(organisation_ids))
    columns = tuple(OrganisationColumn(*row) for row in session.execute(statement))
    return Scope(columns, across)


# --- tables ----------------------------------------------------------------------------

Cell = int | float | str | None


@dataclass
class ShownRow:
    label: str
    cells: list[Cell]
    is_total: bool = False
    row_id: int | None = None


@dataclass
class ShownTable:
    """A table as a person may see it: suppressed where needed, ready for page and CSV."""

    key: str
    title: str
    header: list[str]
    rows: list[ShownRow]
    note: str = ""
    chart: str | None = None
    drill: bool = False

    def csv_rows(self) -> Iterable[list[Cell]]:
        for row in self.rows:
            yield [row.label, *row.cells]

    def chart_bars(self) -> list[tuple[str, Cell]]:
        """Label and last cell (the row's total) of each row but the totals row."""
        return [
            (row.label, row.cells[-1] if row.cells else None)
            for row in self.rows
            if not row.is_total
        ]


@dataclass
class CountTable:
    """Counts by row and column; ``shown`` adds the totals and applies suppression."""

    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[int]]]
    row_totals: bool = False
    column_totals: bool = True
    # Totals that are not sums (distinct cases over categories); None: the column sums.
    total_row: list[int] | None = None
    # False when the columns are different measures, so a row is no equation.
    rows_add_up: bool = True
    note: str = ""
    chart: str | None = None
    row_ids: list[int | None] = field(default_factory=list)
    drill: bool = False

    def grid(self) -> tuple[list[str], list[str], list[list[int]]]:
        """Header, row labels and counts, totals included."""
        header = [self.row_header, *self.columns] + ([TOTAL] if self.row_totals else [])
        labels = [label for label, _values in self.rows]
        grid = [
            [*values, *([sum(values)] if self.row_totals else [])] for _label, values in self.rows
        ]
        if self.column_totals:
            if self.total_row is not None:
                totals = list(self.total_row)
            else:
                totals = [
                    sum(values[index] for _label, values in self.rows)
                    for index in range(len(self.columns))
                ]
            if self.row_totals:
                totals.append(sum(totals))
            labels.append(TOTAL)
            grid.append(totals)
        return header, labels, grid

    def shown(self, suppressed: bool) -> ShownTable:
        header, labels, grid = self.grid()
        cells: list[list[Any]] = (
            suppress(grid, rows_add_up=self.rows_add_up and self.row_totals)
            if suppressed
            else [list(row) for row in grid]
        )
        ids = list(self.row_ids) + [None] * (len(labels) - len(self.row_ids))
        rows = [
            ShownRow(label, row_cells, self.column_totals and index == len(labels) - 1, ids[index])
            for index, (label, row_cells) in enumerate(zip(labels, cells, strict=True))
        ]
        return ShownTable(self.key, self.title, header, rows, self.note, self.chart, self.drill)


def pivot(
    counts: Iterable[tuple[Any, Any, int]], row_keys: Sequence[Any], column_keys: Sequence[Any]
) -> list[list[int]]:
    """Grouped ``(row, column, count)`` results as a full grid; missing groups are 0."""
    found: dict[tuple[Any, Any], int] = defaultdict(int)
    for row_key, column_key, count in counts:
        found[row_key, column_key] += int(count)
    return [[found[row_key, column_key] for column_key in column_keys] for row_key in row_keys]


def median_from_counts(value_counts: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how often); the mean of the two middle ones."""
    ordered = sorted((float(value), int(count)) for value, count in value_counts if count)
    total = sum(count for _value, count in ordered)
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[float] = []
    seen = 0
    for value, count in ordered:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    median = sum(found) / 2
    return int(median) if median.is_integer() else median


def rate(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


def rate_is_safe(numerator: int, denominator: int) -> bool:
    """A rate across organisations may show when none of the counts it implies is 1 to 4."""
    return denominator >= THRESHOLD and all(
        count == 0 or count >= THRESHOLD for count in (numerator, denominator - numerator)
    )


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


def age_band(date_of_birth: Any, at: dt.date) -> ColumnElement[str]:
    """The age band at ``at`` as a CASE over birth dates (no date arithmetic in SQL)."""
    whens: list[tuple[ColumnElement[bool], str]] = [(date_of_birth.is_(None), UNKNOWN)]
    for label, below in AGE_BANDS:
        if below is not None:
            whens.append((date_of_birth > _years_before(at, below), label))
    return case(*whens, else_=AGE_BANDS[-1][0])


# --- the report ------------------------------------------------------------------------


class Statistics:
    """The tables of the statistics page for one scope and period."""

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
        key: str,
        title: str,
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
            key,
            title,
            row_header,
            self._org_columns(),
            [(label, values) for (_r, label), values in zip(labelled_rows, grid, strict=True)],
            row_totals=len(self.scope.ids) > 1,
            **options,
        )

    def _live_cases(self) -> list[ColumnElement[bool]]:
        return [Case.organisation_id.in_(self.scope.ids), Case.archived_at.is_(None)]

    def _rows(self, statement: Any) -> list[Any]:
        return list(self.session.execute(statement))

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
            .where(*self._live_cases(), Case.opened_on <= end)
            .group_by(Case.organisation_id)
        )
        overdue = (
            select(Referral.organisation_id, func.count())
            .join(Case, Referral.case_id == Case.id)
            .where(
                *self._live_cases(),
                overdue_condition(self.today),
            )
            .group_by(Referral.organisation_id)
        )
        found = {
            org: [int(a or 0), int(b or 0), int(c or 0)] for org, a, b, c in self._rows(statement)
        }
        overdue_of = {org: int(n) for org, n in self._rows(overdue)}
        rows = [
            (org.name, [*found.get(org.id, [0, 0, 0]), overdue_of.get(org.id, 0)])
            for org in self.scope.organisations
        ]
        return CountTable(
            "uebersicht",
            "Fälle und Wiedervorlagen",
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
        year, month = extract("year", Case.opened_on), extract("month", Case.opened_on)
        statement = (
            select(Case.organisation_id, year, month, func.count())
            .where(*self._live_cases(), Case.opened_on.between(self.period.start, self.period.end))
            .group_by(Case.organisation_id, year, month)
        )
        counts = [(org, (int(y), int(m)), n) for org, y, m, n in self._rows(statement)]
        months = [(key, f"{key[1]:02d}/{key[0]}") for key in self.period.months()]
        return self._by_organisation(
            "faelle_monat",
            "Eröffnete Fälle je Monat",
            "Monat",
            months,
            counts,
            chart="bar",
        )

    def closure_reasons(self) -> CountTable:
        statement = (
            select(Case.organisation_id, Case.closure_reason, func.count())
            .where(*self._live_cases(), Case.closed_on.between(self.period.start, self.period.end))
            .group_by(Case.organisation_id, Case.closure_reason)
        )
        reasons = [(code, str(label)) for code, label in ClosureReason.choices()]
        return self._by_organisation(
            "abschlussgruende",
            "Abgeschlossene Fälle nach Abschlussgrund",
            "Abschlussgrund",
            reasons,
            self._rows(statement),
        )

    def durations(self) -> list[tuple[int, list[Cell]]]:
        """Per organisation: closed cases and the median of their duration in days."""
        days = days_between(Case.opened_on, Case.closed_on)
        statement = (
            select(Case.organisation_id, days, func.count())
            .where(*self._live_cases(), Case.closed_on.between(self.period.start, self.period.end))
            .group_by(Case.organisation_id, days)
        )
        return self._medians(self._rows(statement))

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
            if self.suppressed and n < THRESHOLD:
                median = None
            result.append((org_id, [median]))
        return result

    # -- 2. clients --

    def _clients_in_period(self) -> list[ColumnElement[bool]]:
        with_open_case = select(Case.client_id).where(
            *self._live_cases(),
            Case.opened_on <= self.period.end,
            or_(Case.closed_on.is_(None), Case.closed_on >= self.period.start),
        )
        return [
            Client.organisation_id.in_(self.scope.ids),
            Client.archived_at.is_(None),
            Client.id.in_(with_open_case),
        ]

    def _client_counts(self, dimension: Any) -> list[Any]:
        inner = (
            select(Client.organisation_id.label("org"), dimension.label("value"))
            .where(*self._clients_in_period())
            .subquery()
        )
        # Grouped outside: a CASE with bound dates is not "the same expression" to PostgreSQL.
        statement = select(inner.c.org, inner.c.value, func.count()).group_by(
            inner.c.org, inner.c.value
        )
        return [(org, value, n) for org, value, n in self._rows(statement)]

    def _client_table(
        self,
        key: str,
        title: str,
        header: str,
        choices: Sequence[tuple[Any, str]],
        dimension: Any,
        *,
        nullable: bool = True,
    ) -> CountTable:
        counts = self._client_counts(dimension)
        rows = [*choices, *([(None, UNKNOWN)] if nullable else [])]
        return self._by_organisation(key, title, header, rows, counts)

    def clients_by_residence_status(self) -> CountTable:
        return self._client_table(
            "klienten_aufenthaltsstatus",
            "Klient*innen nach Aufenthaltsstatus",
            "Aufenthaltsstatus",
            [(code, str(label)) for code, label in ResidenceStatus.choices()],
            Client.residence_status,
        )

    def clients_by_benefits_domain(self) -> CountTable:
        return self._client_table(
            "klienten_rechtskreis",
            "Klient*innen nach Rechtskreis",
            "Rechtskreis",
            [(code, str(label)) for code, label in BenefitsDomain.choices()],
            Client.benefits_domain,
        )

    def clients_by_gender(self) -> CountTable:
        return self._client_table(
            "klienten_geschlecht",
            "Klient*innen nach Geschlecht",
            "Geschlecht",
            [(code, str(label)) for code, label in Gender.choices()],
            Client.gender,
            nullable=False,  # "keine Angabe" is a value of its own
        )

    def clients_by_district(self) -> CountTable:
        return self._client_table(
            "klienten_stadtbezirk",
            "Klient*innen nach Stadtbezirk",
            "Stadtbezirk",
            [(number, f"Stadtbezirk {number}") for number in range(1, 11)],
            Client.district,
        )

    def clients_by_age(self) -> CountTable:
        bands = [(label, label) for label, _below in AGE_BANDS]
        counts = self._client_counts(age_band(Client.date_of_birth, self.period.end))
        return self._by_organisation(
            "klienten_alter",
            "Klient*innen nach Altersgruppe (Alter am Ende des Zeitraums)",
            "Altersgruppe",
            [*bands, (UNKNOWN, UNKNOWN)],
            counts,
        )

    def clients_by_country(self) -> CountTable:
        counts = self._client_counts(Client.country_of_origin)
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
        return self._by_organisation(
            "klienten_herkunft",
            "Klient*innen nach Herkunftsland (die zehn häufigsten)",
            "Herkunftsland",
            rows,
            folded,
        )

    # -- 3. referrals --

    def _referrals_in_period(self) -> list[ColumnElement[bool]]:
        return [
            *self._live_cases(),
            Referral.referred_on.between(self.period.start, self.period.end),
        ]

    def referrals_by_status(self) -> CountTable:
        statement = (
            select(Referral.organisation_id, Referral.status, func.count())
            .join(Case, Referral.case_id == Case.id)
            .where(*self._referrals_in_period())
            .group_by(Referral.organisation_id, Referral.status)
        )
        statuses = [(code, str(label)) for code, label in ReferralStatus.choices()]
        return self._by_organisation(
            "vermittlungen_status",
            "Vermittlungen nach Status",
            "Status",
            statuses,
            self._rows(statement),
            chart="bar",
        )

    def referrals_by_partner(self) -> CountTable:
        statement = (
            select(Partner.id, Partner.name, Referral.status, func.count())
            .join(Case, Referral.case_id == Case.id)
            .join(Partner, Referral.partner_id == Partner.id)
            .where(*self._referrals_in_period())
            .group_by(Partner.id, Partner.name, Referral.status)
        )
        found = self._rows(statement)
        partners = sorted({(pid, name) for pid, name, _s, _n in found}, key=lambda item: item[1])
        statuses = [code for code, _label in ReferralStatus.choices()]
        grid = pivot(
            ((pid, status, n) for pid, _name, status, n in found),
            [p for p, _n in partners],
            statuses,
        )
        return CountTable(
            "vermittlungen_partner",
            "Vermittlungen nach Partner und Status",
            "Partner",
            [str(label) for _code, label in ReferralStatus.choices()],
            [(name, values) for (_pid, name), values in zip(partners, grid, strict=True)],
            row_totals=True,
        )

    def referral_figures(self, by_status: CountTable) -> list[tuple[int, list[Cell]]]:
        """Per organisation: acceptance rate and median days until the partner answered."""
        days = days_between(Referral.referred_on, Referral.responded_on)
        statement = (
            select(Referral.organisation_id, days, func.count())
            .join(Case, Referral.case_id == Case.id)
            .where(*self._referrals_in_period(), Referral.responded_on.is_not(None))
            .group_by(Referral.organisation_id, days)
        )
        medians = dict(self._medians(self._rows(statement)))
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

    def key_figures(self, by_status: CountTable) -> ShownTable:
        """Medians and the acceptance rate per organisation (not counts: not suppressed
        as cells, but left out across organisations when fewer than five values stand
        behind them, or when the rate would give away a count from 1 to 4)."""
        durations = dict(self.durations())
        referrals = dict(self.referral_figures(by_status))
        names = {org.id: org.name for org in self.scope.organisations} | {0: "alle Organisationen"}
        rows = [
            ShownRow(names[org_id], [*durations[org_id], *referrals[org_id]], is_total=org_id == 0)
            for org_id in durations
        ]
        return ShownTable(
            "kennzahlen",
            "Kennzahlen",
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
        criteria = [
            *self._live_cases(),
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
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                Barrier.status,
                func.count(),
            )
            .join(Case, Barrier.case_id == Case.id)
            .join(BarrierCategory, Barrier.category_id == BarrierCategory.id)
            .where(*self._barriers_in_period())
            .group_by(
                BarrierCategory.id, BarrierCategory.name, BarrierCategory.sort_order, Barrier.status
            )
        )
        found = self._rows(statement)
        categories = self._category_rows((c, name, order) for c, name, order, _s, _n in found)
        statuses = [code for code, _label in BarrierStatus.choices()]
        grid = pivot(
            ((c, s, n) for c, _name, _o, s, n in found), [c for c, _n in categories], statuses
        )
        return CountTable(
            "barrieren_kategorie",
            "Barrieren nach Kategorie und Status",
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
            .join(Case, Barrier.case_id == Case.id)
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
            .join(Case, Barrier.case_id == Case.id)
            .where(*self._barriers_in_period())
            .group_by(Barrier.organisation_id)
        )
        found = self._rows(statement)
        categories = self._category_rows((c, name, order) for _org, c, name, order, _n in found)
        total_of = {org: int(n) for org, n in self._rows(total)}
        table = self._by_organisation(
            "barrieren_faelle",
            "Von Barrieren betroffene Fälle nach Kategorie",
            "Kategorie",
            categories,
            [(org, c, n) for org, c, _name, _o, n in found],
            total_row=[total_of.get(org_id, 0) for org_id in self.scope.ids],
        )
        table.note = "Ein Fall mit Barrieren mehrerer Kategorien zählt in der Summe einmal."
        return table

    def barriers_by_quarter(self, category_id: int | None = None) -> CountTable:
        year, month = extract("year", Barrier.observed_on), extract("month", Barrier.observed_on)
        statement = (
            select(
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                year,
                month,
                func.count(),
            )
            .join(Case, Barrier.case_id == Case.id)
            .join(BarrierCategory, Barrier.category_id == BarrierCategory.id)
            .where(*self._barriers_in_period(category_id))
            .group_by(
                BarrierCategory.id, BarrierCategory.name, BarrierCategory.sort_order, year, month
            )
        )
        found = self._rows(statement)
        categories = self._category_rows((c, name, order) for c, name, order, _y, _m, _n in found)
        quarters = self.period.quarters()
        grid = pivot(
            ((c, quarter_of(int(y), int(m)), n) for c, _name, _o, y, m, n in found),
            [c for c, _n in categories],
            quarters,
        )
        return CountTable(
            "barrieren_quartal",
            "Barrieren nach Kategorie und Quartal",
            "Kategorie",
            [quarter_label(quarter) for quarter in quarters],
            [(name, values) for (_c, name), values in zip(categories, grid, strict=True)],
            row_totals=True,
            row_ids=[c for c, _n in categories],
            drill=category_id is None,
        )

    def barrier_trend(self, category_id: int) -> CountTable:
        """One category: quarter by status."""
        year, month = extract("year", Barrier.observed_on), extract("month", Barrier.observed_on)
        statement = (
            select(year, month, Barrier.status, func.count())
            .join(Case, Barrier.case_id == Case.id)
            .where(*self._barriers_in_period(category_id))
            .group_by(year, month, Barrier.status)
        )
        quarters = self.period.quarters()
        statuses = [code for code, _label in BarrierStatus.choices()]
        grid = pivot(
            ((quarter_of(int(y), int(m)), s, n) for y, m, s, n in self._rows(statement)),
            quarters,
            statuses,
        )
        return CountTable(
            "barrieren_trend",
            "Verlauf nach Quartal und Status",
            "Quartal",
            [str(label) for _code, label in BarrierStatus.choices()],
            [(quarter_label(q), values) for q, values in zip(quarters, grid, strict=True)],
            row_totals=True,
            chart="bar",
        )

    def barriers_by_partner(self, category_id: int | None = None) -> CountTable:
        statement = (
            select(Partner.id, Partner.name, Barrier.status, func.count())
            .join(Case, Barrier.case_id == Case.id)
            .outerjoin(Partner, Barrier.partner_id == Partner.id)
            .where(*self._barriers_in_period(category_id))
            .group_by(Partner.id, Partner.name, Barrier.status)
        )
        found = self._rows(statement)
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
            "barrieren_partner",
            "Barrieren nach Partner, bei dem sie auftraten",
            "Partner",
            [str(label) for _code, label in BarrierStatus.choices()],
            [(name, values) for (_p, name), values in zip(partners, grid, strict=True)],
            row_totals=True,
        )

    # -- the pages --

    def main_tables(self) -> list[ShownTable]:
        """Every table of the statistics page, in the order shown."""
        by_status = self.referrals_by_status()
        tables = [
            self.overview(),
            self.cases_per_month(),
            self.closure_reasons(),
            self.barriers_by_category(),
            self.cases_affected_by_category(),
            self.barriers_by_quarter(),
            self.barriers_by_partner(),
            by_status,
            self.referrals_by_partner(),
            self.clients_by_residence_status(),
            self.clients_by_benefits_domain(),
            self.clients_by_country(),
            self.clients_by_age(),
            self.clients_by_gender(),
            self.clients_by_district(),
        ]
        shown = [table.shown(self.suppressed) for table in tables]
        shown.insert(3, self.key_figures(by_status))
        return shown

    def category_tables(self, category_id: int) -> list[ShownTable]:
        """The drill-down of one barrier category: its quarters and the partners involved."""
        partners = self.barriers_by_partner(category_id)
        partners.key = "barrieren_kategorie_partner"
        return [
            self.barrier_trend(category_id).shown(self.suppressed),
            partners.shown(self.suppressed),
        ]

    def table(self, key: str, category_id: int | None = None) -> ShownTable | None:
        """One table by key, with only the queries it needs (for the CSV download)."""
        if category_id is not None:
            return next((t for t in self.category_tables(category_id) if t.key == key), None)
        if key == "kennzahlen":
            return self.key_figures(self.referrals_by_status())
        builders = {
            "uebersicht": self.overview,
            "faelle_monat": self.cases_per_month,
            "abschlussgruende": self.closure_reasons,
            "barrieren_kategorie": self.barriers_by_category,
            "barrieren_faelle": self.cases_affected_by_category,
            "barrieren_quartal": self.barriers_by_quarter,
            "barrieren_partner": self.barriers_by_partner,
            "vermittlungen_status": self.referrals_by_status,
            "vermittlungen_partner": self.referrals_by_partner,
            "klienten_aufenthaltsstatus": self.clients_by_residence_status,
            "klienten_rechtskreis": self.clients_by_benefits_domain,
            "klienten_herkunft": self.clients_by_country,
            "klienten_alter": self.clients_by_age,
            "klienten_geschlecht": self.clients_by_gender,
            "klienten_stadtbezirk": self.clients_by_district,
        }
        builder = builders.get(key)
        return builder().shown(self.suppressed) if builder else None

    def summary(self) -> dict[str, Any]:
        """The start page of the coordination: headline counts and the top barriers."""
        overview = self.overview().shown(self.suppressed)
        affected = self.cases_affected_by_category().shown(self.suppressed)
        totals = overview.rows[-1].cells
        category_rows = [row for row in affected.rows if not row.is_total]
        ranked = sorted(
            category_rows, key=lambda row: -(row.cells[-1] if isinstance(row.cells[-1], int) else 0)
        )
        return {
            "period": self.period,
            "open_cases": totals[0],
            "opened_cases": totals[1],
            "overdue_referrals": totals[3],
            "cases_with_barriers": affected.rows[-1].cells[-1],
            "top_barriers": [(row.label, row.cells[-1]) for row in ranked[:5]],
        }
