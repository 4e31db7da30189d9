"""The layout of statistics tables: from grouped query results to the rows a person sees.

A ``CountTable`` holds counts and adds the totals; ``shown`` applies the suppression of
figures across organisations. A ``FigureTable`` holds figures that are not counts
(medians, rates), already left out where too few values stand behind them. Neither knows
its key or title: the registry (``models.statistics.report``) names every table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.statistics.suppression import suppress

TOTAL = "Summe"

Cell = int | float | str | None


@dataclass(frozen=True)
class ShownRow:
    label: str
    cells: list[Cell]
    is_total: bool = False
    row_id: int | None = None


@dataclass(frozen=True)
class ShownTable:
    """A table as a person may see it: suppressed where needed, ready for page and CSV.

    The statistics keep it and hand the same table to every page: frozen (its rows too),
    and nothing changes its lists once it is made."""

    key: str
    title: str
    header: list[str]
    rows: list[ShownRow]
    note: str = ""
    chart: str | None = None
    drill: bool = False
    # Why the table is not shown (the coordination's grid, SPEC §6.5); then no rows.
    unavailable: str = ""

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

    def shown(self, suppressed: bool, key: str = "", title: str = "") -> ShownTable:
        """The table as shown, named ``key`` and ``title`` (by the registry)."""
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
        return ShownTable(key, title, header, rows, self.note, self.chart, self.drill)


@dataclass
class FigureTable:
    """Figures that are not counts: never suppressed as cells (see ``CountTable``)."""

    header: list[str]
    rows: list[ShownRow]
    note: str = ""

    def shown(self, suppressed: bool, key: str = "", title: str = "") -> ShownTable:
        """The table as shown; ``suppressed`` was already applied to the figures."""
        return ShownTable(key, title, self.header, self.rows, self.note)


@dataclass
class PublishedTable:
    """A table whose cells are already as the coordination may see them (taken from a
    protected cover, ``models.statistics.coordination``)."""

    header: list[str]
    rows: list[ShownRow]
    note: str = ""
    chart: str | None = None
    drill: bool = False
    unavailable: str = ""

    def shown(self, suppressed: bool, key: str = "", title: str = "") -> ShownTable:
        return ShownTable(
            key, title, self.header, self.rows, self.note, self.chart, self.drill, self.unavailable
        )


def pivot(
    counts: Iterable[tuple[Any, Any, int]], row_keys: Sequence[Any], column_keys: Sequence[Any]
) -> list[list[int]]:
    """Grouped ``(row, column, count)`` results as a full grid; missing groups are 0."""
    found: dict[tuple[Any, Any], int] = defaultdict(int)
    for row_key, column_key, count in counts:
        found[row_key, column_key] += int(count)
    return [[found[row_key, column_key] for column_key in column_keys] for row_key in row_keys]


def median_from_counts(value_counts: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how often); the mean of the two middle ones.
    A value may come more than once (the rows of several organisations): its counts are
    added up first, so that only the distinct values are sorted."""
    how_often: dict[float, int] = defaultdict(int)
    for value, count in value_counts:
        if count:
            how_often[float(value)] += int(count)
    total = sum(how_often.values())
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[float] = []
    seen = 0
    for value in sorted(how_often):
        count = how_often[value]
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    median = sum(found) / 2
    return int(median) if median.is_integer() else median


def rate(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None
