"""Einwilligungen as records: what sending needs, what an incoming referral carries, withdrawal."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import AuditEvent, Case, Client, Consent, Partner, Referral, User
from models.choices import ReferralStatus
from models.consent import covering_consent, expiring_consents
from models.consent_withdrawal import withdraw
from models.referral_workflow import (
    ReferralWorkflowError,
    accept_incoming,
    change_status,
    incoming_referrals,
)
from models.retention import anonymise_due_clients
from models.subject_access import subject_access_tables
from models.visibility import visible_criteria
from tests.factories import (
    CONSENT_GIVEN_ON,
    TODAY,
    World,
    make_consent,
    make_partner,
    make_referral,
)
from tests.lifecycle_helpers import changes_of, events

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

if TYPE_CHECKING:
    from tests.conftest import AuthActions

S = ReferralStatus
D = dt.timedelta


def user_by_email(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def planned(session: Session, world: World, partner: Partner, **values: object) -> Referral:
    case = session.get_one(Case, world.a.case_id)
    referral = make_referral(
        session,
        case,
        partner,
        status=S.PLANNED,
        consent_confirmed=True,
        referred_on=TODAY - D(days=2),
        **values,
    )
    session.commit()
    return referral


def send(session: Session, world: World, referral: Referral) -> Referral:
    user = user_by_email(session, world.a.case_manager_email)
    return change_status(
        session, user, referral.id, target="sent", expected_version=referral.version, today=TODAY
    )


@pytest.fixture
def housing(session: Session) -> Partner:
    return make_partner(session, "Amt für Wohnungswesen", kind="housing")


@pytest.fixture
def kim_b(session: Session, world: World) -> Partner:
    """Caritas (organisation b) as a partner: referrals to it arrive there."""
    return make_partner(
        session,
        "Caritas Düsseldorf (KIM)",
        kind="kim_provider",
        organisation_id=world.b.organisation_id,
    )


# --- sending ---------------------------------------------------------------------------


def test_sending_uses_the_consent_that_covers_recipient_and_purpose(
    session: Session, world: World
) -> None:
    partner = session.get_one(Partner, world.partner_id)
    referral = planned(session, world, partner)

    sent = send(session, world, referral)

    assert sent.status == S.SENT
    assert sent.consent_id == world.a.consent_id


def test_sending_to_a_recipient_no_consent_names_is_refused(
    session: Session, world: World, housing: Partner
) -> None:
    referral = planned(session, world, housing)

    with pytest.raises(ReferralWorkflowError) as refused:
        send(session, world, referral)

    assert "Amt für Wohnungswesen" in refused.value.message
    assert "keine gültige Einwilligung" in refused.value.message


def test_sending_for_a_purpose_the_consent_does_not_name_is_refused(
    session: Session, world: World
) -> None:
    partner = session.get_one(Partner, world.partner_id)
    referral = planned(session, world, partner, purpose="health")

    with pytest.raises(ReferralWorkflowError) as refused:
        send(session, world, referral)

    assert "gesundheitliche Versorgung" in refused.value.message


@pytest.mark.parametrize(
    ("change", "covered"),
    [
        ({}, True),
        ({"valid_until": TODAY - D(days=1)}, False),  # expired yesterday
        ({"valid_until": TODAY}, True),  # the last day still counts
        ({"withdrawn_on": TODAY}, False),
        ({"signed_on": TODAY + D(days=1)}, False),  # not yet signed
        ({"kind": "processing"}, False),  # a consent to process is no consent to share
    ],
)
def test_a_consent_covers_only_while_valid_and_if_it_shares(
    session: Session, world: World, change: dict[str, object], covered: bool
) -> None:
    consent = session.get_one(Consent, world.a.consent_id)
    for name, value in change.items():
        setattr(consent, name, value)
    session.flush()

    found = covering_consent(session, world.a.client_id, world.partner_id, "support", TODAY)

    assert (found is not None) is covered


def test_a_statutory_basis_sends_without_consent_and_is_audited_with_its_citation(  # noqa: PLR0917
    client: FlaskClient,
    auth: AuthActions,
    connection: Connection,
    session: Session,
    world: World,
    housing: Partner,
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        "case": world.a.case_id,
        "partner": housing.id,
        "purpose": "housing",
        "referred_on": (TODAY - D(days=1)).isoformat(),
        "follow_up_on": (TODAY + D(days=13)).isoformat(),
        "status": "sent",
    }

    refused = client.post("/admin/referrals/new/", data=form)
    assert refused.status_code == 200
    assert "keine gültige Einwilligung" in refused.get_data(as_text=True)

    response = client.post("/admin/referrals/new/", data={**form, "statutory_basis": "sgb10_69"})

    assert response.status_code == 302
    referral = session.scalars(select(Referral).where(Referral.partner_id == housing.id)).one()
    assert (referral.status, referral.statutory_basis, referral.consent_id) == (
        "sent",
        "sgb10_69",
        None,
    )
    (event,) = events(connection, record_type="Referral")
    assert changes_of(event)["statutory_basis"] == [None, "sgb10_69"]
    details = client.get(f"/admin/referrals/details/?id={referral.id}").get_data(as_text=True)
    assert "§ 69 Abs. 1 Nr. 1 SGB X" in details


def test_the_referral_form_sends_on_a_covering_consent_and_records_it(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        "case": world.a.case_id,
        "partner": world.partner_id,
        "purpose": "support",
        "consent_confirmed": "y",
        "referred_on": (TODAY - D(days=1)).isoformat(),
        "follow_up_on": (TODAY + D(days=13)).isoformat(),
        "status": "sent",
    }

    assert client.post("/admin/referrals/new/", data=form).status_code == 302

    newest = session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    assert newest is not None and newest.consent_id == world.a.consent_id


def test_a_chosen_consent_of_another_person_is_refused(session: Session, world: World) -> None:
    case = session.get_one(Case, world.a.case_id)
    partner = session.get_one(Partner, world.partner_id)
    foreign = session.get_one(Consent, world.b.consent_id)
    values = {
        "case": case,
        "partner": partner,
        "status": "sent",
        "purpose": "support",
        "consent": foreign,
        "consent_confirmed": True,
        "referred_on": TODAY,
        "follow_up_on": TODAY,
    }

    errors = Referral.field_errors(values, TODAY, "planned")

    assert errors["status"] == "Die gewählte Einwilligung gehört zu einer anderen Person."


# --- incoming referrals ---------------------------------------------------------------------


def _incoming(session: Session, world: World, kim_b: Partner, categories: str) -> Referral:
    client = session.get_one(Client, world.a.client_id)
    client.phone = "0211 555 0101"
    client.email = "amina.haddad@example.net"
    client.benefits_domain = "sgb2"
    consent = make_consent(
        session, client, [kim_b], purposes="support,housing", data_categories=categories
    )
    referral = planned(session, world, kim_b, purpose="housing")
    sent = send(session, world, referral)
    assert sent.consent_id == consent.id
    session.commit()
    return sent


def test_an_incoming_referral_carries_the_purpose_and_only_the_covered_categories(
    session: Session, world: World, kim_b: Partner
) -> None:
    _incoming(session, world, kim_b, "identity,residence")
    receiver = user_by_email(session, world.b.case_manager_email)

    (item,) = incoming_referrals(session, receiver)

    assert item.purpose == "Wohnraumversorgung"
    assert (item.client_first_name, item.client_last_name) == ("Amina", "Haddad")
    assert (item.client_phone, item.client_email) == (None, None)  # contact not covered


def test_accepting_copies_only_what_the_consent_covers(
    session: Session, world: World, kim_b: Partner
) -> None:
    referral = _incoming(session, world, kim_b, "identity,residence")
    receiver = user_by_email(session, world.b.case_manager_email)

    case = accept_incoming(
        session, receiver, referral.id, expected_version=referral.version, today=TODAY
    )

    new = case.client
    assert (new.first_name, new.last_name) == ("Amina", "Haddad")
    assert new.residence_status == "permission_to_remain"  # residence covered
    assert new.benefits_domain is None  # benefits not covered
    assert (new.phone, new.email) == (None, None)  # contact not covered
    session.flush()
    periods = session.scalars(select(Consent).where(Consent.client_id == new.id)).all()
    assert [c.kind for c in periods] == ["processing"]  # the receiver's own consent on record


def test_accepting_with_contact_covered_copies_phone_and_email(
    session: Session, world: World, kim_b: Partner
) -> None:
    referral = _incoming(session, world, kim_b, "identity,contact,benefits")
    receiver = user_by_email(session, world.b.case_manager_email)

    new = accept_incoming(
        session, receiver, referral.id, expected_version=referral.version, today=TODAY
    ).client

    assert (new.phone, new.email, new.benefits_domain) == (
        "0211 555 0101",
        "amina.haddad@example.net",
        "sgb2",
    )
    assert new.residence_status is None


# --- withdrawal -------------------------------------------------------------------------


def test_withdrawing_flags_the_open_referrals_it_covered_and_blocks_further_sharing(
    session: Session, world: World, kim_b: Partner
) -> None:
    referral = _incoming(session, world, kim_b, "identity,contact")
    finished = make_referral(
        session,
        session.get_one(Case, world.a.case_id),
        kim_b,
        status=S.CANCELLED,
        consent=referral.consent,
    )
    user = user_by_email(session, world.a.case_manager_email)
    consent = referral.consent
    assert consent is not None

    result = withdraw(session, consent, TODAY, user)
    session.commit()

    assert result.flagged_referral_ids == [referral.id]
    assert session.get_one(Referral, referral.id).consent_withdrawn_on == TODAY
    assert session.get_one(Referral, finished.id).consent_withdrawn_on is None
    receiver = user_by_email(session, world.b.case_manager_email)
    assert incoming_referrals(session, receiver) == []
    with pytest.raises(ReferralWorkflowError):
        accept_incoming(
            session, receiver, referral.id, expected_version=referral.version, today=TODAY
        )
    again = planned(session, world, kim_b, purpose="housing")
    with pytest.raises(ReferralWorkflowError):
        send(session, world, again)


def test_withdrawing_on_the_consent_screen_flags_and_says_so(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    partner = session.get_one(Partner, world.partner_id)
    referral = send(session, world, planned(session, world, partner))
    session.commit()
    auth.login(world.a.case_manager_email)
    url = f"/admin/consents/edit/?id={world.a.consent_id}"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="row_version"[^>]*value="(\d+)"', page) or re.search(
        r'value="(\d+)"[^>]*name="row_version"', page
    )
    assert version is not None
    assert (
        'value="support" checked' in page
        or 'checked value="support"' in page
        or re.search(
            r'<input[^>]*checked[^>]*value="support"|<input[^>]*value="support"[^>]*checked', page
        )
    )
    form = {
        "client": world.a.client_id,
        "kind": "disclosure",
        "recipients": world.partner_id,
        "purpose_list": "support",
        "category_list": ["identity", "contact"],
        "form": "written",
        "signed_on": CONSENT_GIVEN_ON.isoformat(),
        "withdrawn_on": TODAY.isoformat(),
        "row_version": version.group(1),
    }

    response = client.post(url, data=form, follow_redirects=True)

    assert "1 offene Vermittlung(en)" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get_one(Referral, referral.id).consent_withdrawn_on == TODAY
    assert session.get_one(Consent, world.a.consent_id).withdrawn_on == TODAY


def test_withdrawal_on_the_client_form_withdraws_the_processing_consent(
    session: Session, world: World
) -> None:
    client = session.get_one(Client, world.a.client_id)
    processing = [c for c in client.consents if c.kind == "processing"]
    assert [c.signed_on for c in processing] == [client.consent_given_on]

    client.consent_withdrawn_on = TODAY - D(days=1)
    session.commit()
    session.expire_all()

    (processing_after,) = [
        c for c in session.get_one(Client, world.a.client_id).consents if c.kind == "processing"
    ]
    assert processing_after.withdrawn_on == TODAY - D(days=1)
    # The world's open referral (sent, at a) is flagged.
    assert session.get_one(Referral, world.a.referral_id).consent_withdrawn_on == TODAY - D(days=1)


# --- the rules of the record itself ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"purpose_list": []}, "purpose_list", "pauschale Einwilligung"),
        ({"category_list": []}, "category_list", "Datenarten"),
        ({"recipients": []}, "recipients", "nennt die Empfänger"),
        ({"kind": "statistics"}, "recipients", "Nur eine Weitergabe"),
        ({"form": "oral"}, "note", "Vermerk"),
        ({"valid_until": TODAY - D(days=400)}, "valid_until", "Gültigkeit"),
    ],
)
def test_a_blanket_or_unproven_consent_cannot_be_recorded(
    session: Session, world: World, change: dict[str, object], field: str, message: str
) -> None:
    values: dict[str, object] = {
        "kind": "disclosure",
        "purpose_list": ["support"],
        "category_list": ["identity"],
        "recipients": [session.get_one(Partner, world.partner_id)],
        "form": "written",
        "signed_on": CONSENT_GIVEN_ON,
        **change,
    }

    errors = Consent.field_errors(values, TODAY)

    assert message in errors[field]


# --- expiry, at a glance, the printed form ---------------------------------------------------


@pytest.mark.parametrize(("ends_in", "listed"), [(0, True), (30, True), (31, False), (-1, False)])
def test_consents_ending_within_thirty_days_are_listed(
    session: Session, world: World, ends_in: int, listed: bool
) -> None:
    consent = session.get_one(Consent, world.a.consent_id)
    consent.valid_until = TODAY + D(days=ends_in)
    session.commit()
    user = user_by_email(session, world.a.case_manager_email)

    found = expiring_consents(session, visible_criteria(user, Client), TODAY)

    assert [c.consent_id for c in found] == ([consent.id] if listed else [])


def test_start_page_names_the_consent_about_to_end(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    consent = session.get_one(Consent, world.a.consent_id)
    consent.valid_until = TODAY + D(days=12)
    session.commit()
    auth.login(world.a.case_manager_email)

    page = client.get("/admin/").get_data(as_text=True)

    assert "Einwilligungen, die in den nächsten 30 Tagen enden" in page
    assert f"gültig bis {TODAY + D(days=12):%d.%m.%Y} (noch 12 Tage)" in page


def test_client_list_and_case_page_show_the_consent_state(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    listing = client.get("/admin/clients/").get_data(as_text=True)
    case_page = client.get(f"/admin/cases/details/?id={world.a.case_id}").get_data(as_text=True)

    assert "Weitergabe: 1 gültig" in listing
    assert "Einwilligungen" in case_page
    assert "Weitergabe an eine Stelle" in case_page
    assert "Jobcenter Düsseldorf" in case_page


def test_the_printed_form_names_recipients_purposes_and_categories(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    consent = session.get_one(Consent, world.a.consent_id)
    consent.data_categories = "contact,health,identity"
    consent.language = "de"
    session.commit()
    auth.login(world.a.case_manager_email)

    response = client.get("/admin/consents/form/", query_string={"id": consent.id})

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Einwilligungserklärung AWO" in text  # the organisation's own template
    assert "Jobcenter Düsseldorf" in text
    assert "Vermittlung und Unterstützung durch die empfangende Stelle" in text
    assert "Gesundheitsdaten" in text and "Art. 9 DSGVO" in text
    assert "Haddad" in text
    printed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "export",
            AuditEvent.record_type == "Consent",
            AuditEvent.record_id == consent.id,
        )
    ).all()
    assert len(printed) == 1  # a document about a person is audited like a CSV export


def test_the_printed_form_falls_back_to_the_default_text(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    consent = session.get_one(Consent, world.a.consent_id)
    consent.language = "ar"
    session.commit()
    auth.login(world.b.lead_email)
    assert client.get("/admin/consents/form/", query_string={"id": consent.id}).status_code == 404
    auth.logout()
    auth.login(world.a.case_manager_email)

    response = client.get("/admin/consents/form/", query_string={"id": consent.id})

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    # No Arabic template: the German one of the organisation.
    assert "Einwilligungserklärung AWO" in text


# --- audit, Art. 15, retention, other organisations ---------------------------------------------


def test_consent_events_name_the_fields_without_values(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        "client": world.a.client_id,
        "kind": "confidentiality",
        "recipients": world.partner_id,
        "purpose_list": ["health"],
        "category_list": ["health"],
        "form": "oral",
        "note": "Mündlich im Beisein der Schwester erteilt",
        "signed_on": (TODAY - D(days=2)).isoformat(),
    }

    assert client.post("/admin/consents/new/", data=form).status_code == 302

    (event,) = events(connection, record_type="Consent")
    changes = changes_of(event)
    assert changes["kind"] == [None, "confidentiality"]
    for personal in ("purposes", "data_categories", "note", "signed_on", "form"):
        assert changes[personal] is None, personal
    assert "Schwester" not in (event.changed_fields or "")
    assert "health" not in (event.changed_fields or "")


def test_art_15_answer_lists_periods_and_consents(session: Session, world: World) -> None:
    client = session.get_one(Client, world.a.client_id)
    lead = user_by_email(session, world.a.lead_email)

    tables = {t.filename: t for t in subject_access_tables(session, lead, client)}

    assert [row[:2] for row in tables["statusverlauf.csv"].rows] == [
        ["Aufenthaltsstatus", "Aufenthaltsgestattung"]
    ]
    kinds = sorted(row[0] for row in tables["einwilligungen.csv"].rows)
    assert kinds == ["Verarbeitung im Case Management", "Weitergabe an eine Stelle"]
    assert "Jobcenter Düsseldorf" in repr(tables["einwilligungen.csv"].rows)
    assert "Shevchenko" not in repr(tables)


def test_retention_erases_a_consents_note_and_keeps_the_proof(
    session: Session, world: World
) -> None:
    client = session.get_one(Client, world.a.client_id)
    consent = session.get_one(Consent, world.a.consent_id)
    consent.note = "Vermerk mit Namen der Schwester"
    consent.scan_reference = "Ordner 3, Blatt 12"
    case = session.get_one(Case, world.a.case_id)
    case.closed_on = TODAY - D(days=5 * 365)
    case.opened_on = TODAY - D(days=6 * 365)
    case.closure_reason = "goals_met"
    for referral in session.scalars(select(Referral).where(Referral.case_id == case.id)):
        referral.referred_on = TODAY - D(days=6 * 365 - 10)
        referral.follow_up_on = referral.referred_on + D(days=14)
    session.commit()
    assert client.id is not None

    report = anonymise_due_clients(session, TODAY, years=3)

    assert [due.client_id for due in report.due] == [client.id]
    session.expire_all()
    kept = session.get_one(Consent, world.a.consent_id)
    assert (kept.note, kept.scan_reference) == (None, None)
    assert (kept.signed_on, kept.kind) == (CONSENT_GIVEN_ON, "disclosure")
    assert [p.name for p in kept.recipients] == ["Jobcenter Düsseldorf"]


def test_another_organisations_consents_are_not_listed_nor_filterable(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.b.case_manager_email)

    listing = client.get("/admin/consents/").get_data(as_text=True)
    filtered = client.get(
        "/admin/consents/", query_string={"flt0_art_equals": "disclosure"}
    ).get_data(as_text=True)
    periods = client.get("/admin/status-periods/").get_data(as_text=True)

    for page in (listing, filtered, periods):
        assert world.a.client_name not in page
        assert "Shevchenko" in page


def test_the_referral_forms_consent_lookup_offers_only_own_consents(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    url = "/admin/referrals/ajax/lookup/"
    auth.login(world.a.case_manager_email)
    own = client.get(url, query_string={"name": "consent", "query": "Haddad"}).get_json()
    auth.logout()
    auth.login(world.b.case_manager_email)
    foreign = client.get(url, query_string={"name": "consent", "query": "Haddad"}).get_json()

    assert world.a.consent_id in [row[0] for row in own]
    assert foreign == []


def test_the_consent_page_links_its_printed_form(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    page = client.get(f"/admin/consents/details/?id={world.a.consent_id}").get_data(as_text=True)

    assert f"/admin/consents/form/?id={world.a.consent_id}" in page
    assert "Einwilligungsformular drucken (PDF)" in page
