"""The coordination's figures: every table a cut of one protected cover (SPEC §6.5).

Threat model and method: ``docs/statistics-suppression.md``. Each family of linked tables
has one ``Cover`` with every figure any coordination request can show, for all
organisations and each one, and one suppression pattern (``protect``):

- case flows (opened by month, closed by reason, open at the end of each quarter) over
  the whole history up to the end of the current year, since the stock at the end of a
  quarter links every quarter to the one before;
- overdue referrals today, per organisation;
- barriers of one calendar year: category x status x quarter, and category x partner x
  status for the year;
- referrals of one calendar year: status x organisation x quarter, and partner x status
  for the year;
- cases affected by barriers (distinct cases) and the six client tables, of one calendar
  year: these counts do not add up over quarters, so the coordination gets them for years
  only.

One organisation is a column of the same cover, never freshly counted. Tables without an
organisation column exist for the coordination across all organisations only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby, product
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from models.barrier import Barrier
from models.case import Case
from models.catalogue import BarrierCategory, Partner
from models.choices import BarrierStatus, ClosureReason, ReferralStatus
from models.referral import Referral
from models.statistics.generation import FIGURES, ORGANISATIONS, Stored, organisation_rows
from models.statistics.periods import YEAR, Period, quarter_label
from models.statistics.queries import (
    ANSWERED,
    ANSWERED_POSITIVE,
    StatisticsQueries,
    date_part,
    date_quarter,
    overdue_referrals,
)
from models.statistics.scope import OrganisationColumn, Scope
from models.statistics.suppression import (
    Cover,
    Key,
    Publication,
    protect,
    publication_as_json,
    publication_from_json,
)
from models.statistics.tables import (
    TOTAL,
    Cell,
    CountTable,
    PublishedTable,
    ShownRow,
    median_from_counts,
    rate,
)

ALL = "*"  # the total over one axis of a cell key
# A protected cover is stored for every worker like the counts it is cut from.
STORED_PUBLICATION = Stored(publication_as_json, publication_from_json)
WITHOUT_PARTNER = "ohne Partner"
YEARS_ONLY = (
    "Diese Tabelle gibt es für die Koordination nur für ganze Kalenderjahre: ihre Zahlen "
    "(Personen oder Fälle im Zeitraum) addieren sich nicht über Quartale, so dass Quartal "
    "und Jahr zusammen kleine Zahlen verraten könnten."
)
ALL_ORGANISATIONS_ONLY = (
    "Diese Tabelle gibt es für die Koordination nur über alle Organisationen; die Tabellen "
    "mit einer Spalte je Organisation zeigen diese Organisation."
)
STATUSES = [code for code, _label in BarrierStatus.choices()]
REFERRAL_STATUSES = [code for code, _label in ReferralStatus.choices()]
REASONS = [code for code, _label in ClosureReason.choices()]
CLIENT_TABLES = (
    "klienten_aufenthaltsstatus",
    "klienten_rechtskreis",
    "klienten_herkunft",
    "klienten_alter",
    "klienten_geschlecht",
    "klienten_stadtbezirk",
)


@dataclass(frozen=True)
class Named:
    """A category or partner as a row: id (None: without partner), name, order."""

    id: int | None
    name: str
    sort_order: int = 0


def add_cube(
    cover: Cover,
    prefix: str,
    records: Iterable[tuple[tuple[Any, ...], int]],
    published: Callable[[tuple[Any, ...]], bool],
) -> None:
    """Counts of a cube whose every axis adds up to ``ALL``, with the margins that
    ``published`` admits, and an equation for every margin whose parts are published."""
    records = sorted(records, key=repr)  # the same cover, so the same pattern, every time
    # Records of the same coordinates (from several rows) are neighbours once sorted:
    # summed first, they add the same cells in the same order, once instead of thrice.
    merged = [
        (coordinates, sum(count for _c, count in group))
        for coordinates, group in groupby(records, key=lambda record: record[0])
    ]
    # Each cell adds to itself and to every margin above it: summed per key first (in the
    # order the keys are first met, the order of the cover's cells), each key is asked
    # ``published`` once and added once.
    sums: dict[tuple[Any, ...], int] = {}
    width = len(merged[0][0]) if merged else 0
    margins = [_margin_of(totals) for totals in product((False, True), repeat=width)]
    for coordinates, count in merged:
        if count < 0:
            raise ValueError("counts cannot be negative")
        if not count:
            continue
        cell = (*coordinates, ALL)
        for margin in margins:
            key = margin(cell)
            sums[key] = sums.get(key, 0) + count
    shown = {key: published(key) for key in sums}
    for key, count in sums.items():
        if shown[key]:
            cover.add((prefix, *key), count)
    keys = [key[1:] for key in cover.values if key[0] == prefix]
    for axis in range(len(keys[0]) if keys else 0):
        parts: dict[tuple[Any, ...], list[Key]] = defaultdict(list)
        for key in keys:
            if key[axis] != ALL:
                parent = (*key[:axis], ALL, *key[axis + 1 :])
                if shown[parent] if parent in shown else published(parent):
                    parts[parent].append((prefix, *key))
        for parent, children in parts.items():
            cover.total((prefix, *parent), children)


def _margin_of(totals: tuple[bool, ...]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The margin of a cell ``(*coordinates, ALL)`` that has ``ALL`` on the axes ``totals``
    marks: the coordinates, those axes replaced (a cube's every cell asks for each of its
    margins; picked in C, not built in a loop of Python)."""
    width = len(totals)
    picked = [width if total else axis for axis, total in enumerate(totals)]
    if width > 1:
        return itemgetter(*picked)
    if width == 1:
        return lambda cell: (cell[picked[0]],)
    return lambda _cell: ()


