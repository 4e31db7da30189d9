"""How values look in lists, details pages and exports: German, and plain text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_babel import to_user_timezone


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
