"""The cubes of the coordination's covers: every published cell is the sum of its records,
and the same records in any order give the same cover (so the same suppression pattern)."""

from __future__ import annotations

import random
from itertools import product
from typing import Any

import pytest

from models.statistics.coordination import ALL, add_cube
from models.statistics.suppression import Cover

PUBLISHED = {
    "every margin": lambda key: True,
    "the first axis or the last summed": lambda key: key[0] == ALL or key[-1] == ALL,
    "no margin of one axis": lambda key: sum(value == ALL for value in key) != 1,
}


def random_records(seed: int) -> list[tuple[tuple[Any, ...], int]]:
    draw = random.Random(seed)  # noqa: S311 - reproducible test data
    axes = draw.randint(1, 4)
    return [
        (tuple(draw.choice([1, 2, 3, None]) for _ in range(axes)), draw.choice([0, 1, 2, 5, 9]))
        for _ in range(draw.randint(0, 60))
    ]


def direct_sum(records: list[tuple[tuple[Any, ...], int]], key: tuple[Any, ...]) -> int:
    return sum(
        count
        for coordinates, count in records
        if all(want in (ALL, value) for want, value in zip(key, coordinates, strict=True))
    )


@pytest.mark.parametrize("published", PUBLISHED.values(), ids=PUBLISHED.keys())
@pytest.mark.parametrize("seed", range(40))
def test_a_cube_publishes_the_sum_of_its_records_in_every_cell(seed: int, published: Any) -> None:
    records = random_records(seed)
    cover = Cover()
    add_cube(cover, "x", records, published)
    axes = len(records[0][0]) if records else 0
    expected = {}
    for coordinates in {coordinates for coordinates, _count in records}:
        for totals in product((False, True), repeat=axes):
            key = tuple(ALL if total else v for v, total in zip(coordinates, totals, strict=True))
            if published(key) and direct_sum(records, key):
                expected[("x", *key)] = direct_sum(records, key)
    assert cover.values == expected  # zeros left out: a missing cell is a visible 0
    for equation in cover.equations:  # each margin is the sum of its published parts
        assert sum(coefficient * cover.values[key] for key, coefficient in equation.items()) == 0


@pytest.mark.parametrize("seed", range(20))
def test_the_same_records_in_another_order_give_the_same_cover(seed: int) -> None:
    records = random_records(seed)
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - reproducible test data
    first, second = Cover(), Cover()
    add_cube(first, "x", records, PUBLISHED["the first axis or the last summed"])
    add_cube(second, "x", shuffled, PUBLISHED["the first axis or the last summed"])
    assert list(first.values.items()) == list(second.values.items())
    assert first.equations == second.equations
