"""The seed's bulk inserts give the driver what SQLAlchemy's own bind processors give it."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from models.base import UTCDateTime
from seeds.bulk import _converter, _utc_text

SAMPLES = Table(
    "samples",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("stamp", UTCDateTime),
    Column("day", Date),
    Column("flag", Boolean),
    Column("name", String(20)),
)
BERLIN = dt.timezone(dt.timedelta(hours=1))


def _stamps() -> list[dt.datetime]:
    rng = random.Random(13)  # noqa: S311 - reproducible test data
    stamps = [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 22, 0, tzinfo=BERLIN),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN),
    ]
    start = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    for _ in range(2000):
        stamp = start + dt.timedelta(seconds=rng.randint(0, 200 * 365 * 86400))
        if rng.random() < 0.3:
            stamp = stamp.replace(microsecond=rng.randint(0, 999999))
        stamps.append(stamp.astimezone(BERLIN) if rng.random() < 0.2 else stamp)
    return stamps


def _days() -> list[dt.date]:
    return [dt.date(1, 1, 1), dt.date(999, 5, 4), dt.date(2026, 12, 2), dt.date(9999, 12, 31)]


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("stamp", _stamps()),
        ("day", _days() * 3),
        ("flag", [True, False, True, 1, 0]),
        ("name", ["a", "b"]),
    ],
)
@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_each_column_converts_as_its_type_does(
    column: str, values: list[Any], dialect: Any
) -> None:
    own = SAMPLES.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    quick = _converter(SAMPLES.c[column], dialect)
    if own is None:
        assert quick is None
        return
    assert quick is not None
    if dialect.name == "sqlite" and column == "stamp":
        assert quick is _utc_text  # the quick way is the one taken
    assert [quick(value) for value in values] == [own(value) for value in values]


def test_a_naive_timestamp_is_refused_as_the_type_refuses_it() -> None:
    quick = _converter(SAMPLES.c.stamp, sqlite.dialect())
    assert quick is not None
    with pytest.raises(ValueError, match="aware"):
        quick(dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value it must refuse
