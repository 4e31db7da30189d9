"""List exports as German Excel CSV, streamed from the database (SPEC §7).

The export runs the list's own query (scoping, search, filters and sort of the current
URL) and reads it in batches in a session of its own, so memory does not grow with the
number of rows and no connection outlives the download. When every exported column is a
plain column of the list's model (the client export), the query selects just those
columns and the rows go from the driver straight into the CSV, without a record object
per row (``column_formatter``: the same cell as ``excel_cell`` of the record's value).
If the
database fails half-way, the exception ends the response without its final chunk: the
browser reports a failed download instead of saving a silently truncated file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from flask import Response
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from admin_views.compat import (
    column_choices,
    export_columns,
    field_value,
    list_arguments,
    sort_column,
)
from admin_views.csv_excel import FORMULA_STARTS, csv_filename, csv_response, excel_cell
from app.clock import today
from app.extensions import db

EXPORT_BATCH_SIZE = 1000


def export_query(view: Any) -> tuple[int, Any]:
    """Row count and query of the list as the user currently sees it, without paging."""
    view_args = list_arguments(view)
    sort = sort_column(view, view_args.sort)
    count, query = view.get_list(
        0,
        sort[0] if sort else None,
        view_args.sort_desc,
        view_args.search,
        view_args.filters,
        execute=False,
        page_size=0,
    )
    return count, query.options(*view.export_loader_options).yield_per(EXPORT_BATCH_SIZE)


def plain_columns(view: Any) -> list[Any] | None:
    """The model's columns of the export, in its order; None if any exported column is
    more than a column of the model (a related record, a formatter of its own)."""
    mapper = inspect(view.model)
    formatted = view.column_formatters_export or {}
    columns = []
    for name, _label in export_columns(view):
        if name not in mapper.column_attrs or (
            name in formatted and name not in view.choice_fields
        ):
            return None
        columns.append(getattr(view.model, name))
    return columns


def export_filename(view: Any) -> str:
    organisation = getattr(current_user, "organisation", None)
    scope = organisation.slug if organisation is not None else "kim"
    return csv_filename(view.export_basename or view.endpoint, scope, day=today())


def cell_reader(view: Any, name: str) -> Callable[[Any], object]:
    """How one column's cell is read from a record, with everything per-export done once.

    Choice labels are translated once per export, not once per row; plain values go to
    ``excel_cell`` as they are (dates, booleans, numbers keep their kind); a column with a
    formatter of its own is read through Flask-Admin's export value.
    """
    choices = column_choices(view, name)
    if choices:
        labels = {code: str(label) for code, label in choices.items()}
        return lambda record: labels.get(field_value(view, record, name), "")
    if name in (view.column_formatters_export or {}) and name not in view.choice_fields:
        return lambda record: view.get_export_value(record, name)

    def plain(record: Any) -> object:
        value = field_value(view, record, name)
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if value is None or isinstance(value, str | int | float | dt.date):
            return value
        return str(value)

    return plain


def plain_value(value: Any) -> object:
    """A column's value as the export writes it: lists joined, other objects as text."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if value is None or isinstance(value, str | int | float | dt.date):
        return value
    return str(value)


FORMULA_CHARACTERS = frozenset(FORMULA_STARTS)  # each of them one character


def text_column(values: Sequence[str | None]) -> list[str | None]:
    """Text cells, formula-safe (``neutralise``); None stays None, which ``csv`` writes
    as an empty cell like ``excel_cell``."""
    starts = FORMULA_CHARACTERS
    return ["'" + value if value is not None and value[:1] in starts else value for value in values]


def number_column(values: Sequence[int | None]) -> Sequence[int | None]:
    """Whole numbers as they are: ``csv`` writes ``str(number)``, None as empty."""
    return values


_YES_NO: dict[bool, str] = {True: "ja", False: "nein"}


def yes_no_column(values: Sequence[bool | None]) -> list[str | None]:
    return [None if value is None else _YES_NO[value] for value in values]


def date_column(values: Sequence[dt.date | None]) -> list[str | None]:
    """``TT.MM.JJJJ``: what ``strftime("%d.%m.%Y")`` writes, without its cost per call."""
    return [
        None if value is None else f"{value.day:02d}.{value.month:02d}.{value.year}"
        for value in values
    ]


def iso_date_column(values: Sequence[str | None]) -> list[str | None]:
    """``date_column`` of dates as SQLite's driver gives them, ``JJJJ-MM-TT`` text: the
    cells cut from the text, without making a date of each first."""
    return [
        None if value is None else f"{value[8:10]}.{value[5:7]}.{value[:4].lstrip('0')}"
        for value in values
    ]


def any_column(values: Sequence[Any]) -> list[str]:
    return [excel_cell(plain_value(value)) for value in values]


