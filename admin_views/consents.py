"""Einwilligungen: a client's consents as records, their printed form, the form templates."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response
from wtforms import Form, SelectMultipleField, widgets

from admin_views.base import RelatedRow, RelatedSection
from admin_views.casework import CaseworkView
from admin_views.formatting import format_date
from admin_views.pdf import audited_pdf_response, render_printable
from admin_views.status_periods import CLIENT_LOOKUP
from app.clock import today
from app.extensions import db
from models import Client, Consent, ConsentTemplate
from models.choices import ConsentForm, ConsentKind, ConsentPurpose, DataCategory
from models.consent import join_codes, mirror_processing
from models.consent_withdrawal import withdraw
from models.permissions import Permission, has_permission
from models.visibility import visible_criteria, visible_one

# The form's text when the organisation has written none for the consent's language.
DEFAULT_TITLE = "Einwilligung in die Verarbeitung und Weitergabe personenbezogener Daten"
DEFAULT_BODY = (
    "Ich willige ein, dass die unten genannte Organisation meine unten genannten Daten zu den "
    "genannten Zwecken verarbeitet und an die genannten Stellen weitergibt. Die Einwilligung "
    "ist freiwillig. Ich kann sie jederzeit ohne Angabe von Gründen mit Wirkung für die "
    "Zukunft widerrufen; bis zum Widerruf erfolgte Verarbeitungen bleiben rechtmäßig "
    "(Art. 7 Abs. 3 DSGVO, § 67b SGB X)."
)


class CheckboxList(SelectMultipleField):
    """Several codes of a closed vocabulary, as check boxes (no script needed)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _codes_formatter(vocabulary: Any) -> Any:
    def format_codes(view: Any, context: Any, model: Consent, name: str) -> Markup:
        codes = model.purpose_codes if name == "purposes" else model.category_codes
        return Markup(", ").join(escape(vocabulary.label_of(code)) for code in codes)

    return format_codes


def _state_column(view: Any, context: Any, model: Consent, name: str) -> str:
    return model.state_label(today())


def _recipients_column(view: Any, context: Any, model: Consent, name: str) -> str:
    return ", ".join(partner.name for partner in model.recipients) or "–"


