"""The generated admin forms through HTTP: creating, refusing bad input, any script, no
injection, stale edits, inline children, German labels and dates."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import TYPE_CHECKING, Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from models import Case, Client, Contact, NumberSequence, Referral, User
from tests.factories import (
    CONSENT_GIVEN_ON,
    CONTACT_ON,
    FOLLOW_UP_ON,
    OPENED_ON,
    REFERRED_ON,
    TODAY,
    World,
)

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

if TYPE_CHECKING:
    from tests.conftest import AuthActions

STALE_WORD = "inzwischen"
TOMORROW = TODAY + dt.timedelta(days=1)
CLOSED_ON = (OPENED_ON + dt.timedelta(days=120)).isoformat()
ANSWERED_ON = REFERRED_ON + dt.timedelta(days=8)


# --- helpers --------------------------------------------------------------------------


def client_form(**values: Any) -> dict[str, Any]:
    """What the browser posts for a new client: the required fields and a few others."""
    return {
        "first_name": "Leyla",
        "last_name": "Y\u0131lmaz",  # dotless i
        "date_of_birth": "1988-04-12",
        "gender": "female",
        "residence_status": "toleration",
        "household_size": "3",
        "postcode": "40233",
        "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
        **values,
    }


def case_form(world: World, **values: Any) -> dict[str, Any]:
    return {
        "client": str(world.a.client_id),
        "case_manager": str(world.a.case_manager_id),
        "opened_on": OPENED_ON.isoformat(),
        "phase": "assessment",
        "topics": str(world.topic_id),
        "goals": "Sprachkurs B1",
        **values,
    }


def referral_form(world: World, **values: Any) -> dict[str, Any]:
    return {
        "case": str(world.a.case_id),
        "partner": str(world.partner_id),
        "topic": str(world.topic_id),
        "reason": "Unterstützung bei der Arbeitssuche",
        "consent_confirmed": "y",
        "referred_on": REFERRED_ON.isoformat(),
        "follow_up_on": FOLLOW_UP_ON.isoformat(),
        "status": "sent",
        **values,
    }


def body_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def input_value(body: str, field_id: str) -> str:
    """The decoded ``value`` of the ``<input id=field_id>`` on a rendered form."""
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', body)
    assert tag is not None, f"no input {field_id}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def list_row(body: str, text: str) -> str:
    """The table row of a list page that contains ``text``."""
    rows = [row for row in re.findall(r"<tr\b.*?</tr>", body, re.S) if text in row]
    assert len(rows) == 1, f"{len(rows)} rows with {text!r}"
    return rows[0]


def count(session: Session, model: type[Any]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def clients_named(session: Session, last_name: str) -> list[Client]:
    session.expire_all()
    return list(session.scalars(select(Client).where(Client.last_name == last_name)))


def assert_refused(response: TestResponse, message: str) -> None:
    """The form came back (no redirect) and shows the German message."""
    assert response.status_code == 200
    assert message in body_of(response)


def last_file_number(session: Session, organisation_id: int) -> int:
    session.expire_all()
    value = session.scalar(
        select(NumberSequence.last_value).where(
            NumberSequence.organisation_id == organisation_id,
            NumberSequence.name == "client",
            NumberSequence.year == TODAY.year,
        )
    )
    return value or 0


@pytest.fixture
def manager(client: FlaskClient, auth: AuthActions, world: World) -> FlaskClient:
    """An HTTP client logged in as the case manager of organisation a (awo)."""
    auth.login(world.a.case_manager_email)
    return client


# --- creating a client ----------------------------------------------------------------


def test_new_client_gets_file_number_organisation_and_author(
    manager: FlaskClient, world: World, session: Session
) -> None:
    response = manager.post("/admin/clients/new/", data=client_form(last_name="Neuaufnahme"))
    assert response.status_code == 302

    (created,) = clients_named(session, "Neuaufnahme")
    assert re.fullmatch(rf"AWO-{TODAY.year}-\d{{4}}", created.file_number)
    assert created.organisation_id == world.a.organisation_id
    assert created.created_by_id == world.a.case_manager_id
    assert created.updated_by_id == world.a.case_manager_id
    assert created.first_name == "Leyla"
    assert created.date_of_birth == dt.date(1988, 4, 12)
    assert created.residence_status == "toleration"
    assert created.household_size == 3
    assert created.version == 1

    listing = body_of(manager.get("/admin/clients/"))
    assert "Neuaufnahme" in listing
    assert created.file_number in listing


def test_file_numbers_of_new_clients_count_up_per_organisation(
    auth: AuthActions, manager: FlaskClient, world: World, session: Session
) -> None:
    other = auth.browser(world.b.case_manager_email)
    awo_before = last_file_number(session, world.a.organisation_id)
    caritas_before = last_file_number(session, world.b.organisation_id)
    for name in ("Erste", "Zweite"):
        response = manager.post("/admin/clients/new/", data=client_form(last_name=name))
        assert response.status_code == 302
    response = other.post("/admin/clients/new/", data=client_form(last_name="Dritte"))
    assert response.status_code == 302

    year = TODAY.year
    session.expire_all()
    numbers = {c.last_name: c.file_number for c in session.scalars(select(Client))}
    assert numbers["Erste"] == f"AWO-{year}-{awo_before + 1:04d}"
    assert numbers["Zweite"] == f"AWO-{year}-{awo_before + 2:04d}"
    assert numbers["Dritte"] == f"CARITAS-{year}-{caritas_before + 1:04d}"
    (dritte,) = clients_named(session, "Dritte")
    assert dritte.organisation_id == world.b.organisation_id


# --- bad input: a German field error, nothing stored ---------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"date_of_birth": TOMORROW.isoformat()}, "Das Datum darf nicht in der Zukunft liegen."),
        ({"first_name": "x" * 5000}, "Feld kann nicht länger als 100 Zeichen sein."),
        ({"household_size": "99"}, "Zahl muss zwischen 1 und 30 liegen."),
        ({"date_of_birth": "31.02.1990"}, "Kein gültiges Datum."),
        ({"date_of_birth": "1990-02-31"}, "Kein gültiges Datum."),
        ({"postcode": "4021"}, "Bitte eine fünfstellige Postleitzahl angeben."),
        ({"arrival_date": "1980-01-01"}, "Die Einreise kann nicht vor der Geburt liegen."),
        ({"last_name": ""}, "Dieses Feld wird benötigt."),
    ],
    ids=[
        "birth-in-future",
        "name-5000-characters",
        "household-99",
        "german-date-string",
        "impossible-date",
        "postcode-4-digits",
        "arrival-before-birth",
        "missing-last-name",
    ],
)
def test_bad_client_input_is_refused_with_german_field_error_and_nothing_stored(
    manager: FlaskClient, session: Session, values: dict[str, str], message: str
) -> None:
    before = count(session, Client)
    response = manager.post("/admin/clients/new/", data=client_form(**values))
    assert_refused(response, message)
    assert count(session, Client) == before


@pytest.mark.parametrize(
    "text",
    ["Amina\x00Haddad", "Amina\x07", "\x1b[31mAmina", "Amina\x7f", "Ami\x0bna", "Ami\x0cna"],
    ids=["nul", "bell", "escape", "delete", "vertical-tab", "form-feed"],
)
def test_control_characters_in_a_name_are_refused(
    manager: FlaskClient, session: Session, text: str
) -> None:
    before = count(session, Client)
    response = manager.post("/admin/clients/new/", data=client_form(first_name=text))
    assert_refused(response, "Bitte keine Steuerzeichen eingeben.")
    assert count(session, Client) == before


def test_nul_in_notes_is_refused_on_every_database(manager: FlaskClient, session: Session) -> None:
    before = count(session, Client)
    response = manager.post("/admin/clients/new/", data=client_form(notes="Teil 1\x00Teil 2"))
    assert_refused(response, "Bitte keine Steuerzeichen eingeben.")
    assert count(session, Client) == before


def test_line_breaks_and_tabs_in_notes_are_kept(manager: FlaskClient, session: Session) -> None:
    notes = "Zeile 1\r\nZeile 2\n\tEingerückt"
    response = manager.post(
        "/admin/clients/new/", data=client_form(last_name="Umbruch", notes=notes)
    )
    assert response.status_code == 302
    (created,) = clients_named(session, "Umbruch")
    assert created.notes == notes


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {
                "opened_on": OPENED_ON.isoformat(),
                "closed_on": (OPENED_ON - dt.timedelta(days=1)).isoformat(),
                "phase": "closed",
                "closure_reason": "goals_met",
            },
            "Das Abschlussdatum darf nicht vor dem Eröffnungsdatum liegen.",
        ),
        (
            {"closed_on": CLOSED_ON, "phase": "closed"},
            "Ein abgeschlossener Fall braucht einen Abschlussgrund.",
        ),
        (
            {"phase": "closed", "closure_reason": "goals_met"},
            "Ein abgeschlossener Fall braucht ein Abschlussdatum.",
        ),
        ({"opened_on": "gestern"}, "Kein gültiges Datum."),
    ],
    ids=[
        "closed-before-opened",
        "closed-without-reason",
        "phase-closed-without-date",
        "invalid-date",
    ],
)
def test_bad_case_input_is_refused_with_german_field_error_and_nothing_stored(
    manager: FlaskClient, world: World, session: Session, values: dict[str, str], message: str
) -> None:
    before = count(session, Case)
    response = manager.post("/admin/cases/new/", data=case_form(world, **values))
    assert_refused(response, message)
    assert count(session, Case) == before


def test_closing_a_case_without_reason_is_refused_and_case_stays_open(
    manager: FlaskClient, world: World, session: Session
) -> None:
    url = f"/admin/cases/edit/?id={world.a.case_id}"
    data = case_form(world, closed_on=CLOSED_ON, phase="closed", row_version="1")
    assert_refused(
        manager.post(url, data=data), "Ein abgeschlossener Fall braucht einen Abschlussgrund."
    )
    case = session.get(Case, world.a.case_id)
    assert case is not None
    assert case.closed_on is None
    assert case.version == 1


# --- any script, round-trip byte-identical -------------------------------------------

NAMES = [
    ("محمد", "عبد الله"),
    ("Олександр", "Шевченко"),
    ("Thị Ánh", "Nguyễn"),
    ("Zoë", "O'Hara-Łukasz"),
    ("Nour 🌻", "Al-Sayed 👩🏽‍⚕️"),
]


@pytest.mark.parametrize(
    ("first_name", "last_name"), NAMES, ids=["arabic", "cyrillic", "vietnamese", "latin", "emoji"]
)
def test_names_in_any_script_round_trip_byte_identical(
    manager: FlaskClient, session: Session, first_name: str, last_name: str
) -> None:
    data = client_form(first_name=first_name, last_name=last_name)
    assert manager.post("/admin/clients/new/", data=data).status_code == 302

    (created,) = clients_named(session, last_name)
    assert created.first_name.encode() == first_name.encode()
    assert created.last_name.encode() == last_name.encode()

    listing = html.unescape(body_of(manager.get("/admin/clients/")))
    assert last_name in listing
    assert first_name in listing
    details = html.unescape(body_of(manager.get(f"/admin/clients/details/?id={created.id}")))
    assert last_name in details
    assert first_name in details
    form = body_of(manager.get(f"/admin/clients/edit/?id={created.id}"))
    assert input_value(form, "first_name").encode() == first_name.encode()
    assert input_value(form, "last_name").encode() == last_name.encode()


def test_saving_an_unchanged_edit_form_keeps_the_name_byte_identical(
    manager: FlaskClient, session: Session
) -> None:
    first_name, last_name = "Nguyễn Thị", "Ánh O'Hara 🌻"
    data = client_form(first_name=first_name, last_name=last_name)
    assert manager.post("/admin/clients/new/", data=data).status_code == 302
    (created,) = clients_named(session, last_name)

    form = body_of(manager.get(f"/admin/clients/edit/?id={created.id}"))
    resubmitted = client_form(
        first_name=input_value(form, "first_name"),
        last_name=input_value(form, "last_name"),
        row_version=input_value(form, "row_version"),
    )
    response = manager.post(f"/admin/clients/edit/?id={created.id}", data=resubmitted)
    assert response.status_code == 302
    (saved,) = clients_named(session, last_name)
    assert saved.first_name.encode() == first_name.encode()
    assert saved.last_name.encode() == last_name.encode()


# --- no injection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'],
    ids=["script-tag", "attribute-breakout"],
)
def test_html_in_a_name_is_escaped_in_list_and_details(
    manager: FlaskClient, session: Session, payload: str
) -> None:
    data = client_form(first_name=payload, last_name="Escape")
    assert manager.post("/admin/clients/new/", data=data).status_code == 302
    (created,) = clients_named(session, "Escape")
    assert created.first_name == payload

    for url in ("/admin/clients/", f"/admin/clients/details/?id={created.id}"):
        body = body_of(manager.get(url))
        assert payload not in body
        assert "<img src=x" not in body
        assert "<script>alert(1)" not in body
        assert payload in html.unescape(body)  # shown as text


def test_template_syntax_in_a_name_is_not_evaluated(manager: FlaskClient, session: Session) -> None:
    data = client_form(first_name="Tpl {{7*7}} {% if 1 %}ja{% endif %}", last_name="Template")
    assert manager.post("/admin/clients/new/", data=data).status_code == 302
    (created,) = clients_named(session, "Template")

    for url in (
        "/admin/clients/",
        f"/admin/clients/details/?id={created.id}",
        f"/admin/clients/edit/?id={created.id}",
    ):
        body = html.unescape(body_of(manager.get(url)))
        assert "Tpl {{7*7}} {% if 1 %}ja{% endif %}" in body
        assert "Tpl 49" not in body


# --- stale edits are refused ----------------------------------------------------------


def test_stale_case_edit_is_refused_and_first_change_kept(
    auth: AuthActions, manager: FlaskClient, world: World, session: Session
) -> None:
    url = f"/admin/cases/edit/?id={world.a.case_id}"
    loaded_version = input_value(body_of(manager.get(url)), "row_version")
    assert loaded_version == "1"

    lead = auth.browser(world.a.lead_email)
    lead_version = input_value(body_of(lead.get(url)), "row_version")
    first = lead.post(url, data=case_form(world, goals="Erste Änderung", row_version=lead_version))
    assert first.status_code == 302

    stale = manager.post(
        url, data=case_form(world, goals="Zweite Änderung", row_version=loaded_version)
    )
    assert stale.status_code == 200
    body = html.unescape(body_of(stale))
    assert STALE_WORD in body
    assert "Teamleitung AWO" in body  # who changed it meanwhile

    case = session.get(Case, world.a.case_id)
    assert case is not None
    assert case.goals == "Erste Änderung"
    assert case.version == 2
    assert case.updated_by_id == session.scalar(
        select(User.id).where(User.email == world.a.lead_email)
    )


def test_stale_client_edit_is_refused_and_first_change_kept(
    auth: AuthActions, manager: FlaskClient, world: World, session: Session
) -> None:
    url = f"/admin/clients/edit/?id={world.a.client_id}"
    loaded_version = input_value(body_of(manager.get(url)), "row_version")

    other = auth.browser(world.a.case_manager_email)
    first = other.post(url, data=client_form(last_name="Erste", row_version=loaded_version))
    assert first.status_code == 302

    stale = manager.post(url, data=client_form(last_name="Zweite", row_version=loaded_version))
    assert stale.status_code == 200
    assert STALE_WORD in html.unescape(body_of(stale))

    client = session.get(Client, world.a.client_id)
    assert client is not None
    assert client.last_name == "Erste"
    assert client.version == 2


def test_stale_referral_edit_is_refused_and_first_change_kept(
    auth: AuthActions, manager: FlaskClient, world: World, session: Session
) -> None:
    url = f"/admin/referrals/edit/?id={world.a.referral_id}"
    loaded_version = input_value(body_of(manager.get(url)), "row_version")

    other = auth.browser(world.a.case_manager_email)
    first = other.post(
        url,
        data=referral_form(
            world,
            status="accepted",
            responded_on=ANSWERED_ON.isoformat(),
            row_version=loaded_version,
        ),
    )
    assert first.status_code == 302

    stale = manager.post(
        url, data=referral_form(world, status="cancelled", row_version=loaded_version)
    )
    assert stale.status_code == 200
    assert STALE_WORD in html.unescape(body_of(stale))

    referral = session.get(Referral, world.a.referral_id)
    assert referral is not None
    assert referral.status == "accepted"
    assert referral.responded_on == ANSWERED_ON
    assert referral.version == 2


@pytest.mark.parametrize("row_version", ["", "abc", "0", "-1", "1,2"])
def test_edit_without_a_valid_row_version_is_refused(
    manager: FlaskClient, world: World, session: Session, row_version: str
) -> None:
    url = f"/admin/clients/edit/?id={world.a.client_id}"
    response = manager.post(url, data=client_form(last_name="Ohne", row_version=row_version))
    assert response.status_code == 200
    assert STALE_WORD in html.unescape(body_of(response))
    client = session.get(Client, world.a.client_id)
    assert client is not None
    assert client.last_name == world.a.client_name
    assert client.version == 1


def test_edit_with_the_current_row_version_is_saved_and_counts_up(
    manager: FlaskClient, world: World, session: Session
) -> None:
    url = f"/admin/cases/edit/?id={world.a.case_id}"
    for version, goals in ((1, "Schritt eins"), (2, "Schritt zwei")):
        loaded = input_value(body_of(manager.get(url)), "row_version")
        assert loaded == str(version)
        assert (
            manager.post(url, data=case_form(world, goals=goals, row_version=loaded)).status_code
            == 302
        )
    case = session.get(Case, world.a.case_id)
    assert case is not None
    assert case.goals == "Schritt zwei"
    assert case.version == 3


# --- inline contacts ------------------------------------------------------------------


def test_inline_contacts_of_a_new_case_are_stamped_with_organisation_and_author(
    manager: FlaskClient, world: World, session: Session
) -> None:
    data = case_form(
        world,
        goals="Mit Kontakten",
        **{
            "contacts-0-contact_date": CONTACT_ON.isoformat(),
            "contacts-0-kind": "phone",
            "contacts-0-minutes": "20",
            "contacts-0-note": "Telefonat",
            "contacts-1-contact_date": (CONTACT_ON + dt.timedelta(days=7)).isoformat(),
            "contacts-1-kind": "home_visit",
            "contacts-1-minutes": "90",
            "contacts-1-note": "Hausbesuch",
        },
    )
    response = manager.post("/admin/cases/new/", data=data)
    assert response.status_code == 302

    case = session.scalars(select(Case).where(Case.goals == "Mit Kontakten")).one()
    assert case.organisation_id == world.a.organisation_id
    assert re.fullmatch(rf"AWO-F-{TODAY.year}-\d{{4}}", case.case_number)
    contacts = session.scalars(select(Contact).where(Contact.case_id == case.id)).all()
    assert sorted(contact.note or "" for contact in contacts) == ["Hausbesuch", "Telefonat"]
    for contact in contacts:
        assert contact.organisation_id == world.a.organisation_id
        assert contact.created_by_id == world.a.case_manager_id
        assert contact.updated_by_id == world.a.case_manager_id


def test_inline_contact_with_minutes_out_of_range_stores_nothing(
    manager: FlaskClient, world: World, session: Session
) -> None:
    cases, contacts = count(session, Case), count(session, Contact)
    data = case_form(
        world,
        **{
            "contacts-0-contact_date": CONTACT_ON.isoformat(),
            "contacts-0-kind": "phone",
            "contacts-0-minutes": "1441",
        },
    )
    response = manager.post("/admin/cases/new/", data=data)
    assert_refused(response, "Zahl muss zwischen 0 und 1440 liegen.")
    assert (count(session, Case), count(session, Contact)) == (cases, contacts)


# --- German on screen -----------------------------------------------------------------


def test_client_form_has_german_labels(manager: FlaskClient) -> None:
    body = body_of(manager.get("/admin/clients/new/"))
    for label in (
        "Vorname",
        "Nachname",
        "Geburtsdatum",
        "Aufenthaltsstatus",
        "Rechtskreis",
        "Haushaltsgröße",
        "Einwilligung erteilt am",
        "Stadtbezirk",
    ):
        assert f">{label}" in body, label
    assert "Date Of Birth" not in body
    assert "Residence Status" not in body


def test_client_list_shows_choice_labels_and_german_dates(
    manager: FlaskClient, session: Session
) -> None:
    data = client_form(
        last_name="Listenansicht", date_of_birth="1990-05-01", residence_status="toleration"
    )
    assert manager.post("/admin/clients/new/", data=data).status_code == 302
    row = list_row(body_of(manager.get("/admin/clients/")), "Listenansicht")
    assert "Duldung" in row
    assert "toleration" not in row
    assert "01.05.1990" in row
    assert "1990-05-01" not in row


def test_client_details_show_german_labels_and_dates(
    manager: FlaskClient, session: Session
) -> None:
    data = client_form(last_name="Details", date_of_birth="1990-05-01", gender="female")
    assert manager.post("/admin/clients/new/", data=data).status_code == 302
    (created,) = clients_named(session, "Details")
    body = body_of(manager.get(f"/admin/clients/details/?id={created.id}"))
    for text in ("Geburtsdatum", "01.05.1990", "weiblich", "Duldung", "Aktenzeichen"):
        assert text in body, text