# The cells of a whole column of one kind, each what ``any_column`` writes of the
# values the driver gives for it (``tests/test_export_columns.py``).
COLUMN_OF_TYPE: dict[type, Callable[[Sequence[Any]], Iterable[Any]]] = {
    str: text_column,
    int: number_column,
    bool: yes_no_column,
    dt.date: date_column,
}


def column_formatter(view: Any, name: str) -> Callable[[Sequence[Any]], Iterable[Any]]:
    """The CSV cells of a batch of one column's values: its German labels for a choice
    column, else the values as ``excel_cell`` writes them (dates, ja/nein, formula-safe)."""
    choices = column_choices(view, name)
    if choices:
        cells = {code: excel_cell(str(label)) for code, label in choices.items()}
        return lambda values: map(cells.get, values)  # no label: None, an empty cell
    try:
        kind = getattr(view.model, name).type.python_type
    except (AttributeError, NotImplementedError):
        return any_column
    return COLUMN_OF_TYPE.get(kind, any_column)


def _driver_batches(
    connection: Any, statement: Any
) -> Iterator[tuple[Sequence[Sequence[Any]], list[Callable[[Any], Any] | None]]]:
    """The statement's rows in batches, with the conversion each column still needs.

    A database with server-side cursors (PostgreSQL) streams through one, read in
    partitions of converted rows. SQLite's cursor reads lazily by itself: its rows are
    taken from the driver's cursor directly, without a Row object each, and a column whose
    type converts the driver's value (a date) is converted by the type's own result
    processor, as a Row would have done.
    """
    dialect = connection.dialect
    if dialect.supports_server_side_cursors:
        result = connection.execute(
            statement, execution_options={"stream_results": True, "yield_per": EXPORT_BATCH_SIZE}
        )
        converted: list[Callable[[Any], Any] | None] = [None] * len(statement.selected_columns)
        for rows in result.partitions(EXPORT_BATCH_SIZE):
            yield rows, converted
        return
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.selected_columns
    ]
    cursor = connection.execute(statement).cursor
    try:
        while rows := cursor.fetchmany(EXPORT_BATCH_SIZE):
            yield rows, processors
    finally:
        cursor.close()


def _is_date(column: Any) -> bool:
    """A plain DATE column (a date time is not one)."""
    try:
        return bool(column.type.python_type is dt.date)
    except NotImplementedError:
        return False


def _column_batches_in_own_session(
    statement: Any, formatters: list[Callable[[Sequence[Any]], Iterable[Any]]]
) -> Iterator[Iterable[Sequence[Any]]]:
    """Batches of rows of columns in a session of the stream's own (see below), each
    batch formatted column by column: the finished rows of one chunk of the file."""
    own_session = Session(db.engine)
    try:
        # Through the connection: rows of columns, no ORM loading per row.
        connection = own_session.connection()
        if not connection.dialect.supports_server_side_cursors:
            # SQLite: a date column's cells are cut from the driver's text (the type's
            # processor, which makes a date of it, is left out for that column below).
            formatters = [
                iso_date_column if write is date_column and _is_date(column) else write
                for write, column in zip(formatters, statement.selected_columns, strict=True)
            ]
        for rows, processors in _driver_batches(connection, statement):
            columns = zip(*rows, strict=True)
            yield zip(
                *(
                    write(
                        values
                        if convert is None or write is iso_date_column
                        else list(map(convert, values))
                    )
                    for write, convert, values in zip(formatters, processors, columns, strict=True)
                ),
                strict=True,
            )
    finally:
        own_session.close()


def _rows_in_own_session(
    query: Any, readers: list[Callable[[Any], object]]
) -> Iterator[list[object]]:
    """Read the rows through a session of the stream's own, closed when the stream ends.

    The download is sent after the request's session has been committed and closed; a
    query run on that session would open a transaction nobody ends (on PostgreSQL, an
    "idle in transaction" connection per export until the pool runs dry). ``finally``
    also runs when the client goes away and the server closes the stream.
    """
    own_session = Session(db.engine)
    try:
        for record in query.with_session(own_session):
            yield [read(record) for read in readers]
    finally:
        own_session.close()


def stream_csv_export(view: Any) -> tuple[Response, int, dict[str, Any]]:
    """The response, the number of rows it will hold, and what was asked (for the audit)."""
    count, query = export_query(view)
    columns = export_columns(view)
    header = [str(label) for _name, label in columns]
    plain = plain_columns(view)
    if plain is not None:
        formatters = [column_formatter(view, name) for name, _label in columns]
        statement = query.statement.with_only_columns(*plain)
        response = csv_response(
            export_filename(view),
            header,
            _column_batches_in_own_session(statement, formatters),
            batches=True,
        )
    else:
        readers = [cell_reader(view, name) for name, _label in columns]
        rows = _rows_in_own_session(query, readers)
        response = csv_response(export_filename(view), header, rows)
    view_args = list_arguments(view)
    # The search text and filter values may name a person: the audit keeps only their use.
    asked = {"search_used": bool(view_args.search), "filter_count": len(view_args.filters or [])}
    return response, count, asked
