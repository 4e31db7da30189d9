"""The typed declarative base and the column types every model reuses."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import TYPE_CHECKING, Annotated

from sqlalchemy import DateTime, FromClause, Integer, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

# Stable constraint names, so that migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on PostgreSQL and SQLite alike.

    SQLite stores no offset, so values come back naive; this type stores UTC and
    hands back aware datetimes on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def upserting_insert(dialect_name: str, table: FromClause) -> sqlite.Insert | postgresql.Insert:
    """The INSERT of the database in use, which knows ``ON CONFLICT`` (SQLite and PostgreSQL
    spell it alike)."""
    insert: sqlite.Insert | postgresql.Insert
    insert = importlib.import_module(f"sqlalchemy.dialects.{dialect_name}").insert(table)
    return insert


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
created_at = Annotated[
    dt.datetime, mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
]
updated_at = Annotated[
    dt.datetime,
    mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()),
]
str100 = Annotated[str, 100]
str200 = Annotated[str, 200]
str2000 = Annotated[str, 2000]
text10k = Annotated[str, 10000]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        str100: String(100),
        str200: String(200),
        str2000: String(2000),
        text10k: String(10000),
        dt.datetime: UTCDateTime,
    }
