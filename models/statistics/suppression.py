"""Small-cell suppression for figures shown across organisations (SPEC §6.5).

Threat model and method: ``docs/statistics-suppression.md``. In short:

- Every figure the coordination can see is a cell of a ``Cover``: the counts of one family
  of linked tables (all organisations and each one, every quarter and its year, the
  drill-downs), with every linear relation between them written down as an equation
  (a row adds up to its total, the quarters to their year, the stock at the end of a
  quarter is the stock before plus opened minus closed, ...).
- ``protect`` hides every count from 1 to 4 (primary suppression, shown ``"<5"``) and
  hides further cells until every hidden cell has an *alternative table*: other whole
  counts, consistent with every visible cell, every equation and every mark, in which
  that cell has another value. Cells hidden to protect others are at least 5 and are
  shown ``"x"`` (a ``"<5"`` on them would be false). A zero is never hidden.
- The adversary knows all that: a hidden cell is at least 1, a ``"<5"`` at most 4, and
  (knowing the method) an ``"x"`` at least 5. Where those bounds alone pin a cell (four
  ``"<5"`` of 1 that add up to a ``"<5"`` total of 4), the hidden cells nearby that a
  bound holds (that total; an ``"x"`` of 5) become *mixed*: shown ``"x"``, and taken to
  be anything from 1 up, since an ``"x"`` there may be small.

An alternative table is proof that no reasoning over what is published, by any method,
fixes that cell: the published figures cannot tell the two tables apart. The search for
one (``_Alternatives``) moves single counts by one along the equations, so an
alternative it finds is checked in whole numbers, not just over the rationals.

Medians and rates are not cells of a cover; the coordination sees them only where the
counts behind them are visible cells (``median_is_safe``, ``rate_is_safe``).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

THRESHOLD = 5
SUPPRESSED = "<5"  # a hidden count from 1 to 4
WITHHELD = "x"  # a hidden count that protects a small one (or, where mixed, is small itself)
# A Mersenne prime: elimination over this field gives the rank over the rationals for
# the small integer coefficients of table equations (entries -1, 0, 1).
PRIME = 2**61 - 1
# How many protective cells ``protect`` tries to show again (each try is a few searches).
CLEAN_UP = 24
# The sizes of alternative tables (cells changed) searched for, smallest first, and the
# steps one search may take: enough for the tables of SPEC §6, and each failure is cheap.
SEARCH_SIZES = (4, 8, 16, 32)
SEARCH_BUDGET = 1500
MIXED_SEARCH_BUDGET = 6000
MIXED_SEARCH_SIZES = (8, 16, 32, 48)
CLEAN_UP_BUDGET = 300

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
    """A cover as it may be shown: its values, the cells that are hidden, which of them
    are shown ``"<5"`` (the others ``"x"``), and the mixed cells (see the module)."""

    values: Mapping[Key, int]
    hidden: frozenset[Key]
    small: frozenset[Key] = frozenset()
    mixed: frozenset[Key] = frozenset()

    def shown(self, key: Key) -> int | str:
        if key not in self.hidden:
            return self.values.get(key, 0)
        return SUPPRESSED if key in self.small else WITHHELD

    def is_visible(self, key: Key) -> bool:
        return key not in self.hidden


def publication_as_json(publication: Publication) -> dict[str, Any] | None:
    """A publication as JSON's values (None if a key holds anything but numbers, text
    and None): its values in their order, the hidden, small and mixed cells."""
    marked = (publication.hidden, publication.small, publication.mixed)
    keys = [*publication.values, *(key for cells in marked for key in cells)]
    if not all(isinstance(part, int | str | None) for key in keys for part in key):
        return None
    return {
        "values": [[list(key), value] for key, value in publication.values.items()],
        "hidden": [list(key) for key in publication.hidden],
        "small": [list(key) for key in publication.small],
        "mixed": [list(key) for key in publication.mixed],
    }


def publication_from_json(payload: dict[str, Any]) -> Publication:
    return Publication(
        values={tuple(key): value for key, value in payload["values"]},
        hidden=frozenset(tuple(key) for key in payload["hidden"]),
        small=frozenset(tuple(key) for key in payload["small"]),
        mixed=frozenset(tuple(key) for key in payload["mixed"]),
    )


def bounds(value: int, mixed: bool, threshold: int = THRESHOLD) -> tuple[int, float]:
    """What an adversary knows of a hidden cell of ``value``: the least and the largest
    count it can have. Zeros are never hidden; ``"<5"`` is 1 to 4; ``"x"`` is at least 5,
    except among mixed cells, where small counts are shown ``"x"`` too."""
    if mixed:
        return 1, math.inf
    if value < threshold:
        return 1, threshold - 1
    return threshold, math.inf


class _Alternatives:
    """The search for alternative tables of one cover.

    An alternative is a change ``d`` of the counts (cell -> +1 or -1, or more): it keeps
    every equation, moves only hidden cells (or, when ``widen`` is allowed, visible cells
    that then have to be hidden too) and leaves every cell within its ``bounds``. The
    search starts with one cell moved by one and repairs the equation with the fewest
    ways to repair it, depth first, up to a number of moved cells (``SEARCH_SIZES``).
    """

    def __init__(self, cover: Cover, threshold: int) -> None:
        self.values = cover.values
        self.threshold = threshold
        self.order = {key: index for index, key in enumerate(cover.values)}
        self.equations = [tuple(equation.items()) for equation in cover.equations]
        self.equations_of: dict[Key, list[tuple[int, int]]] = defaultdict(list)
        for index, equation in enumerate(self.equations):
            for key, coefficient in equation:
                self.equations_of[key].append((index, coefficient))
        self.mixed: set[Key] = set()
        # May the cell move up by one, down by one (bounds of an unmixed hidden cell)?
        self.can_rise = {key: self._room(key)[1] >= 1 for key in self.values}
        self.can_fall = {key: self._room(key)[0] >= 1 for key in self.values}

    def _room(self, key: Key) -> tuple[float, float]:
        value = self.values[key]
        low, high = bounds(value, key in self.mixed, self.threshold)
        return value - low, high - value

    def mix(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self.mixed.add(key)
            self.can_rise[key] = self._room(key)[1] >= 1
            self.can_fall[key] = self._room(key)[0] >= 1

    def blocking(self, key: Key) -> bool:
        """Whether mixing ``key`` lets it move by one where it could not: a ``"<5"`` of 4
        may then rise, an ``"x"`` of 5 fall (a hidden 1 can never fall)."""
        if key in self.mixed:
            return False
        if is_small(self.values[key], self.threshold):
            return not self.can_rise[key]
        return not self.can_fall[key]

    def alternative(
        self,
        target: Key,
        hidden: set[Key],
        *,
        widen: bool,
        sizes: Sequence[int] | None = None,
        budget: int | None = None,
    ) -> dict[Key, int] | None:
        """A change that moves ``target``, or None if none was found."""
        budget = budget or SEARCH_BUDGET
        for size in sizes or SEARCH_SIZES:
            for step in (1, -1):
                if (self.can_rise if step > 0 else self.can_fall)[target]:
                    found = self._depth_first(
                        target, step, hidden, widen=widen, size=size, budget=budget
                    )
                    if found is not None:
                        return found
        return None

    def _depth_first(  # noqa: PLR0915 - one search, kept in one place for speed
        self, target: Key, step: int, hidden: set[Key], *, widen: bool, size: int, budget: int
    ) -> dict[Key, int] | None:
        change = {target: step}
        imbalance: dict[int, int] = defaultdict(int)
        for index, coefficient in self.equations_of[target]:
            imbalance[index] += coefficient * step
        unbalanced = {index for index, value in imbalance.items() if value}
        steps = 0
        equations, equations_of = self.equations, self.equations_of
        values, order = self.values, self.order
        can_rise, can_fall = self.can_rise, self.can_fall

        def move(key: Key, delta: int) -> None:
            for index, coefficient in equations_of[key]:
                imbalance[index] += coefficient * delta
                if imbalance[index]:
                    unbalanced.add(index)
                else:
                    unbalanced.discard(index)

        def movable(key: Key, coefficient: int, excess: int) -> int:
            """The move of ``key`` (+1 or -1) that reduces ``excess``; 0 if none."""
            if key in change or not (widen or key in hidden):
                return 0
            if coefficient * excess > 0:
                return -1 if can_fall[key] else 0
            return 1 if can_rise[key] else 0

        def extend() -> bool:  # noqa: PLR0912 - the hot loop of the search, inlined
            nonlocal steps
            if not unbalanced:
                return True
            steps += 1
            if steps > budget:
                return False
            chosen, fewest = -1, 1 << 30
            for index in sorted(unbalanced):
                excess = imbalance[index]
                if len(change) + abs(excess) > size:
                    return False  # each unit of imbalance needs one more moved cell
                count = 0
                for key, coefficient in equations[index]:
                    if movable(key, coefficient, excess):
                        count += 1
                        if count >= fewest:
                            break
                if count == 0:
                    return False
                if count < fewest:
                    chosen, fewest = index, count
                    if count == 1:
                        break
            excess = imbalance[chosen]
            options = []
            for key, coefficient in equations[chosen]:
                delta = movable(key, coefficient, excess)
                if not delta:
                    continue
                is_hidden = key in hidden
                # Hidden cells first; then the cell that unbalances the fewest other
                # equations; then the smallest visible cell.
                opened = 0
                for other, c in equations_of[key]:
                    if other != chosen:
                        now = imbalance.get(other, 0)
                        opened += 1 if now == 0 else (-1 if now * c * delta < 0 else 1)
                rank = (not is_hidden, opened, 0 if is_hidden else values[key], order[key])
                options.append((rank, key, delta))
            options.sort(key=lambda item: item[0])
            for _rank, key, delta in options:
                change[key] = delta
                move(key, delta)
                if extend():
                    return True
                move(key, -delta)
                del change[key]
            return False

        return dict(change) if extend() else None

    def mix_around(self, target: Key, hidden: set[Key]) -> dict[Key, int]:
        """Where no alternative was found: a longer search; then, as the bounds may pin
        ``target``, mix the cells around it that a bound holds (a ``"<5"`` of 4, a cell
        of 5), ring by ring, until an alternative exists. As a last resort every
        non-zero cell linked to it is hidden and mixed; doubling them all is then an
        alternative."""
        found = self._longer_search(target, hidden)
        ring, seen = {target}, {target}
        while found is None and ring:
            held = sorted((key for key in ring if self.blocking(key)), key=self.order.__getitem__)
            if held:
                self.mix(held)
                found = self._longer_search(target, hidden)
            ring = {
                key
                for cell in ring
                for index, _c in self.equations_of[cell]
                for key, _coefficient in self.equations[index]
                if key not in seen
            }
            seen |= ring
        if found is not None:
            return found
        linked = self.linked(target)
        self.mix(linked)
        return {key: self.values[key] for key in linked}

    def _longer_search(self, target: Key, hidden: set[Key]) -> dict[Key, int] | None:
        for widen in (False, True):
            found = self.alternative(
                target, hidden, widen=widen, sizes=MIXED_SEARCH_SIZES, budget=MIXED_SEARCH_BUDGET
            )
            if found is not None:
                return found
        return None

    def linked(self, target: Key) -> set[Key]:
        """Every cell linked to ``target`` through equations."""
        linked, frontier = {target}, [target]
        while frontier:
            cell = frontier.pop()
            for index, _c in self.equations_of[cell]:
                for key, _coefficient in self.equations[index]:
                    if key not in linked:
                        linked.add(key)
                        frontier.append(key)
        return linked

    def is_alternative(self, change: Mapping[Key, int], hidden: set[Key]) -> bool:
        """Whether ``change`` keeps every equation, the visible cells and the bounds."""
        if not change or any(key not in hidden for key in change):
            return False
        for key, delta in change.items():
            down, up = self._room(key)
            if not -down <= delta <= up or delta == 0:
                return False
        touched = {index for key in change for index, _c in self.equations_of[key]}
        return all(
            sum(c * change.get(key, 0) for key, c in self.equations[index]) == 0
            for index in touched
        )


def determined_cells(
    equations: Sequence[Mapping[Key, int]], hidden: Iterable[Key], order: Mapping[Key, int]
) -> set[Key]:
    """The hidden cells whose value follows from the visible ones through ``equations``
    alone (no bounds): a weaker audit than ``unprotected_cells``, kept as a cross-check.

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
    pattern = _protected(*_frozen(cover), threshold)
    return Publication(dict(cover.values), pattern.hidden, pattern.small, pattern.mixed)


