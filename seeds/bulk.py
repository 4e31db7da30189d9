"""The demo seed's bulk inserts: plain rows handed to the database driver's executemany.

A Core ``session.execute(insert(table), rows)`` converts every row's parameters one by one
(the statement's parameters assembled, each value passed through its type): at 100,000
clients that took longer than the database's own work. Here the statement is compiled once
and each column's values are converted by the same bind processors of their types, column
by column, so the database gets what SQLAlchemy would have given it. Columns a row leaves
out get their Python-side default, with one difference: a callable one (the time stamps'
``utcnow``) is called once for each chunk of rows, not for each row, as if the chunk were
one INSERT that the database stamped (calling and converting it row by row took seconds
at 100,000 clients). The seed's bulk tables have no SQL-expression or sequence defaults;
this module does not give those.

Driver SQL passes by the session's statement listener, so the statistics tokens of the
table are replaced here, as that listener does for a Core insert
(``models.statistics.generation``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Column, Table, bindparam, insert, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from models.base import UTCDateTime
from models.statistics.generation import ANY, bump

Row = dict[str, Any]
CHUNK_SIZE = 5000


def insert_rows(session: Session, table: Table, rows: Sequence[Row]) -> int:
    """Insert ``rows`` (each with the same keys) into ``table``; the number inserted."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults = _defaults(table, given)
    names = [*given, *defaults]
    statement = insert(table).values({name: bindparam(name) for name in names})
    compiled = statement.compile(dialect=dialect)
    order = list(compiled.positiontup or names) if compiled.positional else names
    converters = [_converter(table.c[name], dialect) for name in order]
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        given_columns = _given_columns(chunk, given)
        columns = [
            _converted(given_columns[name], convert)
            if name in given_columns
            else _default_values(defaults[name], len(chunk), convert)
            for name, convert in zip(order, converters, strict=True)
        ]
        if compiled.positional:
            parameters: list[Any] = list(zip(*columns, strict=True))
        else:
            parameters = [
                dict(zip(order, values, strict=True)) for values in zip(*columns, strict=True)
            ]
        connection.exec_driver_sql(compiled.string, parameters)
    bump(session, [(ANY, table.name)])
    return len(rows)


def _given_columns(chunk: Sequence[Row], names: list[str]) -> dict[str, Sequence[Any]]:
    """The chunk's values column by column, in C (``itemgetter``, ``zip``): a loop in
    Python over every value of every column took seconds at 100,000 clients."""
    if len(names) == 1:  # itemgetter of one name gives the value, not a tuple
        return {names[0]: [row[names[0]] for row in chunk]}
    return dict(zip(names, zip(*map(itemgetter(*names), chunk), strict=True), strict=True))


def _default_values(default: Any, count: int, convert: Callable[[Any], Any] | None) -> list[Any]:
    """A left-out column's default for ``count`` rows as the driver takes it (a callable one
    called once for them all)."""
    return list(_converted([default(None) if callable(default) else default], convert)) * count


def _converted(values: Sequence[Any], convert: Callable[[Any], Any] | None) -> Sequence[Any]:
    """One column as the driver takes it."""
    if convert is None:
        return values
    return [None if value is None else convert(value) for value in values]


def _defaults(table: Table, given: list[str]) -> Row:
    """The Python-side defaults of the columns the rows leave out."""
    defaults: Row = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None:
            continue
        if default.is_scalar or default.is_callable:  # a callable is called for each row
            defaults[column.name] = default.arg  # type: ignore[attr-defined]
    return defaults


def _converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor on this database (None: values pass as they are),
    or a quicker function that gives the same values (``tests/test_seed_bulk.py``)."""
    impl = column.type.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if process is None or dialect.name != "sqlite":
        return process
    if type(column.type) is UTCDateTime and _default_datetime_text(getattr(impl, "impl", None)):
        return _utc_text
    if isinstance(impl, (sqlite.DATE, Boolean)):
        return _remembered(process)  # a few thousand days, two truth values
    return process


def _default_datetime_text(impl: Any) -> bool:
    """SQLite's DATETIME ``impl`` stores SQLAlchemy's default text."""
    kind = sqlite.DATETIME
    return type(impl) is kind and impl._storage_format == kind._storage_format and impl._reg is None


def _utc_text(value: dt.datetime) -> str:
    """What ``UTCDateTime`` and SQLite's DATETIME make of an aware datetime:
    'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (isoformat is C code; their dict formatting is not)."""
    if value.tzinfo is not dt.UTC:
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _remembered(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process``, each distinct value converted once."""
    converted: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value not in converted:
            converted[value] = process(value)
        return converted[value]

    return convert


def drop_secondary_indexes(session: Session, tables: Iterable[Table]) -> list[str]:
    """On SQLite, drop the indexes of ``tables`` that the migrations created (not those of
    primary keys and unique constraints): filled row by row, each is a B-tree written at
    random places; built once after the bulk load, it is one sort. Returns their SQL as
    the migrations wrote it, for ``create_indexes``; elsewhere drops nothing. Inside the
    caller's transaction, so a rollback brings them back too."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    statement = text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN :tables ORDER BY rowid"
    ).bindparams(bindparam("tables", expanding=True))
    indexes = session.execute(statement, {"tables": [table.name for table in tables]}).all()
    for name, _sql in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    return [sql for _name, sql in indexes]


def create_indexes(session: Session, statements: Iterable[str]) -> None:
    """Create the indexes ``drop_secondary_indexes`` dropped, by their own SQL."""
    for statement in statements:
        session.execute(text(statement))
