"""German labels for attribute names: the one place for what a field is called.

List columns, forms, details, CSV exports, the Art. 15 download, the audit trail and the
statistics use these labels, so the same field has the same name everywhere.
"""

from flask_babel import lazy_gettext as _l

from models.choices import (
    BarrierStatus,
    BenefitsDomain,
    CasePhase,
    Choice,
    ClosureReason,
    ConsentKind,
    ConsentPurpose,
    ContactKind,
    PartnerKind,
    ReferralStatus,
    Role,
    StatusKind,
    StatutoryBasis,
)

LABELS = {
    "id": _l("Nr."),
    "organisation": _l("Organisation"),
    "created_at": _l("Angelegt am"),
    "updated_at": _l("Geändert am"),
    "updated_by": _l("Geändert von"),
    "archived_at": _l("Archiviert am"),
    "active": _l("Aktiv"),
    "name": _l("Name"),
    "slug": _l("Kürzel"),
    "description": _l("Beschreibung"),
    "sort_order": _l("Reihenfolge"),
    # Client
    "file_number": _l("Aktenzeichen"),
    "first_name": _l("Vorname"),
    "last_name": _l("Nachname"),
    "date_of_birth": _l("Geburtsdatum"),
    "anonymise_from": _l("Anonymisierung ab"),
    "consent": _l("Einwilligung"),
    "gender": _l("Geschlecht"),
    "country_of_origin": _l("Herkunftsland"),
    "nationality": _l("Staatsangehörigkeit"),
    "languages": _l("Sprachen"),
    "needs_interpreter": _l("Sprachmittlung nötig"),
    "arrival_date": _l("Einreise nach Deutschland"),
    "residence_status": _l("Aufenthaltsstatus"),
    "benefits_domain": _l("Rechtskreis"),
    "household_size": _l("Haushaltsgröße"),
    "phone": _l("Telefon"),
    "email": _l("E-Mail"),
    "street": _l("Straße und Hausnummer"),
    "postcode": _l("Postleitzahl"),
    "city": _l("Ort"),
    "district": _l("Stadtbezirk"),
    "consent_given_on": _l("Einwilligung erteilt am"),
    "consent_withdrawn_on": _l("Einwilligung widerrufen am"),
    "notes": _l("Notizen"),
    # Case
    "client": _l("Klient*in"),
    "case_manager": _l("Case Manager*in"),
    "case_number": _l("Fallnummer"),
    "opened_on": _l("Eröffnet am"),
    "closed_on": _l("Abgeschlossen am"),
    "phase": _l("Phase"),
    "topics": _l("Handlungsfelder"),
    "goals": _l("Ziele"),
    "closure_reason": _l("Abschlussgrund"),
    "contacts": _l("Kontakte"),
    # Contact
    "case": _l("Fall"),
    "contact_date": _l("Datum"),
    "kind": _l("Art"),
    "minutes": _l("Dauer (Minuten)"),
    "note": _l("Notiz"),
    # Barrier
    "category": _l("Kategorie"),
    "partner": _l("Partner"),
    "observed_on": _l("Beobachtet am"),
    "status": _l("Status"),
    "resolved_on": _l("Gelöst am"),
    # Referral
    "topic": _l("Handlungsfeld"),
    "reason": _l("Anlass"),
    "referred_on": _l("Vermittelt am"),
    "follow_up_on": _l("Wiedervorlage am"),
    "responded_on": _l("Antwort am"),
    "outcome": _l("Ergebnis"),
    "decline_reason": _l("Ablehnungsgrund"),
    "consent_confirmed": _l("Einwilligung zur Datenweitergabe liegt vor"),
    "receiving_case": _l("Fall der aufnehmenden Organisation"),
    # Filters along a link: the linked record's name, by the link's label
    "category.name": _l("Kategorie"),
    "partner.name": _l("Partner"),
    "topic.name": _l("Handlungsfeld"),
    "topics.name": _l("Handlungsfeld"),
    # Partner
    "website": _l("Website"),
    "contact_person": _l("Ansprechpartner*in"),
    # User
    "full_name": _l("Name"),
    "role": _l("Rolle"),
    "last_login_at": _l("Letzte Anmeldung"),
    "new_password": _l("Neues Passwort"),
    # Audit event
    "occurred_at": _l("Zeitpunkt"),
    "actor": _l("Person"),
    "action": _l("Aktion"),
    "record_type": _l("Datensatzart"),
    "record_id": _l("Datensatz-Nr."),
    "changed_fields": _l("Geänderte Felder"),
    "details": _l("Details"),
    "current_password": _l("Aktuelles Passwort"),
}
# Issue 16: status periods, consents, their form templates, the referral's legal basis.
LABELS.update(
    {
        "value": _l("Wert"),
        "valid_from": _l("gültig ab"),
        "valid_until": _l("gültig bis"),
        "source": _l("Quelle"),
        "title_expires_on": _l("Aufenthaltstitel gültig bis"),
        "status_source": _l("Quelle der Statusangabe"),
        "recipients": _l("Empfänger"),
        "recipient_names": _l("Empfänger"),
        "purposes": _l("Zwecke"),
        "purpose_list": _l("Zwecke"),
        "data_categories": _l("Datenarten"),
        "category_list": _l("Datenarten"),
        "form": _l("Form"),
        "language": _l("Sprache"),
        "interpreter": _l("mit Dolmetschung"),
        "signed_on": _l("erteilt am"),
        "withdrawn_on": _l("widerrufen am"),
        "scan_reference": _l("Ablage des unterschriebenen Formulars"),
        "taken_over_from": _l("übernommen aus"),
        "state": _l("Stand"),
        "purpose": _l("Zweck"),
        "statutory_basis": _l("gesetzliche Grundlage (statt Einwilligung)"),
        "title": _l("Titel"),
        "body": _l("Text"),
    }
)

# What kind of record an audit event, a history or an Art. 15 table speaks of.
RECORD_TYPE_LABELS = {
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
    "StatusPeriod": _l("Statuszeitraum"),
    "Consent": _l("Einwilligung"),
    "ConsentTemplate": _l("Einwilligungsvorlage"),
}

# Columns that hold a code of a closed vocabulary, per kind of record: shown by label.
CODED_FIELDS: dict[tuple[str, str], type[Choice]] = {
    ("Referral", "status"): ReferralStatus,
    ("Barrier", "status"): BarrierStatus,
    ("Case", "phase"): CasePhase,
    ("Case", "closure_reason"): ClosureReason,
    ("Contact", "kind"): ContactKind,
    ("Partner", "kind"): PartnerKind,
    ("Partner", "benefits_domain"): BenefitsDomain,
    ("User", "role"): Role,
    ("StatusPeriod", "kind"): StatusKind,
    ("Consent", "kind"): ConsentKind,
    ("Referral", "purpose"): ConsentPurpose,
    ("Referral", "statutory_basis"): StatutoryBasis,
}


def label(name: str) -> str:
    """The German label of a field, as plain text (for CSV headers and the audit trail)."""
    return str(LABELS[name])


def labels(*names: str) -> list[str]:
    return [label(name) for name in names]


def record_type_label(record_type: str | None) -> str:
    return str(RECORD_TYPE_LABELS.get(record_type or "", record_type or ""))
