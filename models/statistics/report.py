"""The one registry of statistics tables, and the report that serves it.

Every table has one entry in ``TABLES``: its key (the anchor on the page and the name of
its CSV download), its title and the builder of its figures. The page shows the entries
in this order, the drill-down of a barrier category shows those marked ``per_category``,
and the CSV download looks its table up here by key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.statistics.queries import StatisticsQueries
from models.statistics.tables import CountTable, FigureTable, ShownTable

Builder = Callable[..., CountTable | FigureTable]
PARTNER_TITLE = "Barrieren nach Partner, bei dem sie auftraten"


@dataclass(frozen=True)
class TableSpec:
    """One table: key, title and builder (called with the category if ``per_category``)."""

    key: str
    title: str
    build: Builder
    per_category: bool = False

    def shown(self, report: StatisticsQueries, category_id: int | None = None) -> ShownTable:
        layout = self.build(report, category_id) if self.per_category else self.build(report)
        return layout.shown(report.suppressed, self.key, self.title)


Q = StatisticsQueries
TABLES: dict[str, TableSpec] = {
    spec.key: spec
    for spec in (
        TableSpec("uebersicht", "Fälle und Wiedervorlagen", Q.overview),
        TableSpec("faelle_monat", "Eröffnete Fälle je Monat", Q.cases_per_month),
        TableSpec(
            "abschlussgruende", "Abgeschlossene Fälle nach Abschlussgrund", Q.closure_reasons
        ),
        TableSpec("kennzahlen", "Kennzahlen", Q.key_figures),
        TableSpec(
            "barrieren_kategorie", "Barrieren nach Kategorie und Status", Q.barriers_by_category
        ),
        TableSpec(
            "barrieren_faelle",
            "Von Barrieren betroffene Fälle nach Kategorie",
            Q.cases_affected_by_category,
        ),
        TableSpec(
            "barrieren_quartal", "Barrieren nach Kategorie und Quartal", Q.barriers_by_quarter
        ),
        TableSpec("barrieren_partner", PARTNER_TITLE, Q.barriers_by_partner),
        TableSpec("vermittlungen_status", "Vermittlungen nach Status", Q.referrals_by_status),
        TableSpec(
            "vermittlungen_partner", "Vermittlungen nach Partner und Status", Q.referrals_by_partner
        ),
        TableSpec(
            "klienten_aufenthaltsstatus",
            "Klient*innen nach Aufenthaltsstatus",
            Q.clients_by_residence_status,
        ),
        TableSpec(
            "klienten_rechtskreis", "Klient*innen nach Rechtskreis", Q.clients_by_benefits_domain
        ),
        TableSpec(
            "klienten_herkunft",
            "Klient*innen nach Herkunftsland (die zehn häufigsten)",
            Q.clients_by_country,
        ),
        TableSpec(
            "klienten_alter",
            "Klient*innen nach Altersgruppe (Alter am Ende des Zeitraums)",
            Q.clients_by_age,
        ),
        TableSpec("klienten_geschlecht", "Klient*innen nach Geschlecht", Q.clients_by_gender),
        TableSpec("klienten_stadtbezirk", "Klient*innen nach Stadtbezirk", Q.clients_by_district),
        # The drill-down of one barrier category.
        TableSpec(
            "barrieren_trend",
            "Verlauf nach Quartal und Status",
            Q.barrier_trend,
            per_category=True,
        ),
        TableSpec(
            "barrieren_kategorie_partner",
            PARTNER_TITLE,
            Q.barriers_by_partner,
            per_category=True,
        ),
    )
}


class Statistics(StatisticsQueries):
    """The tables of the statistics page for one scope and period, as ``TABLES`` lists them."""

    def main_tables(self) -> list[ShownTable]:
        """Every table of the statistics page, in the order shown."""
        return [spec.shown(self) for spec in TABLES.values() if not spec.per_category]

    def category_tables(self, category_id: int) -> list[ShownTable]:
        """The drill-down of one barrier category: its quarters and the partners involved."""
        return [spec.shown(self, category_id) for spec in TABLES.values() if spec.per_category]

    def table(self, key: str, category_id: int | None = None) -> ShownTable | None:
        """One table by key, with only the queries it needs (for the CSV download)."""
        spec = TABLES.get(key)
        if spec is None or spec.per_category != (category_id is not None):
            return None
        return spec.shown(self, category_id)

    def summary(self) -> dict[str, Any]:
        """The start page of the coordination: headline counts and the top barriers."""
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
