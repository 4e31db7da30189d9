"""Small-cell suppression for figures shown across organisations (SPEC §6.5).

Threat model and method: ``docs/statistics-suppression.md``. In short:

- Every figure the coordination can see is a cell of a ``Cover``: the counts of one family
  of linked tables (all organisations and each one, every quarter and its year, the
  drill-downs), with every linear relation between them written down as an equation
  (a row adds up to its total, the quarters to their year, the stock at the end of a
  quarter is the stock before plus opened minus closed, ...).
- ``protect`` hides every count from 1 to 4 (primary suppression) and then, as long as the
  audit finds a hidden cell that the visible cells determine, hides the smallest visible
  cell of an equation through that cell (secondary suppression). A zero is never hidden.
- The audit (``determined_cells``) is the attack itself: it solves the equations for the
  hidden cells, exactly (Gaussian elimination over a prime field). Because every hidden
  cell is at least 1, a hidden cell that the equations do not fix can move in both
  directions without any count going negative, so bounds (counts are not negative) add
  nothing that elimination has not found; the pattern ``protect`` returns leaves every
  hidden cell with more than one value consistent with everything published.

Every hidden cell looks the same, primary or secondary: a distinct mark for secondary
cells would tell that they are >= 5, and that can give a hidden count back.

Medians and rates are not cells of a cover; the coordination sees them only where the
counts behind them are visible cells (``median_is_safe``, ``rate_is_safe``).
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

THRESHOLD = 5
SUPPRESSED = "<5"
# A Mersenne prime: elimination over this field gives the rank over the rationals for
# the small integer coefficients of table equations (entries -1, 0, 1).
PRIME = 2**61 - 1
# How many secondary cells ``protect`` tries to show again (each try is one audit).
CLEAN_UP = 24

Key = Any  # any hashable name of a cell; the covers use tuples


def is_small(value: int, threshold: int = THRESHOLD) -> bool:
    """A count that must not be shown: 1 up to ``threshold - 1`` (0 is shown)."""
    return 0 < value < threshold


@dataclass
class Cover:
    """The cells of one family of linked tables and the equations between them.

    ``values`` holds every cell that can be shown (zero cells may be left out: a missing
    cell is a visible 0). Each equation maps cells to integer coefficients and says that
    ``sum(coefficient * value) == 0``.
    """

    values: dict[Key, int] = field(default_factory=dict)
    equations: list[dict[Key, int]] = field(default_factory=list)

    def add(self, key: Key, value: int) -> None:
        if value < 0:
            raise ValueError("counts cannot be negative")
        if value:
            self.values[key] = self.values.get(key, 0) + value

    def value(self, key: Key) -> int:
        return self.values.get(key, 0)

    def equation(self, terms: Iterable[tuple[Key, int]]) -> None:
        """Add ``sum(coefficient * cell) == 0``; terms of zero cells are dropped."""
        merged: dict[Key, int] = defaultdict(int)
        for key, coefficient in terms:
            if self.values.get(key, 0):
                merged[key] += coefficient
        cleaned = {key: c for key, c in merged.items() if c}
        if sum(c * self.values[key] for key, c in cleaned.items()) != 0:
            raise ValueError(f"the counts do not satisfy the equation {cleaned}")
        if cleaned:
            self.equations.append(cleaned)

    def total(self, total: Key, parts: Iterable[Key]) -> None:
        """``total`` is the sum of ``parts``."""
        self.equation([(total, -1), *((part, 1) for part in parts)])


@dataclass(frozen=True)
class Publication:
    """A cover as it may be shown: its values and the cells that are hidden."""

    values: Mapping[Key, int]
    hidden: frozenset[Key]

    def shown(self, key: Key) -> int | str:
        return SUPPRESSED if key in self.hidden else self.values.get(key, 0)

    def is_visible(self, key: Key) -> bool:
        return key not in self.hidden


def determined_cells(
    equations: Sequence[Mapping[Key, int]], hidden: Iterable[Key], order: Mapping[Key, int]
) -> set[Key]:
    """The hidden cells whose value follows from the visible ones through ``equations``.

    A hidden cell is determined exactly when every solution of the homogeneous system
    (the equations restricted to the hidden cells) is 0 there. The system is brought to
    echelon form over a prime field; then random solutions (free cells drawn at random,
    the others solved back) are non-zero at every undetermined cell, except with a
    chance of 1 in 2**61 per cell and draw; two draws are taken.
    """
    hidden_set = set(hidden)
    pivots = _echelon(equations, hidden_set, order)
    undetermined: set[Key] = set()
    draws = random.Random(len(hidden_set))  # noqa: S311 - the audit needs no secret
    by_order = sorted(pivots, key=order.__getitem__, reverse=True)
    for _draw in range(2):
        solution = {key: draws.randrange(1, PRIME) for key in hidden_set if key not in pivots}
        for column in by_order:
            row = pivots[column]
            solution[column] = (
                -sum(c * solution[key] for key, c in row.items() if key != column) % PRIME
            )
        undetermined |= {key for key, value in solution.items() if value}
    return hidden_set - undetermined


def _echelon(
    equations: Sequence[Mapping[Key, int]], hidden: set[Key], order: Mapping[Key, int]
) -> dict[Key, dict[Key, int]]:
    """Row echelon form of the equations on the hidden cells: pivot column -> its row,
    scaled to 1 there, every other entry in a column later in ``order``."""
    pivots: dict[Key, dict[Key, int]] = {}
    for equation in equations:
        row = {key: c % PRIME for key, c in equation.items() if key in hidden}
        heap = [(order[key], key) for key in row]
        heapq.heapify(heap)
        while heap:
            _position, column = heapq.heappop(heap)
            factor = row.get(column, 0)
            if not factor:
                row.pop(column, None)
                continue
            pivot_row = pivots.get(column)
            if pivot_row is None:
                inverse = pow(factor, PRIME - 2, PRIME)
                pivots[column] = {key: c * inverse % PRIME for key, c in row.items() if c}
                break
            del row[column]
            for key, c in pivot_row.items():
                if key == column:
                    continue
                if key not in row:
                    heapq.heappush(heap, (order[key], key))
                row[key] = (row.get(key, 0) - factor * c) % PRIME
    return pivots


def protect(cover: Cover, threshold: int = THRESHOLD) -> Publication:
    """Primary and secondary suppression of ``cover`` (see the module docstring).

    The pattern depends on nothing but the cover, so it is kept for covers seen before:
    every request of the same figures (another organisation, the CSV after the page)
    gets it without a second search.
    """
    frozen_values = tuple(cover.values.items())
    frozen_equations = tuple(tuple(equation.items()) for equation in cover.equations)
    hidden = _protected(frozen_values, frozen_equations, threshold)
    return Publication(dict(cover.values), hidden)


@lru_cache(maxsize=64)
def _protected(
    values: tuple[tuple[Key, int], ...],
    equations: tuple[tuple[tuple[Key, int], ...], ...],
    threshold: int,
) -> frozenset[Key]:
    return _search(Cover(dict(values), [dict(equation) for equation in equations]), threshold)


def _search(cover: Cover, threshold: int) -> frozenset[Key]:
    order = {key: index for index, key in enumerate(cover.values)}
    equations_of: dict[Key, list[int]] = defaultdict(list)
    for index, equation in enumerate(cover.equations):
        for key in equation:
            equations_of[key].append(index)
    hidden = {key for key, value in cover.values.items() if is_small(value, threshold)}

    def cost(key: Key) -> tuple[int, int, int]:
        # Smallest first; among equals the cell in fewer equations (an inner cell
        # rather than a total), then the first.
        return cover.values[key], len(equations_of[key]), order[key]

    while True:
        determined = determined_cells(cover.equations, hidden, order)
        if not determined:
            break
        added: set[Key] = set()
        for key in sorted(determined, key=order.__getitem__):
            partner = _partner(key, cover, hidden | added, equations_of, cost)
            if partner is not None:
                added.add(partner)
        if not added:  # cannot happen: the last hidden cell of a component is never fixed
            raise RuntimeError("suppression found no cell to hide")
        hidden |= added
    # Greedy choices can hide more than needed: show again those secondary cells whose
    # showing leaves no hidden cell determined, trying the totals (cells in the most
    # equations) and the largest first, as many as ``CLEAN_UP`` audits allow.
    secondary = [key for key in hidden if not is_small(cover.values[key], threshold)]
    ranked = sorted(secondary, key=lambda k: (-len(equations_of[k]), -cover.values[k], order[k]))
    for key in ranked[:CLEAN_UP]:
        if not determined_cells(cover.equations, hidden - {key}, order):
            hidden.discard(key)
    return frozenset(hidden)


def _partner(
    key: Key,
    cover: Cover,
    hidden: set[Key],
    equations_of: Mapping[Key, list[int]],
    cost: Callable[[Key], tuple[int, int, int]],
) -> Key | None:
    """The visible cell to hide next to protect ``key``: in the equation through ``key``
    with the fewest hidden cells, its smallest visible cell; if all of them are hidden,
    the nearest visible cell reachable through hidden cells."""
    ranked = sorted(
        equations_of.get(key, ()),
        key=lambda index: (sum(k in hidden for k in cover.equations[index]), index),
    )
    for index in ranked:
        visible = [k for k in cover.equations[index] if k not in hidden]
        if visible:
            return min(visible, key=cost)
    seen = {key}
    frontier = [key]
    while frontier:
        following: list[Key] = []
        for cell in frontier:
            for index in equations_of.get(cell, ()):
                for k in cover.equations[index]:
                    if k in seen:
                        continue
                    if k not in hidden:
                        return k
                    seen.add(k)
                    following.append(k)
        frontier = following
    return None


# --- plain grids ----------------------------------------------------------------------


def grid_cover(
    grid: Sequence[Sequence[int]], *, rows_add_up: bool = True, columns_add_up: bool = True
) -> Cover:
    """A grid whose last column (``rows_add_up``) and last row (``columns_add_up``) are
    the totals of the others, as a cover; cells are keyed ``(row, column)``."""
    height = len(grid)
    width = max((len(row) for row in grid), default=0)
    if any(len(row) != width for row in grid):
        raise ValueError("every row needs the same number of cells")
    cover = Cover()
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            cover.add((r, c), value)
    if rows_add_up and width > 1:
        for r in range(height):
            cover.total((r, width - 1), [(r, c) for c in range(width - 1)])
    if columns_add_up and height > 1:
        for c in range(width):
            cover.total((height - 1, c), [(r, c) for r in range(height - 1)])
    return cover


def suppression_mask(
    grid: Sequence[Sequence[int]],
    *,
    rows_add_up: bool = True,
    columns_add_up: bool = True,
    threshold: int = THRESHOLD,
) -> list[list[bool]]:
    """Which cells of ``grid`` (totals in the last row/column) to hide; True means hidden."""
    cover = grid_cover(grid, rows_add_up=rows_add_up, columns_add_up=columns_add_up)
    publication = protect(cover, threshold)
    return [[(r, c) in publication.hidden for c in range(len(row))] for r, row in enumerate(grid)]


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
    """``grid`` with its small cells and the cells that would give them away hidden."""
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