def alternatives(cover: Cover, threshold: int = THRESHOLD) -> tuple[dict[Key, int], ...]:
    """The alternative tables behind ``protect(cover)``, as changes of the counts: the
    evidence that no hidden cell is pinned (checked by ``unprotected_cells``)."""
    return tuple(dict(change) for change in _protected(*_frozen(cover), threshold).changes)


def _frozen(
    cover: Cover,
) -> tuple[tuple[tuple[Key, int], ...], tuple[tuple[tuple[Key, int], ...], ...]]:
    return (
        tuple(cover.values.items()),
        tuple(tuple(equation.items()) for equation in cover.equations),
    )


@dataclass(frozen=True)
class _Pattern:
    hidden: frozenset[Key]
    small: frozenset[Key]
    mixed: frozenset[Key]
    changes: tuple[dict[Key, int], ...]


@lru_cache(maxsize=64)
def _protected(
    values: tuple[tuple[Key, int], ...],
    equations: tuple[tuple[tuple[Key, int], ...], ...],
    threshold: int,
) -> _Pattern:
    return _search(Cover(dict(values), [dict(equation) for equation in equations]), threshold)


class _Proofs:
    """The alternatives found so far, and which cells each one proves unpinned."""

    def __init__(self) -> None:
        self.changes: dict[int, dict[Key, int]] = {}
        self.of: dict[Key, set[int]] = defaultdict(set)
        self.next = 0

    def add(self, change: dict[Key, int]) -> None:
        self.changes[self.next] = change
        for key in change:
            self.of[key].add(self.next)
        self.next += 1

    def drop(self, number: int) -> None:
        for key in self.changes.pop(number):
            self.of[key].discard(number)

    def proven(self, key: Key) -> bool:
        return bool(self.of.get(key))


