"""The small-cell rule of the coordination's figures (models.statistics.suppression)."""

from __future__ import annotations

import random

import pytest

from models.statistics.suppression import (
    SUPPRESSED,
    determined_cells,
    grid_cover,
    suppress,
    suppression_mask,
)

H = SUPPRESSED


def test_counts_one_to_four_are_hidden_and_zero_and_five_are_shown():
    assert suppress([[0, 1, 4, 5]], rows_add_up=False, columns_add_up=False) == [[0, H, H, 5]]


def test_single_hidden_cell_in_a_row_hides_the_next_smallest_of_that_row():
    # 3 | 7 | 9 | total 19: without a second hidden cell, 3 = 19 - 7 - 9.
    assert suppress([[3, 9, 7, 19]], columns_add_up=False) == [[H, 9, H, 19]]


def test_single_hidden_cell_in_a_column_hides_the_next_smallest_of_that_column():
    grid = [[2], [12], [8], [22]]
    assert suppress(grid, rows_add_up=False) == [[H], [12], [H], [22]]


def test_two_hidden_cells_in_a_line_need_no_more():
    assert suppress([[2, 3, 20, 25]], columns_add_up=False) == [[H, H, 20, 25]]


def test_a_non_zero_cell_is_preferred_to_a_zero_as_the_second_cell():
    assert suppress([[0, 2, 6, 8]], columns_add_up=False) == [[0, H, H, 8]]


def test_a_zero_is_never_hidden():
    # Before: a zero was hidden "when nothing else was left". A hidden zero would let a
    # bound (counts are not negative) fix cells the audit counts as open; and a line
    # with one small cell always holds another non-zero one: its total.
    assert suppress([[3, 0, 3], [6, 0, 6], [9, 0, 9]]) == [[H, 0, H], [H, 0, H], [9, 0, 9]]


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
    assert suppress([[6, 0], [3, 0], [9, 0]], rows_add_up=False) == [[H, 0], [H, 0], [9, 0]]


def test_secondary_cells_cascade_across_rows_and_columns_until_stable():
    # Categories by status with a totals row and column (the coordinator's barrier table).
    grid = [
        [8, 1, 0, 9],
        [0, 0, 2, 2],
        [8, 1, 2, 11],
    ]
    assert suppress(grid) == [
        [H, H, 0, H],
        [0, 0, H, H],
        [H, H, H, 11],
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
        [20, H, H, 38],
        [10, H, H, 33],
        [30, 15, 26, 71],
    ]


def test_rows_that_are_no_sums_are_not_protected_across():
    grid = [[3, 40], [9, 50], [12, 90]]
    assert suppress(grid, rows_add_up=False) == [[H, 40], [H, 50], [12, 90]]


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
