"""List exports as German Excel CSV, streamed from the database (SPEC §7).

The export runs the list's own query (scoping, search, filters and sort of the current
URL) and reads it in batches in a session of its own, so memory does not grow with the
number of rows and no connection outlives the download. If the
database fails half-way, the exception ends the response without its final chunk: the
browser reports a failed download instead of saving a silently truncated file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response
from flask_login import current_user
from sqlalchemy.orm import Session

from admin_views.compat import (
    column_choices,
    export_columns,
    field_value,
    list_arguments,
    sort_column,
)
from admin_views.csv_excel import csv_filename, csv_response
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
    readers = [cell_reader(view, name) for name, _label in columns]
    rows = _rows_in_own_session(query, readers)
    view_args = list_arguments(view)
    # The search text and filter values may name a person: the audit keeps only their use.
    asked = {"search_used": bool(view_args.search), "filter_count": len(view_args.filters or [])}
    return csv_response(export_filename(view), header, rows), count, asked
