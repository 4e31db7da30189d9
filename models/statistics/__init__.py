"""The figures of SPEC §6 and the barrier report, in layers that run one way.

- ``periods``: the period counted (presets, months, quarters, ``PeriodError``);
- ``scope``: whose figures (``statistics_organisations``) and whether they are suppressed;
- ``suppression``: the small-cell rule for figures across organisations: one protected
  pattern per cover, against differencing (docs/statistics-suppression.md);
- ``coordination``: the coordination's tables, each a cut of such a cover;
- ``tables``: the layout of a table, from grouped counts to the rows shown;
- ``queries``: one aggregate SQL query per table;
- ``report``: the one registry of tables (key, title, builder) and the report over it.

The names below are the package's public face; import from ``models.statistics``.
"""

from models.statistics.periods import (
    AGE_BANDS,
    COORDINATION_PRESETS,
    DASH,
    DEFAULT_PRESET,
    MAX_PERIOD_DAYS,
    PRESETS,
    Period,
    PeriodError,
    coordination_period,
    grid_position,
    preset_period,
    quarter_start,
    requested_period,
)
from models.statistics.report import TABLES, Statistics, TableSpec
from models.statistics.scope import (
    OrganisationChoice,
    OrganisationColumn,
    Scope,
    load_scope,
    organisations_to_choose,
    scope_for,
    statistics_organisations,
)
from models.statistics.suppression import SUPPRESSED, WITHHELD, rate_is_safe
from models.statistics.tables import ShownTable, median_from_counts

__all__ = [
    "AGE_BANDS",
    "COORDINATION_PRESETS",
    "DASH",
    "DEFAULT_PRESET",
    "MAX_PERIOD_DAYS",
    "PRESETS",
    "SUPPRESSED",
    "TABLES",
    "WITHHELD",
    "OrganisationChoice",
    "OrganisationColumn",
    "Period",
    "PeriodError",
    "Scope",
    "ShownTable",
    "Statistics",
    "TableSpec",
    "coordination_period",
    "grid_position",
    "load_scope",
    "median_from_counts",
    "organisations_to_choose",
    "preset_period",
    "quarter_start",
    "rate_is_safe",
    "requested_period",
    "scope_for",
    "statistics_organisations",
]