def _search(cover: Cover, threshold: int) -> _Pattern:
    search = _Alternatives(cover, threshold)
    order = search.order
    primary = sorted(
        (key for key, value in cover.values.items() if is_small(value, threshold)),
        key=order.__getitem__,
    )
    hidden = set(primary)
    proofs = _Proofs()
    for target in primary:
        if proofs.proven(target):
            continue
        found = search.alternative(target, hidden, widen=False)
        if found is None:
            found = search.alternative(target, hidden, widen=True)
        if found is None:
            found = search.mix_around(target, hidden)
        hidden |= found.keys()
        proofs.add(found)
    _show_again(search, hidden, proofs, threshold)
    if not all(proofs.proven(key) for key in hidden):  # cannot happen: see mix_around
        raise RuntimeError("suppression left a hidden cell without an alternative")
    small = frozenset(
        key for key in hidden if is_small(cover.values[key], threshold) and key not in search.mixed
    )
    return _Pattern(
        frozenset(hidden), small, frozenset(search.mixed & hidden), tuple(proofs.changes.values())
    )


def _show_again(search: _Alternatives, hidden: set[Key], proofs: _Proofs, threshold: int) -> None:
    """Greedy choices can hide more than needed: show again those protective cells without
    which every hidden cell still has an alternative, trying the totals (cells in the
    most equations) and the largest first, as many as ``CLEAN_UP`` allow."""
    values = search.values
    protective = [
        key for key in hidden if not is_small(values[key], threshold) and key not in search.mixed
    ]
    protective.sort(key=lambda k: (-len(search.equations_of[k]), -values[k], search.order[k]))
    for key in protective[:CLEAN_UP]:
        broken = sorted(proofs.of[key])
        trial = hidden - {key}
        orphans = sorted(
            {
                cell
                for number in broken
                for cell in proofs.changes[number]
                if cell != key and proofs.of[cell] <= set(broken)
            },
            key=search.order.__getitem__,
        )
        replacements: list[dict[Key, int]] = []
        proven: set[Key] = set()
        for cell in orphans:
            if cell in proven:
                continue
            found = search.alternative(
                cell, trial, widen=False, sizes=SEARCH_SIZES[:3], budget=CLEAN_UP_BUDGET
            )
            if found is None:
                break
            replacements.append(found)
            proven |= found.keys()
        else:
            for number in broken:
                proofs.drop(number)
            for change in replacements:
                proofs.add(change)
            hidden.discard(key)