class ConsentView(CaseworkView):
    singular_name = _l("Einwilligung")
    export_basename = "einwilligungen"
    prefilled_links = {"client": Client}
    form_ajax_refs = CLIENT_LOOKUP
    column_list = [
        "client",
        "kind",
        "recipient_names",
        "signed_on",
        "valid_until",
        "withdrawn_on",
        "state",
    ]
    column_filters = ["kind", "form", "signed_on", "valid_until", "withdrawn_on"]
    column_sortable_list = ["kind", "signed_on", "valid_until", "withdrawn_on"]
    column_default_sort = [("signed_on", True), ("id", True)]
    column_searchable_list = ["client.last_name", "client.first_name", "client.file_number"]
    search_columns = (Client.search_text,)
    search_joins = (Consent.client,)
    search_hint = _l("Name oder Aktenzeichen")
    # Recipients through a formatter: a joined collection cannot stream the CSV export.
    list_loader_options = (joinedload(Consent.client), selectinload(Consent.recipients))
    form_columns = [
        "client",
        "kind",
        "recipients",
        "purpose_list",
        "category_list",
        "form",
        "language",
        "interpreter",
        "signed_on",
        "valid_until",
        "withdrawn_on",
        "note",
        "scan_reference",
    ]
    form_extra_fields = {
        "purpose_list": CheckboxList(_l("Zwecke"), choices=ConsentPurpose.choices()),
        "category_list": CheckboxList(_l("Datenarten"), choices=DataCategory.choices()),
    }
    column_details_list = [
        "client",
        "kind",
        "recipients",
        "purposes",
        "data_categories",
        "form",
        "language",
        "interpreter",
        "signed_on",
        "valid_until",
        "withdrawn_on",
        "state",
        "note",
        "scan_reference",
        "taken_over_from",
        "created_at",
        "updated_at",
        "updated_by",
    ]
    column_export_list = [
        "client",
        "kind",
        "recipient_names",
        "purposes",
        "data_categories",
        "form",
        "language",
        "interpreter",
        "signed_on",
        "valid_until",
        "withdrawn_on",
    ]
    column_formatters = {
        "purposes": _codes_formatter(ConsentPurpose),
        "data_categories": _codes_formatter(DataCategory),
        "state": _state_column,
        "recipient_names": _recipients_column,
    }
    column_formatters_export = {
        "purposes": lambda view, context, model, name: ", ".join(
            str(ConsentPurpose.label_of(code)) for code in model.purpose_codes
        ),
        "data_categories": lambda view, context, model, name: ", ".join(
            str(DataCategory.label_of(code)) for code in model.category_codes
        ),
        "recipient_names": _recipients_column,
    }
    choice_fields = {"kind": ConsentKind.choices(), "form": ConsentForm.choices()}
    form_args = {"signed_on": {"default": today}}

    # The printed form is read like the record itself.
    def allows_endpoint(self, name: str) -> bool:
        if name == "consent_form":
            return self.allows("read")
        return super().allows_endpoint(name)

    def edit_form(self, obj: Any = None) -> Form:
        form = super().edit_form(obj)
        if obj is not None and request.method != "POST":
            form.purpose_list.data = obj.purpose_codes
            form.category_list.data = obj.category_codes
        return form

    def on_model_change(self, form: Form, model: Consent, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        model.purposes = join_codes(form.purpose_list.data or [])
        model.data_categories = join_codes(form.category_list.data or [])
        session = db.session()
        history = inspect(model).attrs.withdrawn_on.history
        with session.no_autoflush:
            # A new consent has no referrals yet; an edit that withdraws flags its own.
            if not is_created and model.withdrawn_on is not None and history.has_changes():
                flagged = withdraw(session, model, model.withdrawn_on, current_user)
                if flagged.flagged_referral_ids:
                    flash(
                        _(
                            "Widerruf erfasst: %(n)d offene Vermittlung(en) auf dieser "
                            "Einwilligung sind markiert; weitergegeben wird nichts mehr.",
                            n=len(flagged.flagged_referral_ids),
                        ),
                        "warning",
                    )
            if model.kind == ConsentKind.PROCESSING and model.client is not None:
                mirror_processing(session, model.client, also=model)

    def related_sections(self, model: Consent) -> list[RelatedSection]:
        return [
            RelatedSection(
                title=_("Formular"),
                rows=[
                    RelatedRow(
                        url_for(".consent_form", id=model.id),
                        _("Einwilligungsformular drucken (PDF)"),
                        _("mit den Empfängern, Zwecken und Datenarten dieser Einwilligung"),
                    )
                ],
                empty="",
            ),
            RelatedSection(
                title=_("Klient*in"),
                rows=[
                    RelatedRow(
                        url_for("clients.details_view", id=model.client_id),
                        f"{model.client.last_name}, {model.client.first_name}",
                        model.client.file_number,
                    )
                ],
                empty="",
            ),
        ]

    @expose("/form/")
    def consent_form(self) -> Response:
        """The consent as a printable form (PDF), in the organisation's text for its language."""
        consent = visible_one(db.session(), current_user, Consent, request.args.get("id"))
        if consent is None:
            abort(404)
        template = _template_for(consent)
        html = render_printable(
            "print/consent_form.html",
            consent=consent,
            client=consent.client,
            organisation=consent.organisation,
            title=template.title if template else DEFAULT_TITLE,
            body=template.body if template else DEFAULT_BODY,
            kind=ConsentKind.label_of(consent.kind),
            purposes=[ConsentPurpose.label_of(code) for code in consent.purpose_codes],
            categories=[
                (DataCategory.label_of(code), DataCategory(code).is_special)
                for code in consent.category_codes
                if code in DataCategory._value2member_map_
            ],
            form_label=ConsentForm.label_of(consent.form),
            signed_on=format_date(consent.signed_on),
            valid_until=format_date(consent.valid_until) if consent.valid_until else None,
        )
        return audited_pdf_response(consent, html, f"Einwilligung {consent.client.file_number}.pdf")


def _template_for(consent: Consent) -> ConsentTemplate | None:
    """The organisation's template in the consent's language, else its German one."""
    templates = {
        template.language.lower(): template
        for template in db.session.scalars(
            select(ConsentTemplate).where(*visible_criteria(current_user, ConsentTemplate))
        )
    }
    language = (consent.language or "").strip().lower()
    return templates.get(language) or templates.get("de") or templates.get("deutsch")


class ConsentTemplateView(CaseworkView):
    """The organisation's own text of the printed form, per language; the lead writes it."""

    singular_name = _l("Formularvorlage")
    export_basename = "einwilligungsvorlagen"
    create_permission = Permission.CONSENT_TEMPLATES_WRITE
    edit_permission = Permission.CONSENT_TEMPLATES_WRITE
    delete_permission = Permission.CONSENT_TEMPLATES_WRITE
    column_list = ["language", "title", "updated_at"]
    column_sortable_list = ["language", "title"]
    column_default_sort = [("language", False)]
    form_columns = ["language", "title", "body"]
    column_details_list = [*form_columns, "created_at", "updated_at", "updated_by"]
    column_export_list = form_columns


def consent_rows_of_client(client: Client) -> list[tuple[Consent, str]]:
    """The client's consents with their state today, for the client's and the case's page."""
    if not has_permission(current_user, Permission.CASEWORK_READ):
        return []
    return [(consent, consent.state_label(today())) for consent in client.consents]
