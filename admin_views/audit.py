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
from app.clock import BERLIN
from models.audit import AuditAction, AuditEvent
from models.labels import LABELS
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
RECORD_TYPES = {
    "Client": _l("Klient*in"),
    "Case": _l("Fall"),
    "Contact": _l("Kontakt"),
    "Barrier": _l("Barriere"),
    "Referral": _l("Vermittlung"),
    "Partner": _l("Partner"),
    "BarrierCategory": _l("Barriere-Kategorie"),
    "Topic": _l("Handlungsfeld"),
    "Organisation": _l("Organisation"),
    "User": _l("Benutzer*in"),
}


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "\u2013"
    return "\u2013" if value is None else str(value)


def describe_changes(raw: str | None) -> Markup:
    """``Phase: intake → assessment; Nachname (geändert)`` from the stored JSON."""
    if not raw:
        return Markup("")
    parts = []
    for name, change in json.loads(raw).items():
        label = str(AUDIT_LABELS.get(name, name))
        if change is None:
            parts.append(f"{label} ({_('geändert')})")
        else:
            parts.append(f"{label}: {_short(change[0])} → {_short(change[1])}")
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
        "changed_fields": lambda view, context, model, name: describe_changes(model.changed_fields),
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
