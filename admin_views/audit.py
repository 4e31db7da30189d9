"""The audit trail, read-only: leads see their organisation's, admins configuration and sign-ins."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Query, joinedload

from admin_views.base import KimModelView
from admin_views.formatting import describe_changes
from app.clock import BERLIN
from models.audit import AuditAction, AuditEvent
from models.labels import LABELS, RECORD_TYPE_LABELS, record_type_label
from models.permissions import Permission, has_any_permission


class BerlinDateTimeBetweenFilter(DateTimeBetweenFilter):
    """Times typed into the filter are Düsseldorf's local times; the trail stores UTC."""

    def clean(self, value: str) -> list[dt.datetime]:
        return [moment.replace(tzinfo=BERLIN) for moment in super().clean(value)]


RECORD_TYPES = RECORD_TYPE_LABELS


class AuditEventView(KimModelView):
    """Nobody creates, edits, deletes or exports events here; reading needs an audit permission."""

    can_view_details = True
    column_labels = LABELS
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
