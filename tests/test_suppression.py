"""The small-cell rule of the coordination's figures (models.statistics.suppression)."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from models.statistics.suppression import (
    SUPPRESSED,
    WITHHELD,
    Cover,
    alternatives,
    bounds,
    determined_cells,
    grid_cover,
    protect,
    suppress,
    suppression_mask,
    unprotected_cells,
)

H = SUPPRESSED
X = WITHHELD


def test_counts_one_to_four_are_hidden_and_zero_and_five_are_shown():
    assert suppress([[0, 1, 4, 5]], rows_add_up=False, columns_add_up=False) == [[0, H, H, 5]]


def test_single_hidden_cell_in_a_row_hides_the_next_smallest_of_that_row():
    # 3 | 7 | 9 | total 19: without a second hidden cell, 3 = 19 - 7 - 9. The second
    # cell is shown "x", not "<5": it is 5 or more.
    assert suppress([[3, 9, 7, 19]], columns_add_up=False) == [[H, 9, X, 19]]


def test_single_hidden_cell_in_a_column_hides_the_next_smallest_of_that_column():
    grid = [[2], [12], [8], [22]]
    assert suppress(grid, rows_add_up=False) == [[H], [12], [X], [22]]


def test_two_hidden_cells_in_a_line_need_no_more():
    assert suppress([[2, 3, 20, 25]], columns_add_up=False) == [[H, H, 20, 25]]


def test_a_non_zero_cell_is_preferred_to_a_zero_as_the_second_cell():
    assert suppress([[0, 2, 6, 8]], columns_add_up=False) == [[0, H, X, 8]]


def test_a_zero_is_never_hidden():
    # So every hidden cell is at least 1, and the adversary knows it; the audit uses
    # that bound. A line with one small cell always holds another non-zero one: its total.
    assert suppress([[3, 0, 3], [6, 0, 6], [9, 0, 9]]) == [[H, 0, H], [X, 0, X], [9, 0, 9]]


def test_counts_that_do_not_add_up_are_refused():
    with pytest.raises(ValueError, match="do not satisfy"):
        suppress([[3], [0]], rows_add_up=False)


def test_the_pattern_is_audited_over_all_lines_together():
    # The audit solves every row and column at once (not one line at a time, as the old
    # rule did): no hidden cell of the result follows from the visible ones.
    grid = [
        [2, 30, 0, 32],
        [40, 0, 3, 43],
        [42, 30, 3, 75],
    ]
    mask = suppression_mask(grid)
    cover = grid_cover(grid)
    hidden = {(r, c) for r, row in enumerate(mask) for c, value in enumerate(row) if value}
    order = {key: index for index, key in enumerate(cover.values)}
    assert not determined_cells(cover.equations, hidden, order)
    assert mask[0][0] and mask[1][2]


def test_a_small_total_is_hidden_like_any_small_count():
    assert suppress([[1, 0, 1]], columns_add_up=False) == [[H, 0, H]]
    assert suppress([[6, 0], [3, 0], [9, 0]], rows_add_up=False) == [[X, 0], [H, 0], [9, 0]]


def test_secondary_cells_cascade_across_rows_and_columns_until_stable():
    # Categories by status with a totals row and column (the coordinator's barrier table).
    grid = [
        [8, 1, 0, 9],
        [0, 0, 2, 2],
        [8, 1, 2, 11],
    ]
    # The grand total 11 hides too: with it, 11 - 9 would give the 2s of the second row.
    assert suppress(grid) == [
        [X, H, 0, 9],
        [0, 0, H, H],
        [X, H, H, X],
    ]


def test_double_suppression_in_a_cross_table():
    grid = [
        [20, 3, 15, 38],
        [10, 12, 11, 33],
        [30, 15, 26, 71],
    ]
    # 3 is hidden; its row hides 15 (next smallest), its column hides 12; then the
    # column of 15 and the row of 12 each hold one hidden cell and hide 11.
    assert suppress(grid) == [
        [20, H, X, 38],
        [10, X, X, 33],
        [30, 15, 26, 71],
    ]


def test_rows_that_are_no_sums_are_not_protected_across():
    grid = [[3, 40], [9, 50], [12, 90]]
    assert suppress(grid, rows_add_up=False) == [[H, 40], [X, 50], [12, 90]]


@pytest.mark.parametrize("seed", range(40))
def test_no_line_ever_shows_exactly_one_hidden_cell(seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    rows, columns = rng.randint(1, 6), rng.randint(1, 6)
    body = [
        [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 30]) for _ in range(columns)]
        for _ in range(rows)
    ]
    grid = [[*row, sum(row)] for row in body]
    grid.append([sum(column) for column in zip(*grid, strict=True)])
    mask = suppression_mask(grid)
    for line in [*mask, *zip(*mask, strict=True)]:
        hidden = sum(line)
        assert hidden != 1 or len(line) == 1
    for value_row, mask_row in zip(grid, mask, strict=True):
        for value, hidden in zip(value_row, mask_row, strict=True):
            assert hidden or not 0 < value < 5


def test_ragged_or_negative_grids_are_refused():
    with pytest.raises(ValueError, match="same number"):
        suppression_mask([[1, 2], [3]])
    with pytest.raises(ValueError, match="negative"):
        suppression_mask([[-1]])


def test_empty_grid():
    assert suppression_mask([]) == []


# --- the bound "a hidden cell is at least 1" (and "<5" at most 4) ------------------------


def test_bounds_of_a_hidden_cell_by_its_mark():
    assert bounds(1, mixed=False) == (1, 4)  # "<5": zeros are never hidden
    assert bounds(9, mixed=False) == (5, math.inf)  # "x" protects, so it is 5 or more
    assert bounds(4, mixed=True) == (1, math.inf)  # mixed: an "x" that may be small


def test_two_hidden_ones_that_add_up_to_two_get_a_third_cell():
    # 1 | 1 | 20 | 22: the two 1s alone would add up to 2, and each is at least 1: both
    # pinned. With the 20 hidden too, 22 = a + b + c with c >= 5 leaves room.
    assert suppress([[1, 1, 20, 22]], columns_add_up=False) == [[H, H, X, 22]]


def test_a_small_total_of_ones_is_shown_x_because_its_mark_would_give_them_away():
    # 4 = 1 + 1 + 1 + 1: with every part at least 1 and a "<5" total at most 4, the marks
    # alone pin all five, whatever else is hidden. The total is shown "x" (it may be
    # small or large), and then 5 = 2 + 1 + 1 + 1 is another table the marks allow.
    cover = grid_cover([[1, 1, 1, 1, 4]], columns_add_up=False)
    publication = protect(cover)
    assert [publication.shown((0, c)) for c in range(5)] == [H, H, H, H, X]
    assert publication.mixed == {(0, 4)}
    assert not unprotected_cells(cover, publication, alternatives(cover))


def _cube(rng: random.Random, sizes: tuple[int, ...]) -> Cover:
    """A table of ``len(sizes)`` dimensions with every margin (index -1 is the total)."""
    cover = Cover()
    cells = list(itertools.product(*(range(size) for size in sizes)))
    values = {cell: rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 7, 12]) for cell in cells}
    for cell, value in values.items():
        for totals in itertools.product((False, True), repeat=len(sizes)):
            cover.add(tuple(-1 if t else v for v, t in zip(cell, totals, strict=True)), value)
    keys = list(cover.values)
    for axis in range(len(sizes)):
        parents = {(*key[:axis], -1, *key[axis + 1 :]) for key in keys if key[axis] != -1}
        for parent in sorted(parents):
            parts = [(*parent[:axis], i, *parent[axis + 1 :]) for i in range(sizes[axis])]
            cover.total(parent, parts)
    return cover


def _check_alternatives(cover: Cover) -> None:
    """Every hidden cell differs in some alternative table, and each alternative keeps
    every visible cell, every equation and every bound its marks state."""
    publication = protect(cover)
    changes = alternatives(cover)
    assert not unprotected_cells(cover, publication, changes)
    moved = set()
    for change in changes:
        other = dict(cover.values)
        for key, delta in change.items():
            assert key in publication.hidden  # a visible cell never moves
            other[key] += delta
            moved.add(key)
        for equation in cover.equations:
            assert sum(c * other[key] for key, c in equation.items()) == 0
        for key in publication.hidden:
            low, high = bounds(cover.values[key], key in publication.mixed)
            assert low <= other[key] <= high
    assert moved >= publication.hidden
    for key in publication.hidden:  # the marks tell the truth
        if publication.shown(key) == H:
            assert 1 <= cover.values[key] <= 4
        else:
            assert cover.values[key] >= 5 or key in publication.mixed


@pytest.mark.parametrize("seed", range(40))
def test_every_hidden_cell_of_a_grid_has_an_alternative_table(seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    _check_alternatives(_cube(rng, (rng.randint(1, 6), rng.randint(1, 6))))


@pytest.mark.parametrize("seed", range(15))
def test_every_hidden_cell_of_a_cube_has_an_alternative_table(seed):
    rng = random.Random(100 + seed)  # noqa: S311 - reproducible test data
    _check_alternatives(_cube(rng, (rng.randint(2, 4), rng.randint(2, 4), rng.randint(2, 3))))


def test_pattern_is_the_same_for_the_same_cover():
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    first = protect(_cube(rng, (4, 4, 3)))
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    from models.statistics import suppression  # noqa: PLC0415 - the cache, cleared

    suppression._protected.cache_clear()
    again = protect(_cube(rng, (4, 4, 3)))
    assert (first.hidden, first.small, first.mixed) == (again.hidden, again.small, again.mixed)
