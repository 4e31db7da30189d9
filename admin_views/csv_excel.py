"""CSV files that German Excel opens directly (SPEC §7), streamed row by row.

UTF-8 with BOM (Excel then reads umlauts correctly), ``;`` as separator, quoting as in
RFC 4180 (the ``csv`` module quotes cells holding ``;``, quotes or line breaks), CRLF line
ends, dates as ``TT.MM.JJJJ``, booleans as ``ja``/``nein``, decimals with a comma.

Formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
return would be run by Excel as a formula; it gets a leading apostrophe. Only text is
neutralised: ``-3`` as an ``int`` stays a number, ``"-3"`` as a ``str`` becomes ``'-3``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response, has_request_context, stream_with_context

from app.clock import BERLIN

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def neutralise(text: str) -> str:
    """Text that Excel shows as text, never runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def excel_cell(value: object) -> str:  # noqa: PLR0911 - one return per kind of value
    """One value as German Excel expects it in a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "ja" if value else "nein"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.datetime):  # before date: datetime is a date
        local = value.astimezone(BERLIN) if value.tzinfo else value
        return local.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return neutralise(str(value))  # str and lazy (translated) strings


def csv_rows(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The file as chunks of text, one line per chunk: BOM + header first, then the rows.

    Lazy: a row is read from ``rows`` only when its line is asked for, so memory does not
    grow with the number of rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def line(cells: Sequence[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([excel_cell(cell) for cell in cells])
        return buffer.getvalue()

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def formatted_csv_chunks(
    header: Sequence[object], batches: Iterable[Iterable[Sequence[object]]]
) -> Iterator[str]:
    """The file as ``csv_rows`` writes it, from batches of rows whose cells are finished
    already (``excel_cell`` done column by column, ``admin_views.export.column_formatter``;
    None is an empty cell): the BOM and the header first, then one chunk per batch.

    Lazy like ``csv_rows``: memory holds one batch, whatever the number of rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([excel_cell(cell) for cell in header])
    yield BOM + buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue()


def filename_part(text: str) -> str:
    """``Barrieren & Partner`` → ``barrieren_partner``: ASCII, lower case, safe in a file name."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_") or "export"


def csv_filename(*parts: str, day: dt.date) -> str:
    """``statistik_barrieren_awo_2026-11-25.csv``."""
    return "_".join([*(filename_part(part) for part in parts), day.isoformat()]) + ".csv"


def csv_response(
    filename: str,
    header: Sequence[object],
    rows: Iterable[Any],
    *,
    batches: bool = False,
) -> Response:
    """A streamed download of ``rows`` under ``filename`` (``batches``: ``rows`` are
    batches of finished rows, see ``formatted_csv_chunks``)."""
    chunks: Iterator[str] = (
        formatted_csv_chunks(header, rows) if batches else csv_rows(header, rows)
    )
    if has_request_context():
        chunks = stream_with_context(chunks)
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    folded = unicodedata.normalize("NFKD", filename.translate(_TRANSLITERATION))
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", folded.encode("ascii", "ignore").decode("ascii"))
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
