"""The one registry of statistics tables, and the report that serves it.

Every table has one entry in ``TABLES``: its key (the anchor on the page and the name of
its CSV download), its title and two builders of its figures: the exact one for an
organisation's own figures, and the coordination's, which cuts the table from a protected
cover (``models.statistics.coordination``, docs/statistics-suppression.md). The page shows
the entries in this order, the drill-down of a barrier category shows those marked
``per_category``, and the CSV download looks its table up here by key.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session, scoped_session

from models.statistics.coordination import CoordinationFigures
from models.statistics.generation import FIGURES
from models.statistics.periods import Period, grid_position
from models.statistics.plans import (
    coordinated_goals_by_topic,
    coordinated_plan_figures,
    goals_by_topic,
    plan_figures,
)
from models.statistics.queries import StatisticsQueries
from models.statistics.scope import Scope, load_scope
from models.statistics.tables import CountTable, FigureTable, PublishedTable, ShownTable

Builder = Callable[..., CountTable | FigureTable]
Coordinated = Callable[..., PublishedTable]
PARTNER_TITLE = "Barrieren nach Partner, bei dem sie auftraten"


@dataclass(frozen=True)
class TableSpec:
    """One table: key, title and builder (called with the category if ``per_category``)."""

    key: str
    title: str
    build: Builder
    coordinated: Coordinated
    per_category: bool = False

    def shown(self, report: Statistics, category_id: int | None = None) -> ShownTable:
        layout: CountTable | FigureTable | PublishedTable
        if report.coordination is not None:
            build: Callable[..., CountTable | FigureTable | PublishedTable] = self.coordinated
            target: Any = report.coordination
        else:
            build, target = self.build, report
        layout = build(target, category_id) if self.per_category else build(target)
        return layout.shown(report.suppressed, self.key, self.title)


def _clients(key: str, row_header: str) -> Coordinated:
    return lambda figures: figures.client_table(key, row_header)


Q = StatisticsQueries
C = CoordinationFigures
TABLES: dict[str, TableSpec] = {
    spec.key: spec
    for spec in (
        TableSpec("uebersicht", "Fälle und Wiedervorlagen", Q.overview, C.overview),
        TableSpec("faelle_monat", "Eröffnete Fälle je Monat", Q.cases_per_month, C.cases_per_month),
        TableSpec(
            "abschlussgruende",
            "Abgeschlossene Fälle nach Abschlussgrund",
            Q.closure_reasons,
            C.closure_reasons,
        ),
        TableSpec("kennzahlen", "Kennzahlen", Q.key_figures, C.key_figures),
        TableSpec(
            "barrieren_kategorie",
            "Barrieren nach Kategorie und Status",
            Q.barriers_by_category,
            C.barriers_by_category,
        ),
        TableSpec(
            "barrieren_faelle",
            "Von Barrieren betroffene Fälle nach Kategorie",
            Q.cases_affected_by_category,
            C.cases_affected_by_category,
        ),
        TableSpec(
            "barrieren_quartal",
            "Barrieren nach Kategorie und Quartal",
            Q.barriers_by_quarter,
            C.barriers_by_quarter,
        ),
        TableSpec("barrieren_partner", PARTNER_TITLE, Q.barriers_by_partner, C.barriers_by_partner),
        TableSpec(
            "vermittlungen_status",
            "Vermittlungen nach Status",
            Q.referrals_by_status,
            C.referrals_by_status,
        ),
        TableSpec(
            "vermittlungen_partner",
            "Vermittlungen nach Partner und Status",
            Q.referrals_by_partner,
            C.referrals_by_partner,
        ),
        TableSpec(
            "klienten_aufenthaltsstatus",
            "Klient*innen nach Aufenthaltsstatus",
            Q.clients_by_residence_status,
            _clients("klienten_aufenthaltsstatus", "Aufenthaltsstatus"),
        ),
        TableSpec(
            "klienten_rechtskreis",
            "Klient*innen nach Rechtskreis",
            Q.clients_by_benefits_domain,
            _clients("klienten_rechtskreis", "Rechtskreis"),
        ),
        TableSpec(
            "klienten_herkunft",
            "Klient*innen nach Herkunftsland (die zehn häufigsten)",
            Q.clients_by_country,
            _clients("klienten_herkunft", "Herkunftsland"),
        ),
        TableSpec(
            "klienten_alter",
            "Klient*innen nach Altersgruppe (Alter am Ende des Zeitraums)",
            Q.clients_by_age,
            _clients("klienten_alter", "Altersgruppe"),
        ),
        TableSpec(
            "klienten_geschlecht",
            "Klient*innen nach Geschlecht",
            Q.clients_by_gender,
            _clients("klienten_geschlecht", "Geschlecht"),
        ),
        TableSpec(
            "klienten_stadtbezirk",
            "Klient*innen nach Stadtbezirk",
            Q.clients_by_district,
            _clients("klienten_stadtbezirk", "Stadtbezirk"),
        ),
        # Integrationsplan (issue 15).
        TableSpec(
            "integrationsplaene",
            "Integrationspläne: Anteil und Dauer bis zum Plan",
            plan_figures,
            coordinated_plan_figures,
        ),
        TableSpec(
            "ziele_handlungsfeld",
            "Ziele abgeschlossener Fälle nach Handlungsfeld und Ergebnis",
            goals_by_topic,
            coordinated_goals_by_topic,
        ),
        # The drill-down of one barrier category.
        TableSpec(
            "barrieren_trend",
            "Verlauf nach Quartal und Status",
            Q.barrier_trend,
            C.barrier_trend,
            per_category=True,
        ),
        TableSpec(
            "barrieren_kategorie_partner",
            PARTNER_TITLE,
            Q.barriers_by_partner,
            C.barriers_by_partner,
            per_category=True,
        ),
    )
}


class Statistics(StatisticsQueries):
    """The tables of the statistics page for one scope and period, as ``TABLES`` lists them.

    For an organisation's own figures the tables are counted exactly; across
    organisations (the coordination) every table is cut from the protected covers of
    ``CoordinationFigures``, whatever organisation is chosen, and the period must be a
    calendar quarter or year (``coordination_period``).
    """

    def __init__(
        self, session: Session | scoped_session[Any], scope: Scope, period: Period, today: dt.date
    ) -> None:
        super().__init__(session, scope, period, today)
        self.coordination: CoordinationFigures | None = None
        if scope.across_organisations:
            position = grid_position(period)
            if position is None:
                raise ValueError("the coordination counts calendar quarters and years only")
            selected = scope.organisations[0].id if len(scope.organisations) == 1 else None
            self.coordination = CoordinationFigures(
                session, self._every_organisation, position, today, selected
            )

    @cached_property
    def _every_organisation(self) -> tuple[Any, ...]:
        """The organisations the protected covers span: those the coordination may see."""
        return self.scope.covered or load_scope(self.session, None, across=True).organisations

    def _kept(self, question: tuple[Hashable, ...], compute: Callable[[Statistics], Any]) -> Any:
        """Figures as of the data the session sees: computed once and served again while
        nothing they read was written (``models.statistics.generation``), each time in a
        list or dict of its own (a page adds to it), the tables in it shared (a
        ``ShownTable`` is frozen, and nothing changes its lists). Computed on a report of
        their own: what this one holds already (its covers, its rows) would not be read
        again, and so not be known as read by these figures."""
        asked = (question, tuple(TABLES), self.scope, self.period, self.today)

        def fresh() -> Any:
            return compute(Statistics(self.session, self.scope, self.period, self.today))

        return copy.copy(FIGURES.get(self.session, asked, fresh))

    def main_tables(self) -> list[ShownTable]:
        """Every table of the statistics page, in the order shown."""
        return self._kept(("main",), Statistics._main_tables)

    def _main_tables(self) -> list[ShownTable]:
        return [spec.shown(self) for spec in TABLES.values() if not spec.per_category]

    def category_tables(self, category_id: int) -> list[ShownTable]:
        """The drill-down of one barrier category: its quarters and the partners involved."""
        return self._kept(
            ("category", category_id), lambda report: report._category_tables(category_id)
        )

    def _category_tables(self, category_id: int) -> list[ShownTable]:
        return [spec.shown(self, category_id) for spec in TABLES.values() if spec.per_category]

    def table(self, key: str, category_id: int | None = None) -> ShownTable | None:
        """One table by key, with only the queries it needs (for the CSV download); None
        for a table the scope does not have (the coordination's grid, SPEC §6.5)."""
        spec = TABLES.get(key)
        if spec is None or spec.per_category != (category_id is not None):
            return None
        table: ShownTable = self._kept(
            ("table", key, category_id), lambda report: spec.shown(report, category_id)
        )
        return None if table.unavailable else table

    def summary(self) -> dict[str, Any]:
        """The start page of the coordination: headline counts and the top barriers."""
        return self._kept(("summary",), Statistics._summary)

    def _summary(self) -> dict[str, Any]:
        if self.coordination is not None:
            return self.coordination.summary()
        overview = TABLES["uebersicht"].shown(self)
        affected = TABLES["barrieren_faelle"].shown(self)
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
