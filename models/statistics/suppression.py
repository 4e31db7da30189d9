"""Small-cell suppression for figures shown across organisations (SPEC §6.5).

One rule, one function: ``suppression_mask`` decides which cells of a table of counts are
hidden. Views and CSV exports of the coordination show every hidden cell as ``"<5"``.
Figures that are not counts (medians, rates) are not cells of that rule; they are left out
as a whole when too few values stand behind them (``median_is_safe``, ``rate_is_safe``).

Totals. The caller passes the table *with* the totals it will show (a "Summe" row and/or
column) as ordinary cells of the grid, and every row and column of that grid is treated
as an equation "the cells add up to the margin". The rule then runs over the whole grid,
margins included, so:

- a total that is itself 1 to 4 is hidden like any other small count;
- a line (row or column) never shows exactly one hidden cell, whether that cell is an
  inner count or a total, so no hidden value follows from one subtraction;
- hiding a total makes its own line (the totals row or column) carry a hidden cell, which
  the iteration then protects as well.

We chose "suppress totals that would reveal" over "show totals only where safe", because
the totals are always computed from the true counts (never from the shown ones, which
would make them wrong) and the same rule protects them.

Every hidden cell looks the same, whether it is small itself (primary) or hidden to protect
another (secondary): a distinct mark for secondary cells would tell that they are >= 5, and
with a small total that can give a hidden count back (x + y = 6 with y >= 5 means x = 1).

Limits, knowingly accepted: the rule defends against recovery from one line at a time,
not against solving several lines together as a linear system (what tools such as
tau-ARGUS check). Margins of distinct counts (cases affected, which are not sums) are
treated as equations anyway; that costs some extra hidden cells and is on the safe side.
"""

from __future__ import annotations

from collections.abc import Sequence

THRESHOLD = 5
SUPPRESSED = "<5"


def is_small(value: int, threshold: int = THRESHOLD) -> bool:
    """A count that must not be shown: 1 up to ``threshold - 1`` (0 is shown)."""
    return 0 < value < threshold


def suppression_mask(
    grid: Sequence[Sequence[int]],
    *,
    rows_add_up: bool = True,
    columns_add_up: bool = True,
    threshold: int = THRESHOLD,
) -> list[list[bool]]:
    """Which cells of ``grid`` (counts, margins included) to hide; True means hidden.

    Primary: every count from 1 to ``threshold - 1``. Secondary, repeated until nothing
    changes: where a row (if ``rows_add_up``) or a column (if ``columns_add_up``) holds
    exactly one hidden cell, the smallest visible cell of that line is hidden too,
    preferring a non-zero cell (ties: the first). Pass ``rows_add_up=False`` for tables
    whose columns are different measures, so that their rows are not equations.
    """
    height = len(grid)
    width = max((len(row) for row in grid), default=0)
    if any(len(row) != width for row in grid):
        raise ValueError("every row needs the same number of cells")
    if any(value < 0 for row in grid for value in row):
        raise ValueError("counts cannot be negative")
    hidden = [[is_small(value, threshold) for value in row] for row in grid]

    lines: list[list[tuple[int, int]]] = []
    if rows_add_up:
        lines += [[(r, c) for c in range(width)] for r in range(height)]
    if columns_add_up:
        lines += [[(r, c) for r in range(height)] for c in range(width)]

    changed = True
    while changed:  # ends: each round hides at least one more cell, or stops
        changed = False
        for line in lines:
            if sum(hidden[r][c] for r, c in line) != 1:
                continue
            visible = [(r, c) for r, c in line if not hidden[r][c]]
            if not visible:
                continue
            r, c = min(
                visible, key=lambda cell: (grid[cell[0]][cell[1]] == 0, grid[cell[0]][cell[1]])
            )
            hidden[r][c] = True
            changed = True
    return hidden


def apply_mask(
    grid: Sequence[Sequence[int]], mask: Sequence[Sequence[bool]]
) -> list[list[int | str]]:
    """The cells as shown: the count, or ``"<5"`` where hidden."""
    return [
        [SUPPRESSED if hide else value for value, hide in zip(row, mask_row, strict=True)]
        for row, mask_row in zip(grid, mask, strict=True)
    ]


def suppress(
    grid: Sequence[Sequence[int]], *, rows_add_up: bool = True, columns_add_up: bool = True
) -> list[list[int | str]]:
    """``grid`` as the coordination sees it (see ``suppression_mask``)."""
    mask = suppression_mask(grid, rows_add_up=rows_add_up, columns_add_up=columns_add_up)
    return apply_mask(grid, mask)


def median_is_safe(values: int) -> bool:
    """A median across organisations may show when at least ``THRESHOLD`` values stand behind it."""
    return values >= THRESHOLD


def rate_is_safe(numerator: int, denominator: int) -> bool:
    """A rate across organisations may show when none of the counts it implies is 1 to 4."""
    return denominator >= THRESHOLD and all(
        count == 0 or count >= THRESHOLD for count in (numerator, denominator - numerator)
    )
