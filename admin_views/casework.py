"""Screens of the case level: clients, cases, contacts, barriers, referrals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from flask import current_app, flash, request, url_for
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_admin.form import Select2Field
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Query, joinedload, selectinload
from wtforms import DateField, Form, validators
from wtforms.widgets import DateInput

from admin_views.archive import ArchivingMixin
from admin_views.base import OrgScopedModelView, RelatedRow, RelatedSection
from admin_views.compat import form_object
from admin_views.formatting import format_date
from admin_views.forms import EMAIL
from admin_views.plan_sections import plan_sections
from admin_views.subject_access import SubjectAccessMixin
from admin_views.system_level import ReportsToSystemLevel, issue_choice_label
from app.clock import today
from app.extensions import db
from models import Barrier, Case, Client, Consent, Contact, Referral, User
from models.choices import (
    DISTRICTS,
    BarrierStatus,
    BenefitsDomain,
    CasePhase,
    ClosureReason,
    ConsentKind,
    ConsentPurpose,
    ContactKind,
    Gender,
    ReferralStatus,
    ResidenceStatus,
    StatusKind,
    StatusSource,
    StatutoryBasis,
    country_choices,
)
from models.client import LIST_FILTERS
from models.consent import consent_summary
from models.labels import LABELS
from models.permissions import Permission
from models.plan import case_plan_errors
from models.referral import attach_consent, default_follow_up
from models.referral_workflow import response_date
from models.related import cases_of_client, other_open_cases, possible_duplicates, records_of_case
from models.retention import anonymisation_date
from models.status_history import (
    correct_open_residence,
    open_period,
    periods_of,
    remember_status_details,
)
from models.visibility import selectable_criteria, visible_one


class CaseworkView(OrgScopedModelView):
    """Own organisation only: case managers read and write, leads may also delete."""

    # Link fields a create form takes from the URL (``?case=7`` from the case's page).
    prefilled_links: ClassVar[dict[str, type[Any]]] = {}

    read_permission = Permission.CASEWORK_READ
    create_permission = Permission.CASEWORK_WRITE
    edit_permission = Permission.CASEWORK_WRITE
    delete_permission = Permission.CASEWORK_DELETE
    export_permission = Permission.CASEWORK_EXPORT
    column_labels = LABELS
    column_default_sort = [("id", True)]
    # Which eager loads the list needs so that each page takes a fixed number of queries.
    list_loader_options: tuple[Any, ...] = ()

    def get_query(self) -> Query[Any]:
        return super().get_query().options(*self.list_loader_options)

    def create_form(self, obj: Any = None) -> Form:
        form = super().create_form(obj)
        if request.method == "GET":
            for name, model in self.prefilled_links.items():
                linked = visible_one(db.session(), current_user, model, request.args.get(name))
                if linked is not None and name in form:
                    form[name].data = linked
        return form


def details_link(endpoint: str, record: Any, text: str, note: str = "") -> RelatedRow:
    return RelatedRow(url_for(f"{endpoint}.details_view", id=record.id), text, note)


def add_link(endpoint: str, back: str, **links: Any) -> str:
    return url_for(f"{endpoint}.create_view", url=back, **links)


def consent_state(client: Client) -> str:
    """At a glance: a withdrawal first, else what the client's consents are today."""
    if client.consent_withdrawn_on is not None:
        return _("widerrufen am %(date)s", date=format_date(client.consent_withdrawn_on))
    sharing = [consent for consent in client.consents if ConsentKind(consent.kind).has_recipients]
    if not sharing:
        return ""
    return _("Weitergabe: %(state)s", state=consent_summary(sharing, today()))


def _consent_column(view: Any, context: Any, model: Client, name: str) -> str:
    return consent_state(model)


def _anonymise_from_column(view: Any, context: Any, model: Client | Case, name: str) -> str:
    client_id = model.id if isinstance(model, Client) else model.client_id
    years = int(current_app.config["KIM_RETENTION_YEARS"])
    due_on = anonymisation_date(db.session(), client_id, years)
    return format_date(due_on) if due_on else _("– (offener Fall)")