def unprotected_cells(
    cover: Cover, publication: Publication, changes: Iterable[Mapping[Key, int]]
) -> set[Key]:
    """The hidden cells of ``publication`` that no change of ``changes`` moves while
    keeping every equation, every visible cell and every bound (empty for what
    ``protect`` and ``alternatives`` return): the audit, in whole numbers."""
    search = _Alternatives(cover, THRESHOLD)
    search.mix(publication.mixed)
    hidden = set(publication.hidden)
    moved: set[Key] = set()
    for change in changes:
        if search.is_alternative(change, hidden):
            moved |= change.keys()
    return hidden - moved


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


def suppress(
    grid: Sequence[Sequence[int]], *, rows_add_up: bool = True, columns_add_up: bool = True
) -> list[list[int | str]]:
    """``grid`` as shown: small cells ``"<5"``, the cells that protect them ``"x"``."""
    cover = grid_cover(grid, rows_add_up=rows_add_up, columns_add_up=columns_add_up)
    publication = protect(cover)
    return [[publication.shown((r, c)) for c in range(len(row))] for r, row in enumerate(grid)]


def median_is_safe(values: int) -> bool:
    """A median across organisations may show when at least ``THRESHOLD`` values stand behind it."""
    return values >= THRESHOLD


def rate_is_safe(numerator: int, denominator: int) -> bool:
    """A rate across organisations may show when none of the counts it implies is 1 to 4."""
    return denominator >= THRESHOLD and all(
        count == 0 or count >= THRESHOLD for count in (numerator, denominator - numerator)
    )