def add_org_table(
    cover: Cover,
    prefix: tuple[Any, ...],
    table: CountTable,
    total_key: tuple[Any, ...],
    *,
    with_total: bool = True,
) -> list[str]:
    """An exact table by organisation (every organisation) as cells
    ``(*prefix, label, org index)`` and ``ALL`` for the "Summe" column; its "Summe" row is
    ``(*total_key, org)`` (left out with ``with_total=False``: another table has it).
    Rows add up over organisations; returns the row labels."""
    _header, labels, grid = table.grid()
    count = len(table.columns)
    body = labels[:-1] if table.column_totals else labels
    lines: list[tuple[tuple[Any, ...], list[int]]] = [
        ((*prefix, label), values[:count]) for label, values in zip(body, grid, strict=False)
    ]
    if with_total:
        totals = grid[-1][:count] if table.column_totals else [0] * count
        lines.append((total_key, totals))
    for key, values in lines:
        for index, value in enumerate(values):
            cover.add((*key, index), value)
        cover.add((*key, ALL), sum(values))
        cover.total((*key, ALL), [(*key, index) for index in range(count)])
    return body


class CoordinationFigures:
    """The coordination's tables for one grid period, all organisations or one."""

    def __init__(
        self,
        session: Session | scoped_session[Any],
        organisations: Sequence[OrganisationColumn],
        position: tuple[int, int],
        today: dt.date,
        selected: int | None = None,
    ) -> None:
        self.session = session
        self.organisations = tuple(organisations)
        self.year, self.quarter = position  # quarter 1 to 4, or YEAR
        self.today = today
        self.selected = selected
        self.index_of = {org.id: index for index, org in enumerate(self.organisations)}

    # --- the period and the columns -----------------------------------------------

    @property
    def k(self) -> int | str:
        """The period's position on the quarter axis: its quarter, or ``ALL`` (the year)."""
        return ALL if self.quarter == YEAR else self.quarter

    @property
    def quarters(self) -> list[int]:
        return [1, 2, 3, 4] if self.quarter == YEAR else [self.quarter]

    @property
    def period(self) -> Period:
        if self.quarter == YEAR:
            return Period(dt.date(self.year, 1, 1), dt.date(self.year, 12, 31))
        start = dt.date(self.year, 3 * self.quarter - 2, 1)
        following = dt.date(self.year + (self.quarter == 4), (3 * self.quarter) % 12 + 1, 1)
        return Period(start, following - dt.timedelta(days=1))

    @property
    def whole_year(self) -> bool:
        return self.quarter == YEAR

    @property
    def all_organisations(self) -> bool:
        return self.selected is None

    def columns(self) -> list[tuple[str, int | str]]:
        """Header and axis value of each organisation column (and "Summe" for all)."""
        if self.selected is not None:
            org = self.organisations[self.index_of[self.selected]]
            return [(org.name, self.index_of[org.id])]
        return [(org.name, index) for index, org in enumerate(self.organisations)] + [(TOTAL, ALL)]

    def _all_scope(self) -> Scope:
        return Scope(self.organisations, across_organisations=False)

    def _exact(self, period: Period) -> StatisticsQueries:
        """The exact queries over every organisation, for building covers."""
        return StatisticsQueries(self.session, self._all_scope(), period, self.today)

    def _year_bounds(self) -> tuple[dt.date, dt.date]:
        return dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)

    def _year_period(self) -> Period:
        return Period(dt.date(self.year, 1, 1), dt.date(self.year, 12, 31))

    def _org(self, raw: int) -> int:
        return self.index_of[raw]

    def _kept_cover(self, name: str) -> Publication:
        """A protected cover kept like any figures (``FIGURES``), while nothing it reads
        is written; computed on figures of its own, which have read nothing yet (what
        this instance holds would not be read again, nor known as read by the cover)."""

        def compute() -> Publication:
            fresh = CoordinationFigures(
                self.session, self.organisations, (self.year, self.quarter), self.today
            )
            built: Publication = getattr(fresh, f"_{name}")()
            return built

        question = ("cover", name, self.organisations, self.year, self.quarter, self.today)
        return FIGURES.get(self.session, question, compute, STORED_PUBLICATION)

    def _rows(self, statement: Any, *, by_organisation: bool = True) -> list[Any]:
        """A grouped count over every covered organisation (``ORGANISATIONS``), each
        organisation's rows kept on their own (``organisation_rows``)."""
        return organisation_rows(
            self.session, statement, list(self.index_of), by_organisation=by_organisation
        )

    # --- the covers -------------------------------------------------------------------

    @cached_property
    def cases(self) -> Publication:
        return self._kept_cover("cases")

    def _cases(self) -> Publication:
        """Opened by month, closed by reason, open at each quarter's end: all history."""
        year, month = date_part("year", Case.opened_on), date_part("month", Case.opened_on)
        # Archived cases count like any other (SPEC §6.6); erased ones are gone.
        counted = [Case.organisation_id.in_(ORGANISATIONS)]
        opened_rows = self._rows(
            select(Case.organisation_id, year, month, func.count())
            .where(*counted, Case.opened_on <= dt.date(self.today.year, 12, 31))
            .group_by(Case.organisation_id, year, month)
        )
        closed_year, closed_month = (
            date_part("year", Case.closed_on),
            date_part("month", Case.closed_on),
        )
        closed_rows = self._rows(
            select(
                Case.organisation_id, Case.closure_reason, closed_year, closed_month, func.count()
            )
            .where(*counted, Case.closed_on <= dt.date(self.today.year, 12, 31))
            .group_by(Case.organisation_id, Case.closure_reason, closed_year, closed_month)
        )
        opened = {(self._org(o), int(y), int(m)): int(n) for o, y, m, n in opened_rows}
        closed = {(self._org(o), r, int(y), int(m)): int(n) for o, r, y, m, n in closed_rows}
        return protect(case_cover(opened, closed, len(self.organisations), self.today.year))

    @cached_property
    def overdue(self) -> Publication:
        return self._kept_cover("overdue")

    def _overdue(self) -> Publication:
        cover = Cover()
        found = {self._org(o): int(n) for o, n in self._rows(overdue_referrals(self.today))}
        for index, count in sorted(found.items()):
            cover.add(("od", index), count)
        cover.add(("od", ALL), sum(found.values()))
        cover.total(("od", ALL), [("od", index) for index in found])
        return protect(cover)

    @cached_property
    def _barrier_rows(self) -> list[Any]:
        quarter = date_quarter(Barrier.observed_on)
        statement = (
            select(
                Barrier.organisation_id,
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                Partner.id,
                Partner.name,
                Barrier.status,
                quarter,
                func.count(),
            )
            .select_from(Barrier)
            .join(BarrierCategory, Barrier.category_id == BarrierCategory.id)
            .outerjoin(Partner, Barrier.partner_id == Partner.id)
            .where(
                # The barrier's own organisation is its case's (``OrgOwned``): no join.
                Barrier.organisation_id.in_(ORGANISATIONS),
                # The year as a date range, not ``year == ...``: the index on the date serves it.
                Barrier.observed_on.between(*self._year_bounds()),
            )
            .group_by(
                Barrier.organisation_id,
                BarrierCategory.id,
                BarrierCategory.name,
                BarrierCategory.sort_order,
                Partner.id,
                Partner.name,
                Barrier.status,
                quarter,
            )
        )
        return self._rows(statement, by_organisation=False)

    @cached_property
    def barriers(self) -> Publication:
        return self._kept_cover("barriers")

    def _barriers(self) -> Publication:
        """Category x partner x status x quarter; partners for the whole year only."""
        records = [
            ((c, p, s, int(q)), int(n)) for c, _cn, _co, p, _pn, s, q, n in self._barrier_rows
        ]
        cover = Cover()
        add_cube(cover, "b", records, lambda key: key[1] == ALL or key[3] == ALL)
        return protect(cover)

    @cached_property
    def categories(self) -> dict[int, Named]:
        found = {c: Named(c, name, order) for c, name, order, *_rest in self._barrier_rows}
        return dict(sorted(found.items(), key=lambda item: (item[1].sort_order, item[1].name)))

    @cached_property
    def barrier_partners(self) -> dict[int | None, Named]:
        found = {
            p: Named(p, name or WITHOUT_PARTNER) for _c, _n, _o, p, name, *_r in self._barrier_rows
        }
        return dict(sorted(found.items(), key=lambda item: (item[0] is None, item[1].name)))

    @cached_property
    def _referral_rows(self) -> list[Any]:
        quarter = date_quarter(Referral.referred_on)
        # The referral's own organisation is its case's (``OrgOwned``): no join.
        groups = (Referral.organisation_id, Partner.id, Partner.name, Referral.status, quarter)
        statement = (
            select(*groups, func.count())
            .select_from(Referral)
            .join(Partner, Referral.partner_id == Partner.id)
            .where(
                Referral.organisation_id.in_(ORGANISATIONS),
                Referral.referred_on.between(*self._year_bounds()),
            )
            .group_by(*groups)
        )
        return self._rows(statement)

    @cached_property
    def referrals(self) -> Publication:
        return self._kept_cover("referrals")

    def _referrals(self) -> Publication:
        """Partner x status x organisation x quarter: status by organisation per quarter,
        partner by status for the whole year across all organisations."""
        records = [
            ((p, s, self._org(o), int(q)), int(n)) for o, p, _name, s, q, n in self._referral_rows
        ]
        cover = Cover()
        add_cube(
            cover, "r", records, lambda key: key[0] == ALL or (key[2] == ALL and key[3] == ALL)
        )
        return protect(cover)

    @cached_property
    def referral_partners(self) -> dict[int, Named]:
        found = {p: Named(p, name) for _o, p, name, *_rest in self._referral_rows}
        return dict(sorted(found.items(), key=lambda item: item[1].name))

    @cached_property
    def _affected_table(self) -> CountTable:
        return self._exact(self._year_period()).cases_affected_by_category()

    @cached_property
    def affected(self) -> Publication:
        return self._kept_cover("affected")

    def _affected(self) -> Publication:
        """Distinct cases with a barrier by category and organisation, for the year."""
        cover = Cover()
        add_org_table(cover, ("d",), self._affected_table, ("d", ALL))
        # A distinct total is no sum of its categories; but where only one category of a
        # column is not 0, the two are equal, and anyone can see that.
        columns = [*range(len(self.organisations)), ALL]
        for column in columns:
            parts = [
                key for key in cover.values if key[0] == "d" and key[1] != ALL and key[2] == column
            ]
            if len(parts) == 1:
                cover.equation([(parts[0], 1), (("d", ALL, column), -1)])
        return protect(cover)

    @cached_property
    def _client_tables(self) -> dict[str, CountTable]:
        exact = self._exact(self._year_period())
        return {
            "klienten_aufenthaltsstatus": exact.clients_by_residence_status(),
            "klienten_rechtskreis": exact.clients_by_benefits_domain(),
            "klienten_herkunft": exact.clients_by_country(),
            "klienten_alter": exact.clients_by_age(),
            "klienten_geschlecht": exact.clients_by_gender(),
            "klienten_stadtbezirk": exact.clients_by_district(),
        }

    @cached_property
    def clients(self) -> Publication:
        return self._kept_cover("clients")

    def _clients(self) -> Publication:
        """The six client tables of the year; their "Summe" row (clients per
        organisation) is one and the same cell in all of them."""
        cover = Cover()
        for index, (key, table) in enumerate(self._client_tables.items()):
            labels = add_org_table(cover, ("k", key), table, ("k", "N"), with_total=index == 0)
            for column in [*range(len(self.organisations)), ALL]:
                cover.total(("k", "N", column), [("k", key, label, column) for label in labels])
        return protect(cover)

    # --- building tables ----------------------------------------------------------

    def _table(
        self,
        row_header: str,
        rows: Sequence[tuple[str, Callable[[int | str], Cell]]],
        total: Callable[[int | str], Cell] | None,
        **options: Any,
    ) -> PublishedTable:
        columns = self.columns()
        shown = [ShownRow(label, [cell(axis) for _name, axis in columns]) for label, cell in rows]
        if total is not None:
            shown.append(ShownRow(TOTAL, [total(axis) for _name, axis in columns], is_total=True))
        return PublishedTable([row_header, *(name for name, _axis in columns)], shown, **options)

    def _unavailable(self, header: list[str], reason: str) -> PublishedTable:
        return PublishedTable(header, [], unavailable=reason)

    def _needs(self, *, year: bool = False, all_organisations: bool = False) -> str:
        if all_organisations and not self.all_organisations:
            return ALL_ORGANISATIONS_ONLY
        if year and not self.whole_year:
            return YEARS_ONLY
        return ""

    # --- 1. cases -----------------------------------------------------------------

    def overview(self) -> PublishedTable:
        y, k = self.year, self.k
        end_quarter = 4 if self.whole_year else self.quarter
        columns = [axis for _name, axis in self.columns()]
        rows = []
        for axis in columns:
            label = TOTAL if axis == ALL else self.organisations[int(axis)].name
            rows.append(
                ShownRow(
                    label,
                    [
                        self.cases.shown(("s", y, end_quarter, axis)),
                        self.cases.shown(("o", y, k, axis)),
                        self.cases.shown(("c", y, k, ALL, axis)),
                        self.overdue.shown(("od", axis)),
                    ],
                    is_total=axis == ALL,
                )
            )
        return PublishedTable(
            [
                "Organisation",
                "offene Fälle am Ende des Zeitraums",
                "eröffnete Fälle",
                "abgeschlossene Fälle",
                "überfällige Vermittlungen (heute)",
            ],
            rows,
        )

    def cases_per_month(self) -> PublishedTable:
        y = self.year
        months = [m for q in self.quarters for m in range(3 * q - 2, 3 * q + 1)]
        rows = [
            (f"{m:02d}/{y}", lambda axis, m=m: self.cases.shown(("om", y, m, axis))) for m in months
        ]
        return self._table(
            "Monat", rows, lambda axis: self.cases.shown(("o", y, self.k, axis)), chart="bar"
        )

    def closure_reasons(self) -> PublishedTable:
        y, k = self.year, self.k
        rows = [
            (str(label), lambda axis, r=code: self.cases.shown(("c", y, k, r, axis)))
            for code, label in ClosureReason.choices()
        ]
        return self._table(
            "Abschlussgrund", rows, lambda axis: self.cases.shown(("c", y, k, ALL, axis))
        )

    def key_figures(self) -> PublishedTable:
        """Medians and the acceptance rate, only where the counts behind them are
        visible cells: then they tell nothing about a hidden one."""
        exact = self._exact(self.period)
        durations = _per_axis(exact.duration_counts(), self._org)
        responses = _per_axis(exact.response_day_counts(), self._org)
        y, k = self.year, self.k
        rows = []
        for name, axis in self.columns():
            closed_key = ("c", y, k, ALL, axis)
            closed = self.cases.values.get(closed_key, 0)
            duration = None
            if self.cases.is_visible(closed_key) and closed >= 5:
                duration = median_from_counts(durations.get(axis, []))
            answer_keys = [("r", ALL, status, axis, k) for status in ANSWERED]
            answers = {key[2]: self.referrals.values.get(key, 0) for key in answer_keys}
            visible = all(self.referrals.is_visible(key) for key in answer_keys)
            positive = sum(answers[status] for status in ANSWERED_POSITIVE)
            answered = sum(answers.values())
            shown_rate = rate(positive, answered) if visible else None
            response = None
            pairs = responses.get(axis, [])
            if visible and answered >= 5 and sum(n for _v, n in pairs) >= 5:
                response = median_from_counts(pairs)
            label = "alle Organisationen" if axis == ALL else name
            rows.append(ShownRow(label, [duration, shown_rate, response], is_total=axis == ALL))
        return PublishedTable(
            [
                "Organisation",
                "Median Falldauer abgeschlossener Fälle (Tage)",
                "Annahmequote (angenommen + abgeschlossen von beantworteten, %)",
                "Median Tage bis zur Antwort",
            ],
            rows,
            note="\u2013 : keine Werte, oder die Zahlen dahinter sind ausgeblendet oder "
            "kleiner als 5.",
        )

    # --- 4. barriers --------------------------------------------------------------

    def _categories_in_period(self, k: int | str) -> list[Named]:
        return [
            c
            for c in self.categories.values()
            if self.barriers.values.get(("b", c.id, ALL, ALL, k))
        ]

    def barriers_by_category(self) -> PublishedTable:
        header = ["Kategorie", *(str(label) for _c, label in BarrierStatus.choices()), TOTAL]
        if reason := self._needs(all_organisations=True):
            return self._unavailable(header, reason)
        k = self.k
        shown = self.barriers.shown
        rows = [
            ShownRow(
                c.name,
                [
                    *(shown(("b", c.id, ALL, s, k)) for s in STATUSES),
                    shown(("b", c.id, ALL, ALL, k)),
                ],
                row_id=c.id,
            )
            for c in self._categories_in_period(k)
        ]
        rows.append(
            _total_row(
                [*(shown(("b", ALL, ALL, s, k)) for s in STATUSES), shown(("b", ALL, ALL, ALL, k))]
            )
        )
        return PublishedTable(header, rows, chart="bar", drill=True)

    def cases_affected_by_category(self) -> PublishedTable:
        note = "Ein Fall mit Barrieren mehrerer Kategorien zählt in der Summe einmal."
        header = ["Kategorie", *(name for name, _axis in self.columns())]
        if reason := self._needs(year=True):
            return self._unavailable(header, reason)
        labels = [label for label, _values in self._affected_table.rows]
        rows = [
            (label, lambda axis, label=label: self.affected.shown(("d", label, axis)))
            for label in labels
        ]
        return self._table(
            "Kategorie", rows, lambda axis: self.affected.shown(("d", ALL, axis)), note=note
        )

    def barriers_by_quarter(self) -> PublishedTable:
        header = ["Kategorie", *(quarter_label((self.year, q)) for q in self.quarters), TOTAL]
        if reason := self._needs(all_organisations=True):
            return self._unavailable(header, reason)
        k = self.k
        shown = self.barriers.shown
        rows = [
            ShownRow(
                c.name,
                [
                    *(shown(("b", c.id, ALL, ALL, q)) for q in self.quarters),
                    shown(("b", c.id, ALL, ALL, k)),
                ],
                row_id=c.id,
            )
            for c in self._categories_in_period(k)
        ]
        rows.append(
            _total_row(
                [
                    *(shown(("b", ALL, ALL, ALL, q)) for q in self.quarters),
                    shown(("b", ALL, ALL, ALL, k)),
                ]
            )
        )
        return PublishedTable(header, rows, drill=True)

    def barrier_trend(self, category_id: int) -> PublishedTable:
        header = ["Quartal", *(str(label) for _c, label in BarrierStatus.choices()), TOTAL]
        if reason := self._needs(all_organisations=True):
            return self._unavailable(header, reason)
        shown = self.barriers.shown
        rows = [
            ShownRow(
                quarter_label((self.year, q)),
                [
                    *(shown(("b", category_id, ALL, s, q)) for s in STATUSES),
                    shown(("b", category_id, ALL, ALL, q)),
                ],
            )
            for q in self.quarters
        ]
        k = self.k
        rows.append(
            _total_row(
                [
                    *(shown(("b", category_id, ALL, s, k)) for s in STATUSES),
                    shown(("b", category_id, ALL, ALL, k)),
                ]
            )
        )
        return PublishedTable(header, rows, chart="bar")

    def barriers_by_partner(self, category_id: int | None = None) -> PublishedTable:
        header = ["Partner", *(str(label) for _c, label in BarrierStatus.choices()), TOTAL]
        if reason := self._needs(year=True, all_organisations=True):
            return self._unavailable(header, reason)
        c = ALL if category_id is None else category_id
        shown = self.barriers.shown
        rows = [
            ShownRow(
                p.name,
                [
                    *(shown(("b", c, p.id, s, ALL)) for s in STATUSES),
                    shown(("b", c, p.id, ALL, ALL)),
                ],
            )
            for p in self.barrier_partners.values()
            if self.barriers.values.get(("b", c, p.id, ALL, ALL))
        ]
        rows.append(
            _total_row(
                [*(shown(("b", c, ALL, s, ALL)) for s in STATUSES), shown(("b", c, ALL, ALL, ALL))]
            )
        )
        return PublishedTable(header, rows)

    # --- 3. referrals -------------------------------------------------------------

    def referrals_by_status(self) -> PublishedTable:
        k = self.k
        rows = [
            (str(label), lambda axis, s=code: self.referrals.shown(("r", ALL, s, axis, k)))
            for code, label in ReferralStatus.choices()
        ]
        return self._table(
            "Status", rows, lambda axis: self.referrals.shown(("r", ALL, ALL, axis, k)), chart="bar"
        )

    def referrals_by_partner(self) -> PublishedTable:
        header = ["Partner", *(str(label) for _c, label in ReferralStatus.choices()), TOTAL]
        if reason := self._needs(year=True, all_organisations=True):
            return self._unavailable(header, reason)
        shown = self.referrals.shown
        rows = [
            ShownRow(
                p.name,
                [
                    *(shown(("r", p.id, s, ALL, ALL)) for s in REFERRAL_STATUSES),
                    shown(("r", p.id, ALL, ALL, ALL)),
                ],
            )
            for p in self.referral_partners.values()
        ]
        rows.append(
            _total_row(
                [
                    *(shown(("r", ALL, s, ALL, ALL)) for s in REFERRAL_STATUSES),
                    shown(("r", ALL, ALL, ALL, ALL)),
                ]
            )
        )
        return PublishedTable(header, rows)

    # --- 2. clients ---------------------------------------------------------------

    def client_table(self, key: str, row_header: str) -> PublishedTable:
        header = [row_header, *(name for name, _axis in self.columns())]
        if reason := self._needs(year=True):
            return self._unavailable(header, reason)
        table = self._client_tables[key]
        labels = [label for label, _values in table.rows]
        rows = [
            (label, lambda axis, label=label: self.clients.shown(("k", key, label, axis)))
            for label in labels
        ]
        return self._table(row_header, rows, lambda axis: self.clients.shown(("k", "N", axis)))

    # --- the start page -----------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Headline figures and the top barriers of the year, across all organisations."""
        y = self.year
        labels = [label for label, _values in self._affected_table.rows]
        affected = [(label, self.affected.shown(("d", label, ALL))) for label in labels]
        # Ranked by what is shown: a hidden count ranks as 0, so the order tells nothing.
        ranked = sorted(affected, key=lambda item: -(item[1] if isinstance(item[1], int) else 0))
        return {
            "period": self.period,
            "open_cases": self.cases.shown(("s", y, 4, ALL)),
            "opened_cases": self.cases.shown(("o", y, ALL, ALL)),
            "overdue_referrals": self.overdue.shown(("od", ALL)),
            "cases_with_barriers": self.affected.shown(("d", ALL, ALL)),
            "top_barriers": [item for item in ranked[:5] if item[1] != 0],
        }


