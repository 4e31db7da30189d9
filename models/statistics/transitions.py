"""Transitions between legal domains (Rechtskreiswechsel), from the status periods.

A transition is a benefits period starting in the period counted whose client had an
earlier benefits period with another value: from that earlier (the latest before) to
this one, on the day this one starts. The days between the end of the earlier period and
the start of the next are the days without a benefits domain (0 when they follow each
other). Four tables:

- transitions per quarter (from → to);
- the median of the days without a benefits domain between two periods;
- residence titles that expire within the next 90 days (by residence status, from today);
- barriers documented within 90 days after a transition, by category.

For the coordination the figures are city-wide only (one column, every organisation it
may see; a single organisation chosen shows no such table), and the small-cell rule of
``models.statistics.suppression`` applies: counts of 1 to 4 and the cells that would
reveal them are withheld, a median only shows with at least five values behind it. These
tables are not cut from the protected covers of ``models.statistics.coordination``; they
are published per table, so the coordination gets them only for whole calendar years of the
whole city, which do not overlap (a quarter could be recovered from its year).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session, aliased, scoped_session

from models.barrier import Barrier
from models.case import Case
from models.catalogue import BarrierCategory
from models.choices import BenefitsDomain, ResidenceStatus, StatusKind
from models.statistics.generation import FIGURES, ORGANISATIONS, organisation_rows
from models.statistics.periods import Period, quarter_label, quarter_of
from models.statistics.queries import date_part, days_between
from models.statistics.scope import Scope
from models.statistics.suppression import THRESHOLD, WITHHELD, median_is_safe
from models.statistics.tables import (
    CountTable,
    FigureTable,
    ShownRow,
    ShownTable,
    median_from_counts,
)
from models.status_history import StatusPeriod

AFTER_TRANSITION = dt.timedelta(days=90)
EXPIRY_HORIZON = dt.timedelta(days=90)
ARROW = "→"
CITY_WIDE = "Düsseldorf gesamt"
ONLY_CITY_WIDE = (
    "Die Auswertung der Rechtskreiswechsel gibt es für die Koordination nur stadtweit "
    "(alle Organisationen), nicht für eine einzelne Organisation."
)
YEARS_ONLY = (
    "Die Auswertung der Rechtskreiswechsel gibt es für die Koordination nur für ganze "
    "Kalenderjahre: ein Quartal ließe sich sonst aus dem Jahr und den übrigen Quartalen "
    "errechnen."
)


class TransitionStatistics:
    """The four tables of one scope and period."""

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

    def _rows(self, statement: Any, by_organisation: bool) -> list[Any]:
        """A grouped count over the scope's organisations (``ORGANISATIONS``, the first
        column), each organisation's rows kept on their own (``organisation_rows``)."""
        return organisation_rows(
            self.session, statement, self.scope.ids, by_organisation=by_organisation
        )

    @property
    def _column(self) -> str:
        if self.suppressed:
            return CITY_WIDE
        return ", ".join(organisation.name for organisation in self.scope.organisations)

    def _unavailable(self) -> str:
        """Why the coordination gets no table here ("" if it does).

        One organisation chosen could be subtracted from the city; a quarter from its year
        (a quarter's cell withheld in its own table could be recovered as the year minus
        the other three). Whole calendar years of the whole city do not overlap.
        """
        if not self.suppressed:
            return ""
        if self.scope.covered and len(self.scope.organisations) < len(self.scope.covered):
            return ONLY_CITY_WIDE
        start, end = self.period.start, self.period.end
        if (start.month, start.day, end.month, end.day) != (1, 1, 12, 31) or start.year != end.year:
            return YEARS_ONLY
        return ""

    # --- the transitions themselves, as SQL ------------------------------------------

    def _transitions(self) -> Any:
        """``(client_id, from, to, gap_days, started_on)`` of transitions in the period."""
        later = aliased(StatusPeriod)
        earlier = aliased(StatusPeriod)
        latest_before = (
            select(func.max(StatusPeriod.valid_from))
            .where(
                StatusPeriod.client_id == later.client_id,
                StatusPeriod.kind == StatusKind.BENEFITS,
                StatusPeriod.valid_from < later.valid_from,
            )
            .correlate(later)
            .scalar_subquery()
        )
        return (
            select(
                later.client_id.label("client_id"),
                later.organisation_id.label("organisation_id"),
                earlier.value.label("from_value"),
                later.value.label("to_value"),
                (days_between(earlier.valid_until, later.valid_from) - 1).label("gap"),
                later.valid_from.label("started_on"),
            )
            .join(
                earlier,
                and_(
                    earlier.client_id == later.client_id,
                    earlier.kind == StatusKind.BENEFITS,
                    earlier.valid_from == latest_before,
                ),
            )
            .where(
                later.kind == StatusKind.BENEFITS,
                later.organisation_id.in_(ORGANISATIONS),
                later.valid_from >= self.period.start,
                later.valid_from <= self.period.end,
                earlier.value != later.value,
                earlier.valid_until.is_not(None),
            )
            .subquery("transition")
        )

    # --- the tables --------------------------------------------------------------------

    def by_quarter(self) -> CountTable:
        transition = self._transitions()
        statement = select(
            transition.c.organisation_id,
            transition.c.from_value,
            transition.c.to_value,
            date_part("year", transition.c.started_on),
            date_part("month", transition.c.started_on),
            func.count(),
        ).group_by(
            transition.c.organisation_id,
            transition.c.from_value,
            transition.c.to_value,
            date_part("year", transition.c.started_on),
            date_part("month", transition.c.started_on),
        )
        quarters = self.period.quarters()
        found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(quarters))
        for from_value, to_value, year, month, count in self._rows(statement, False):
            quarter = quarter_of(int(year), int(month))
            found[from_value, to_value][quarters.index(quarter)] += int(count)
        order = list(BenefitsDomain._value2member_map_)
        pairs = sorted(found, key=lambda pair: (order.index(pair[0]), order.index(pair[1])))
        return CountTable(
            "Wechsel von → nach",
            [quarter_label(quarter) for quarter in quarters],
            [
                (
                    f"{BenefitsDomain.label_of(a)} {ARROW} {BenefitsDomain.label_of(b)}",
                    found[a, b],
                )
                for a, b in pairs
            ],
            row_totals=len(quarters) > 1,
            note="Gezählt am Tag, an dem der neue Rechtskreis beginnt.",
        )

    def days_without(self) -> FigureTable:
        transition = self._transitions()
        statement = select(transition.c.organisation_id, transition.c.gap, func.count()).group_by(
            transition.c.organisation_id, transition.c.gap
        )
        counts = [(max(int(gap), 0), int(n)) for gap, n in self._rows(statement, False)]
        values = sum(n for _gap, n in counts)
        median = median_from_counts(counts)
        shown: int | float | str | None = median
        if self.suppressed and not median_is_safe(values):
            shown = WITHHELD
        return FigureTable(
            ["Kennzahl", self._column],
            [
                ShownRow("Median der Tage ohne Rechtskreis zwischen zwei Rechtskreisen", [shown]),
                ShownRow("Zahl der Wechsel", [self._count(values)]),
            ],
            note="0 Tage: der neue Rechtskreis schließt unmittelbar an.",
        )

    def _count(self, value: int) -> int | str:
        """A single count as the coordination may see it (1 to 4 withheld)."""
        return WITHHELD if self.suppressed and 0 < value < THRESHOLD else value

    def expiring_titles(self) -> CountTable:
        statement = (
            select(StatusPeriod.organisation_id, StatusPeriod.value, func.count())
            .where(
                StatusPeriod.kind == StatusKind.RESIDENCE,
                StatusPeriod.valid_until.is_(None),
                StatusPeriod.organisation_id.in_(ORGANISATIONS),
                StatusPeriod.title_expires_on >= self.today,
                StatusPeriod.title_expires_on <= self.today + EXPIRY_HORIZON,
            )
            .group_by(StatusPeriod.organisation_id, StatusPeriod.value)
        )
        found = {key: int(count) for key, count in self._rows(statement, False)}
        return CountTable(
            "Aufenthaltsstatus",
            [self._column],
            [(str(label), [int(found.get(code, 0))]) for code, label in ResidenceStatus.choices()],
            note=f"Stand {self.today:%d.%m.%Y}, unabhängig vom gewählten Zeitraum.",
        )

    def barriers_after(self) -> CountTable:
        transition = self._transitions()
        window = days_between(transition.c.started_on, Barrier.observed_on)
        statement = (
            select(Barrier.organisation_id, Barrier.category_id, func.count(distinct(Barrier.id)))
            .join(Case, Barrier.case_id == Case.id)
            .join(transition, transition.c.client_id == Case.client_id)
            .where(
                Barrier.organisation_id.in_(ORGANISATIONS),
                window >= 0,
                window <= AFTER_TRANSITION.days,
            )
            .group_by(Barrier.organisation_id, Barrier.category_id)
        )
        found = {key: int(count) for key, count in self._rows(statement, False)}
        categories = self.session.execute(
            select(BarrierCategory.id, BarrierCategory.name).order_by(
                BarrierCategory.sort_order, BarrierCategory.name
            )
        ).all()
        return CountTable(
            "Kategorie",
            [self._column],
            [(name, [int(found.get(category_id, 0))]) for category_id, name in categories],
            note="Barrieren, die bis 90 Tage nach einem Rechtskreiswechsel dokumentiert wurden.",
        )

    def tables(self) -> list[ShownTable]:
        """The four tables, kept like every figure while nothing they read is written
        (``FIGURES``); each time in a list of its own, the tables in it shared."""

        def fresh() -> list[ShownTable]:
            return TransitionStatistics(self.session, self.scope, self.period, self.today)._tables()

        question = ("transitions", self.scope, self.period, self.today)
        return list(FIGURES.get(self.session, question, fresh))

    def _tables(self) -> list[ShownTable]:
        specs = (
            ("rechtskreiswechsel", "Rechtskreiswechsel je Quartal", self.by_quarter),
            (
                "tage_ohne_rechtskreis",
                "Tage ohne Rechtskreis zwischen zwei Rechtskreisen",
                self.days_without,
            ),
            (
                "ablaufende_titel",
                "Aufenthaltstitel, die in den nächsten 90 Tagen ablaufen",
                self.expiring_titles,
            ),
            (
                "barrieren_nach_wechsel",
                "Barrieren nach einem Rechtskreiswechsel, nach Kategorie",
                self.barriers_after,
            ),
        )
        if reason := self._unavailable():
            return [ShownTable(key, title, [], [], unavailable=reason) for key, title, _ in specs]
        return [build().shown(self.suppressed, key, title) for key, title, build in specs]
