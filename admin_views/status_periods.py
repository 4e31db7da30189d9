"""Statusverlauf: a client's residence status, benefits domain and responsible office over time."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from wtforms import Form, ValidationError

from admin_views.casework import CaseworkView
from admin_views.compat import form_object
from app.clock import today
from app.extensions import db
from models import Client, StatusPeriod
from models.choices import BenefitsDomain, ResidenceStatus, StatusKind, StatusSource
from models.status_history import (
    CLIENT_COLUMN,
    Span,
    add_period,
    check_changed_period,
    check_new_period,
    mirror_client,
    periods_of,
    sequence_error,
)

CLIENT_LOOKUP = {
    "client": {
        "fields": [Client.last_name, Client.first_name, Client.file_number],
        "placeholder": "Name oder Aktenzeichen",
        "minimum_input_length": 1,
    }
}


def _value_column(view: Any, context: Any, model: StatusPeriod, name: str) -> str:
    return model.value_label


class StatusPeriodView(CaseworkView):
    singular_name = _l("Zeitraum")
    export_basename = "statusverlauf"
    prefilled_links = {"client": Client}
    form_ajax_refs = CLIENT_LOOKUP
    column_list = [
        "client",
        "kind",
        "value",
        "partner",
        "valid_from",
        "valid_until",
        "source",
        "title_expires_on",
    ]
    column_filters = ["kind", "value", "valid_from", "valid_until", "title_expires_on"]
    column_sortable_list = ["kind", "valid_from", "valid_until", "title_expires_on"]
    column_default_sort = [("valid_from", True), ("id", True)]
    column_searchable_list = ["client.last_name", "client.first_name", "client.file_number"]
    search_columns = (Client.search_text,)
    search_joins = (StatusPeriod.client,)
    search_hint = _l("Name oder Aktenzeichen")
    list_loader_options = (joinedload(StatusPeriod.client), joinedload(StatusPeriod.partner))
    form_columns = [
        "client",
        "kind",
        "value",
        "partner",
        "valid_from",
        "valid_until",
        "source",
        "title_expires_on",
    ]
    column_details_list = [*form_columns, "created_at", "updated_at", "updated_by"]
    column_export_list = form_columns
    column_formatters = {"value": _value_column}
    choice_fields = {
        "kind": StatusKind.choices(),
        "value": [*ResidenceStatus.choices(), *BenefitsDomain.choices()],
        "source": StatusSource.choices(),
    }
    form_args = {"valid_from": {"default": today}}

    def rule_errors(self, form: Form) -> dict[str, str]:
        errors = StatusPeriod.field_errors(form.data, today())
        if errors:
            return errors
        existing = form_object(form)
        session = db.session()
        if existing is None:
            client = form.data.get("client")
            problem = check_new_period(session, getattr(client, "id", None), form.data)
        else:
            if form.data.get("kind") != existing.kind:
                return {"kind": _("Die Art eines Zeitraums bleibt; bitte einen neuen anlegen.")}
            problem = check_changed_period(session, existing.id, form.data)
        return {"valid_from": problem} if problem else {}

    def on_model_change(self, form: Form, model: StatusPeriod, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if model.kind != StatusKind.OFFICE:
            model.partner = None
        else:
            model.value = None
        if model.kind != StatusKind.RESIDENCE:
            model.title_expires_on = None
        session = db.session()
        with session.no_autoflush:
            if is_created:
                add_period(session, model)
            else:
                mirror_client(session, model.client, model.kind, pending=model)

    def on_model_delete(self, model: StatusPeriod) -> None:
        remaining = [
            Span(other.id, other.valid_from, other.valid_until)
            for other in periods_of(db.session(), model.client_id, model.kind)
            if other.id != model.id
        ]
        problem = sequence_error(model.kind, remaining)
        if problem:
            raise ValidationError(problem)
        column = CLIENT_COLUMN.get(StatusKind(model.kind))
        if model.is_open and column is not None:
            # The current value goes with its period: the client has none any more.
            model.client.__dict__.setdefault("_kim_status_mirrored", set()).add(column)
            setattr(model.client, column, None)
