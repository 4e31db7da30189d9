"""The audit trail, read-only: leads see their organisation's, admins configuration and sign-ins."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar

from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import Query, joinedload

from admin_views.base import KimModelView
from admin_views.formatting import format_bool, format_date, format_datetime
from app.clock import BERLIN
from models.audit import AuditAction, AuditEvent
from models.labels import CODED_FIELDS, LABELS, RECORD_TYPE_LABELS, record_type_label
from models.permissions import Permission, has_any_permission


class BerlinDateTimeBetweenFilter(DateTimeBetweenFilter):
    """Times typed into the filter are Düsseldorf's local times; the trail stores UTC."""

    def clean(self, value: str) -> list[dt.datetime]:
        return [moment.replace(tzinfo=BERLIN) for moment in super().clean(value)]


AUDIT_LABELS = {
    **LABELS,
    "occurred_at": _l("Zeitpunkt"),
    "actor": _l("Person"),
    "action": _l("Aktion"),
    "record_type": _l("Datensatzart"),
    "record_id": _l("Datensatz-Nr."),
    "changed_fields": _l("Geänderte Felder"),
    "details": _l("Details"),
    "archived_at": _l("Archiviert am"),
}
RECORD_TYPES = RECORD_TYPE_LABELS


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
        label = str(AUDIT_LABELS.get(field, AUDIT_LABELS.get(name, name)))
        if change is None:
            parts.append(f"{label} ({_('geändert')})")
        else:
            old, new = (describe_value(record_type, field, value) for value in change)
            parts.append(f"{label}: {old} → {new}")
    return escape("; ".join(parts))


class AuditEventView(KimModelView):
    """Nobody creates, edits, deletes or exports events here; reading needs an audit permission."""

    can_view_details = True
    column_labels = AUDIT_LABELS
    column_list = ["occurred_at", "actor", "action", "record_type", "record_id", "changed_fields"]
    column_details_list = [*column_list, "details"]
    column_default_sort = [("occurred_at", True), ("id", True)]
    column_sortable_list = ["occurred_at", "action", "record_type", "record_id"]
    column_filters = [
        "action",
        "record_type",
        "record_id",
        BerlinDateTimeBetweenFilter(AuditEvent.occurred_at, _l("Zeitpunkt")),
    ]
    choice_fields: ClassVar[dict[str, list[tuple[Any, Any]]]] = {
        "action": AuditAction.choices(),
        "record_type": list(RECORD_TYPES.items()),
    }
    column_formatters = {
        "changed_fields": lambda view, context, model, name: describe_changes(
            model.record_type, model.changed_fields
        ),
        "record_type": lambda view, context, model, name: record_type_label(model.record_type),
        "actor": lambda view, context, model, name: model.actor.full_name if model.actor else "",
    }

    def allows(self, access: str) -> bool:
        if access != "read":
            return False
        return has_any_permission(
            current_user, Permission.AUDIT_OWN_ORGANISATION, Permission.AUDIT_CONFIGURATION
        )

    def get_query(self) -> Query[Any]:
        return super().get_query().options(joinedload(AuditEvent.actor))
