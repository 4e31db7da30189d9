"""How values look in lists, details pages and exports: German, and plain text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from markupsafe import Markup, escape

from models.labels import CODED_FIELDS, LABELS


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return to_user_timezone(value).strftime("%d.%m.%Y, %H:%M")


def format_bool(value: bool | None) -> str:
    if value is None:
        return ""
    return _("ja") if value else _("nein")


TYPE_FORMATTERS: dict[type, Callable[..., Any]] = {
    **typefmt.BASE_FORMATTERS,
    bool: lambda view, value, name: format_bool(value),
    dt.date: lambda view, value, name: format_date(value),
    dt.datetime: lambda view, value, name: format_datetime(value),
    list: lambda view, values, name: ", ".join(str(value) for value in values),
}
EXPORT_TYPE_FORMATTERS: dict[type, Callable[..., Any]] = {
    **TYPE_FORMATTERS,
    type(None): lambda view, value, name: "",
}


# --- recorded changes (audit trail, a record's history) ---------------------------------


def describe_value(record_type: str | None, name: str, value: Any) -> str:  # noqa: PLR0911
    """A recorded value as a person reads it: labels for codes, German dates, "Nr. 307"."""
    if value is None or value == []:
        return "\u2013"
    if isinstance(value, list):
        return ", ".join(describe_value(record_type, name, item) for item in value)
    coded = CODED_FIELDS.get((record_type or "", name))
    if coded is not None:
        return str(coded.label_of(value))
    if isinstance(value, bool):
        return format_bool(value)
    if isinstance(value, int) and name in LINKS:
        return f"Nr. {value}"
    if isinstance(value, str):
        return _german_date_or_time(value)
    return str(value)


def _german_date_or_time(text: str) -> str:
    """``2026-12-01`` → ``01.12.2026``; an ISO time → ``01.12.2026, 14:05``; else as is."""
    try:
        if len(text) == 10:
            return format_date(dt.date.fromisoformat(text))
        return format_datetime(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


# Many-to-one links, recorded by id under the relationship's name.
LINKS = frozenset(
    {
        "client",
        "case",
        "case_manager",
        "partner",
        "topic",
        "category",
        "organisation",
        "receiving_case",
        "topics",
    }
)


def describe_changes(record_type: str | None, raw: str | None) -> Markup:
    """``Status: geplant → vermittelt; Nachname (geändert)`` from the stored JSON."""
    if not raw:
        return Markup("")
    parts = []
    for name, change in json.loads(raw).items():
        field = name.removesuffix("_id") if name.endswith("_id") else name
        label = str(LABELS.get(field, LABELS.get(name, name)))
        if change is None:
            parts.append(f"{label} ({_('geändert')})")
        else:
            old, new = (describe_value(record_type, field, value) for value in change)
            parts.append(f"{label}: {old} → {new}")
    return escape("; ".join(parts))