def _total_row(cells: list[Cell]) -> ShownRow:
    return ShownRow(TOTAL, cells, is_total=True)


def _per_axis(
    rows: Iterable[tuple[int, Any, int]], index_of: Callable[[int], int]
) -> dict[int | str, list[tuple[float, int]]]:
    """``(organisation, value, count)`` rows as value counts per organisation and ``ALL``."""
    found: dict[int | str, list[tuple[float, int]]] = defaultdict(list)
    for org, value, count in rows:
        found[index_of(org)].append((float(value), int(count)))
        found[ALL].append((float(value), int(count)))
    return found


def case_cover(
    opened: dict[tuple[int, int, int], int],
    closed: dict[tuple[int, Any, int, int], int],
    organisations: int,
    last_year: int,
) -> Cover:
    """Cases opened by month, closed by reason, open at the end of each quarter, per
    organisation (index) and ``ALL``, from the first year with a case to ``last_year``.

    Keys: ``("om", year, month, org)`` opened in a month; ``("o", year, quarter, org)``
    opened in a quarter (``ALL``: the year); ``("c", year, quarter, reason, org)`` closed
    (reason ``ALL``: every reason); ``("s", year, quarter, org)`` open at the quarter's end.
    """
    cover = Cover()
    years = [y for _o, y, _m in opened] + [y for _o, _r, y, _m in closed]
    if not years:
        return cover
    span = range(min(years), last_year + 1)
    for (org, y, m), n in sorted(opened.items()):
        if y in span:
            for o, q in product((org, ALL), ((m - 1) // 3 + 1, ALL)):
                cover.add(("o", y, q, o), n)
            cover.add(("om", y, m, org), n)
            cover.add(("om", y, m, ALL), n)
    for (org, reason, y, m), n in sorted(closed.items()):
        if y in span:
            for o, q, r in product((org, ALL), ((m - 1) // 3 + 1, ALL), (reason, ALL)):
                cover.add(("c", y, q, r, o), n)
    orgs: list[int | str] = [*range(organisations), ALL]
    stock = dict.fromkeys(orgs, 0)
    for y, q, o in product(span, (1, 2, 3, 4), orgs):
        stock[o] += cover.value(("o", y, q, o)) - cover.value(("c", y, q, ALL, o))
        cover.add(("s", y, q, o), stock[o])
    for y in span:
        _case_equations(cover, y, organisations)
    return cover


def _case_equations(cover: Cover, y: int, organisations: int) -> None:
    """The equations of one year of ``case_cover``."""
    quarters: list[int | str] = [1, 2, 3, 4, ALL]
    reasons: list[str] = [*REASONS, ALL]
    for o in [*range(organisations), ALL]:
        for q in (1, 2, 3, 4):
            cover.total(("o", y, q, o), [("om", y, m, o) for m in range(3 * q - 2, 3 * q + 1)])
            previous = ("s", y, q - 1, o) if q > 1 else ("s", y - 1, 4, o)
            # Open at the quarter's end = open before + opened - closed.
            cover.equation(
                [
                    (("s", y, q, o), 1),
                    (previous, -1),
                    (("o", y, q, o), -1),
                    (("c", y, q, ALL, o), 1),
                ]
            )
        cover.total(("o", y, ALL, o), [("o", y, q, o) for q in (1, 2, 3, 4)])
        for period in quarters:
            cover.total(("c", y, period, ALL, o), [("c", y, period, r, o) for r in REASONS])
        for r in reasons:
            cover.total(("c", y, ALL, r, o), [("c", y, q, r, o) for q in (1, 2, 3, 4)])
    parts = range(organisations)
    for m in range(1, 13):
        cover.total(("om", y, m, ALL), [("om", y, m, o) for o in parts])
    for period, r in product(quarters, reasons):
        cover.total(("c", y, period, r, ALL), [("c", y, period, r, o) for o in parts])
    for period in quarters:
        cover.total(("o", y, period, ALL), [("o", y, period, o) for o in parts])
    for quarter in (1, 2, 3, 4):
        cover.total(("s", y, quarter, ALL), [("s", y, quarter, o) for o in parts])