def warn_if_consent_withdrawn(client: Client | None) -> None:
    """A visible warning on the forms of a client who withdrew consent."""
    if client is not None and client.consent_withdrawn_on is not None and request.method == "GET":
        flash(
            _(
                "Achtung: Die Einwilligung dieser Person wurde am %(date)s widerrufen. Es dürfen "
                "keine Daten mehr weitergegeben werden (keine neuen Vermittlungen).",
                date=format_date(client.consent_withdrawn_on),
            ),
            "warning",
        )


class ClientView(SubjectAccessMixin, ArchivingMixin, CaseworkView):
    singular_name = _l("Klient*in")
    export_basename = "klienten"
    subject_access_permission = Permission.SUBJECT_ACCESS
    column_list = [
        "file_number",
        "last_name",
        "first_name",
        "date_of_birth",
        "country_of_origin",
        "residence_status",
        "district",
        "consent",
        "updated_at",
    ]
    column_formatters = {"consent": _consent_column, "anonymise_from": _anonymise_from_column}
    list_loader_options = (selectinload(Client.consents),)
    list_row_columns = {
        "": (
            "id",
            "file_number",
            "last_name",
            "first_name",
            "date_of_birth",
            "country_of_origin",
            "residence_status",
            "district",
            "consent_withdrawn_on",
            "updated_at",
            "archived_at",
            "organisation_id",
        )
    }
    list_row_collections = {"consents": ("id", "kind", "signed_on", "valid_until", "withdrawn_on")}
    column_searchable_list = ["file_number", "last_name", "first_name", "phone", "email"]
    search_columns = (Client.search_text,)
    search_hint = _l("Name, Aktenzeichen, Telefon oder E-Mail")
    column_filters = list(LIST_FILTERS)  # the working clients' index includes them
    column_sortable_list = ["file_number", "last_name", "first_name", "date_of_birth", "updated_at"]
    form_columns = [
        "first_name",
        "last_name",
        "date_of_birth",
        "gender",
        "country_of_origin",
        "nationality",
        "languages",
        "needs_interpreter",
        "arrival_date",
        "residence_status",
        "status_source",
        "title_expires_on",
        "benefits_domain",
        "household_size",
        "phone",
        "email",
        "street",
        "postcode",
        "district",
        "consent_given_on",
        "consent_withdrawn_on",
        "notes",
    ]
    # Given along with a changed status; they go to the period it opens (Statusverlauf).
    form_extra_fields = {
        "status_source": Select2Field(
            _l("Quelle der Statusangabe"),
            choices=StatusSource.choices()[:2],
            allow_blank=True,
            blank_text="–",
        ),
        "title_expires_on": DateField(
            _l("Aufenthaltstitel gültig bis"),
            validators=[validators.Optional()],
            widget=DateInput(),
        ),
    }
    column_details_list = [
        "file_number",
        *[name for name in form_columns if name not in ("status_source", "title_expires_on")],
        "anonymise_from",
        "created_at",
        "updated_at",
        "updated_by",
    ]
    column_export_list = [
        "file_number",
        *[name for name in form_columns if name not in ("status_source", "title_expires_on")],
    ]
    choice_fields = {
        "gender": Gender.choices(),
        "country_of_origin": country_choices(),
        "nationality": country_choices(),
        "residence_status": ResidenceStatus.choices(),
        "benefits_domain": BenefitsDomain.choices(),
        "district": DISTRICTS,
    }
    form_args = {
        "district": {"coerce": int},
        "household_size": {"validators": [validators.NumberRange(min=1, max=30)]},
        "email": {"validators": [validators.Optional(), EMAIL]},
    }

    def on_model_change(self, form: Form, model: Client, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        source, expires_on = form.status_source.data or None, form.title_expires_on.data
        remember_status_details(model, source, expires_on)
        correct_open_residence(db.session(), model, source, expires_on)
        if is_created:
            with db.session.no_autoflush:
                model.assign_file_number(db.session(), current_user.organisation, today())

    def on_form_prefill(self, form: Form, id: Any) -> None:
        client = self.get_one(id)
        warn_if_consent_withdrawn(client)
        residence = open_period(db.session(), client.id, StatusKind.RESIDENCE)
        if residence is not None:
            form.title_expires_on.data = residence.title_expires_on
            if residence.source in (StatusSource.DOCUMENT, StatusSource.SELF_REPORT):
                form.status_source.data = residence.source

    def after_model_change(self, form: Form, model: Client, is_created: bool) -> None:
        if not is_created:
            return
        twins = possible_duplicates(
            db.session(),
            current_user,
            model.first_name,
            model.last_name,
            model.date_of_birth,
            except_client_id=model.id,
        )
        if twins:
            flash(
                _(
                    "Hinweis: Eine Person mit demselben Namen und Geburtsdatum ist bereits "
                    "erfasst (%(numbers)s). Bitte prüfen Sie, ob es dieselbe Person ist.",
                    numbers=", ".join(twin.file_number for twin in twins),
                ),
                "warning",
            )

    def related_sections(self, model: Client) -> list[RelatedSection]:
        back = url_for(".details_view", id=model.id)
        cases = cases_of_client(db.session(), current_user, model)
        return [
            RelatedSection(
                title=_("Fälle"),
                rows=[
                    details_link(
                        "cases",
                        case,
                        case.case_number,
                        _("offen seit %(day)s", day=format_date(case.opened_on))
                        if case.closed_on is None
                        else _("abgeschlossen am %(day)s", day=format_date(case.closed_on)),
                    )
                    for case in cases
                ],
                empty=_("Noch kein Fall."),
                add_url=add_link("cases", back, client=model.id) if self.can_create else None,
                add_label=_("Fall anlegen"),
            ),
            *status_and_consent_sections(model, back, self.can_create),
        ]


def status_and_consent_sections(client: Client, back: str, can_add: bool) -> list[RelatedSection]:
    """The client's Statusverlauf as a timeline (newest first) and its consents."""
    periods = sorted(
        periods_of(db.session(), client.id),
        key=lambda period: (period.valid_from, period.id),
        reverse=True,
    )
    timeline = []
    for period in periods:
        until = format_date(period.valid_until) if period.valid_until else _("heute")
        note = f"{format_date(period.valid_from)} – {until}, {StatusSource.label_of(period.source)}"
        if period.title_expires_on is not None:
            note += ", " + _("Titel gültig bis %(day)s", day=format_date(period.title_expires_on))
        timeline.append(
            details_link(
                "status_periods",
                period,
                f"{StatusKind.label_of(period.kind)}: {period.value_label}",
                note,
            )
        )
    consents = [
        details_link(
            "consents",
            consent,
            f"{ConsentKind.label_of(consent.kind)} ({format_date(consent.signed_on)})",
            ", ".join(
                [
                    consent.state_label(today()),
                    *(partner.name for partner in consent.recipients),
                ]
            ),
        )
        for consent in client.consents
    ]
    return [
        RelatedSection(
            title=_("Statusverlauf"),
            rows=timeline,
            empty=_("Noch kein Zeitraum erfasst."),
            add_url=add_link("status_periods", back, client=client.id) if can_add else None,
            add_label=_("Zeitraum erfassen"),
        ),
        RelatedSection(
            title=_("Einwilligungen"),
            rows=consents,
            empty=_("Keine Einwilligung erfasst."),
            add_url=add_link("consents", back, client=client.id) if can_add else None,
            add_label=_("Einwilligung erfassen"),
        ),
    ]


class ContactInline(InlineFormAdmin):
    form_columns = ["id", "contact_date", "kind", "minutes", "note"]
    form_label = LABELS["contacts"]
    column_labels = LABELS
    form_choices = {"kind": ContactKind.choices()}
    form_args = {
        "minutes": {"validators": [validators.Optional(), validators.NumberRange(0, 1440)]}
    }


def colleague_options() -> list[tuple[str, str]]:
    """The user's colleagues as filter options (the start page links to "my open cases")."""
    statement = (
        select(User.id, User.full_name)
        .where(*selectable_criteria(current_user, User))
        .order_by(User.full_name)
    )
    return [(str(user_id), name) for user_id, name in db.session.execute(statement)]


class ColleagueOptions:
    """Filter options read per request; Flask-Admin keeps a plain list from start-up on."""

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(colleague_options())


class CaseView(ArchivingMixin, CaseworkView):
    singular_name = _l("Fall")
    export_basename = "faelle"
    prefilled_links = {"client": Client}
    column_list = ["case_number", "client", "case_manager", "phase", "opened_on", "closed_on"]
    column_searchable_list = ["case_number", "client.last_name", "client.first_name"]
    search_columns = (Case.case_number, Client.search_text)
    search_joins = (Case.client,)
    search_hint = _l("Fallnummer oder Name")
    column_filters = [
        "phase",
        "closure_reason",
        "opened_on",
        "closed_on",
        "topics.name",
        IntEqualFilter(Case.case_manager_id, _l("Case Manager*in"), options=ColleagueOptions()),
    ]
    column_sortable_list = ["case_number", "phase", "opened_on", "closed_on"]
    list_loader_options = (joinedload(Case.client), joinedload(Case.case_manager))
    list_row_columns = {
        "": (
            "id",
            "case_number",
            "client_id",
            "case_manager_id",
            "phase",
            "opened_on",
            "closed_on",
            "archived_at",
            "organisation_id",
        ),
        "client": ("id", "last_name", "first_name", "file_number"),
        "case_manager": ("id", "full_name"),
    }
    # The topics are a column of the export only (it streams after the request's session
    # has closed); the list does not show them.
    export_loader_options = (selectinload(Case.topics),)
    form_columns = [
        "client",
        "case_manager",
        "opened_on",
        "phase",
        "topics",
        "goals",
        "closed_on",
        "closure_reason",
    ]
    column_details_list = [
        "case_number",
        *form_columns,
        "anonymise_from",
        "created_at",
        "updated_at",
        "updated_by",
    ]
    column_formatters = {"anonymise_from": _anonymise_from_column}
    column_export_list = [
        "case_number",
        "client",
        "case_manager",
        "opened_on",
        "phase",
        "topics",
        "closed_on",
        "closure_reason",
    ]
    form_ajax_refs = {
        "client": {
            "fields": [Client.last_name, Client.first_name, Client.file_number],
            "placeholder": "Name oder Aktenzeichen",
            "minimum_input_length": 1,
        }
    }
    choice_fields = {
        "phase": CasePhase.choices(),
        "closure_reason": ClosureReason.choices(),
    }
    form_args = {
        "opened_on": {"default": today},
        "case_manager": {"default": current_user._get_current_object},
    }
    inline_models = (ContactInline(Contact),)
    inline_relationship_names = ("contacts",)

    def rule_errors(self, form: Form) -> dict[str, str]:
        existing = form_object(form)
        with db.session.no_autoflush:
            plan_errors = case_plan_errors(
                db.session(),
                existing.id if existing is not None else None,
                form.data,
                existing.phase if existing is not None else None,
            )
        return {**plan_errors, **super().rule_errors(form)}

    def on_model_change(self, form: Form, model: Case, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if is_created:
            with db.session.no_autoflush:
                model.assign_case_number(db.session(), current_user.organisation, today())

    def on_form_prefill(self, form: Form, id: Any) -> None:
        warn_if_consent_withdrawn(self.get_one(id).client)

    def after_model_change(self, form: Form, model: Case, is_created: bool) -> None:
        if model.closed_on is not None:
            return
        others = other_open_cases(db.session(), current_user, model.client_id, model.id)
        if others:
            flash(
                _(
                    "Hinweis: Für diese Person ist bereits ein weiterer Fall offen (%(numbers)s). "
                    "Meist genügt ein Fall je Person.",
                    numbers=", ".join(case.case_number for case in others),
                ),
                "warning",
            )

    def related_sections(self, model: Case) -> list[RelatedSection]:
        back = url_for(".details_view", id=model.id)
        records = records_of_case(db.session(), current_user, model)
        can_add = self.can_create

        def section(title: str, endpoint: str, rows: list[RelatedRow], add: str) -> RelatedSection:
            return RelatedSection(
                title=title,
                rows=rows,
                empty=_("Keine."),
                add_url=add_link(endpoint, back, case=model.id) if can_add else None,
                add_label=add,
            )

        return [
            RelatedSection(
                title=_("Klient*in"),
                rows=[
                    details_link(
                        "clients",
                        model.client,
                        f"{model.client.last_name}, {model.client.first_name}",
                        model.client.file_number,
                    )
                ],
                empty="",
            ),
            *plan_sections(model, can_add),
            *status_and_consent_sections(model.client, back, False)[1:],
            section(
                _("Kontakte"),
                "contacts",
                [
                    details_link(
                        "contacts",
                        contact,
                        format_date(contact.contact_date),
                        str(ContactKind.label_of(contact.kind)),
                    )
                    for contact in records.contacts
                ],
                _("Kontakt erfassen"),
            ),
            section(
                _("Barrieren"),
                "barriers",
                [
                    details_link(
                        "barriers",
                        barrier,
                        barrier.category.name,
                        f"{format_date(barrier.observed_on)}, "
                        f"{BarrierStatus.label_of(barrier.status)}",
                    )
                    for barrier in records.barriers
                ],
                _("Barriere erfassen"),
            ),
            section(
                _("Vermittlungen"),
                "referrals",
                [
                    details_link(
                        "referrals",
                        referral,
                        referral.partner.name,
                        f"{format_date(referral.referred_on)}, "
                        f"{ReferralStatus.label_of(referral.status)}",
                    )
                    for referral in records.referrals
                ],
                _("Vermittlung anlegen"),
            ),
        ]


CASE_LOOKUP = {
    "case": {
        "fields": [Case.case_number, Client.last_name, Client.first_name],
        "joins": [Case.client],
        "placeholder": "Fallnummer oder Name",
        "minimum_input_length": 1,
    }
}


class CaseRecordView(CaseworkView):
    """Contacts, barriers and referrals: records of one case, opened from its page."""

    prefilled_links = {"case": Case}
    form_ajax_refs = CASE_LOOKUP
    search_hint = _l("Fallnummer oder Text")
    # The record's free text, searched beside its case's number.
    free_text_column: ClassVar[str] = ""

    def searched_columns(self) -> tuple[Any, ...]:
        return (getattr(self.model, self.free_text_column), Case.case_number)

    @property
    def search_joins(self) -> tuple[Any, ...]:  # type: ignore[override]
        return (self.model.case,)


class ContactView(CaseRecordView):
    singular_name = _l("Kontakt")
    export_basename = "kontakte"
    column_list = ["case", "contact_date", "kind", "minutes"]
    column_filters = ["kind", "contact_date"]
    column_searchable_list = ["note", "case.case_number"]
    free_text_column = "note"
    column_default_sort = [("contact_date", True), ("id", True)]
    list_loader_options = (joinedload(Contact.case).joinedload(Case.client),)
    form_columns = ["case", "contact_date", "kind", "minutes", "note"]
    column_details_list = [*form_columns, "created_at", "updated_at", "updated_by"]
    column_export_list = form_columns
    choice_fields = {"kind": ContactKind.choices()}
    form_args = {
        "contact_date": {"default": today},
        "minutes": {"validators": [validators.Optional(), validators.NumberRange(0, 1440)]},
    }


class BarrierView(ReportsToSystemLevel, CaseRecordView):
    singular_name = _l("Barriere")
    export_basename = "barrieren"
    column_list = ["case", "category", "partner", "observed_on", "status", "resolved_on"]
    column_filters = ["category.name", "partner.name", "status", "observed_on", "resolved_on"]
    column_searchable_list = ["description", "case.case_number"]
    free_text_column = "description"
    column_default_sort = [("observed_on", True), ("id", True)]
    list_loader_options = (
        joinedload(Barrier.case).joinedload(Case.client),
        joinedload(Barrier.category),
        joinedload(Barrier.partner),
    )
    form_columns = [
        "case",
        "category",
        "partner",
        "observed_on",
        "description",
        "status",
        "resolved_on",
        # The system level (admin_views/system_level.py): an open issue, or a proposal.
        "structural_issue",
        "proposal_title",
        "proposal_description",
    ]
    column_details_list = [*form_columns[:8], "created_at", "updated_at", "updated_by"]
    column_export_list = form_columns[:8]
    choice_fields = {"status": BarrierStatus.choices()}
    form_args = {
        "observed_on": {"default": today},
        "structural_issue": {"get_label": issue_choice_label},
    }


class ReferralView(CaseRecordView):
    singular_name = _l("Vermittlung")
    export_basename = "vermittlungen"
    # Issue 16: the consent it is sent on, looked up by the client's name or file number
    # (empty: the covering consent is found and recorded when the referral is sent).
    form_ajax_refs = {
        **CASE_LOOKUP,
        "consent": {
            "fields": [Client.last_name, Client.first_name, Client.file_number],
            "joins": [Consent.client],
            "placeholder": "Name oder Aktenzeichen",
            "minimum_input_length": 1,
        },
    }
    column_list = ["case", "partner", "topic", "referred_on", "follow_up_on", "status"]
    column_filters = [
        "partner.name",
        "topic.name",
        "status",
        "referred_on",
        "follow_up_on",
        "consent_withdrawn_on",
    ]
    column_searchable_list = ["reason", "case.case_number"]
    free_text_column = "reason"
    column_default_sort = [("follow_up_on", False), ("id", True)]
    list_loader_options = (
        joinedload(Referral.case).joinedload(Case.client),
        joinedload(Referral.partner),
        joinedload(Referral.topic),
    )
    list_row_columns = {
        "": (
            "id",
            "case_id",
            "partner_id",
            "topic_id",
            "referred_on",
            "follow_up_on",
            "status",
            "organisation_id",
        ),
        "case": ("id", "case_number", "client_id"),
        "case.client": ("id", "last_name", "first_name"),
        "partner": ("id", "name"),
        "topic": ("id", "name"),
    }
    form_columns = [
        "case",
        "partner",
        "topic",
        "purpose",
        "reason",
        "consent_confirmed",
        "consent",
        "statutory_basis",
        "referred_on",
        "follow_up_on",
        "status",
        "responded_on",
        "outcome",
        "decline_reason",
    ]
    column_details_list = [
        *form_columns,
        "consent_withdrawn_on",
        "created_at",
        "updated_at",
        "updated_by",
    ]
    column_export_list = form_columns
    choice_fields = {
        "status": ReferralStatus.choices(),
        "purpose": ConsentPurpose.choices(),
        "statutory_basis": StatutoryBasis.choices(),
    }
    form_args = {
        "purpose": {"default": ConsentPurpose.SUPPORT.value},
        "referred_on": {"default": today},
        "follow_up_on": {"default": lambda: default_follow_up(today())},
    }

    def rule_errors(self, form: Form) -> dict[str, str]:
        existing = form_object(form)
        if existing is None:
            return Referral.field_errors(form.data, today())
        return Referral.field_errors(
            form.data, today(), existing.status, previous_partner_id=existing.partner_id
        )

    def on_model_change(self, form: Form, model: Referral, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        model.responded_on = response_date(model.status, model.responded_on, today())
        attach_consent(model, today())
