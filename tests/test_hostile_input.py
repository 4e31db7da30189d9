"""Hostile input against every generated create and edit form (ASVS 5.1, 5.3).

Each text field of each form gets each payload while the other fields hold valid values.
Every answer is a clean save or a field error, never a 5xx, and what was saved shows as
text: escaped in the list and the details page, never run as markup or template.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient

from tests.factories import CONSENT_GIVEN_ON, OBSERVED_ON, TODAY, World

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

TEXT_PAYLOADS = {
    "script tag": "<script>alert(1)</script>",
    "event handler": '"><img src=x onerror=alert(1)>',
    "template syntax": "{{7*7}} {% raw %}",
    "formula": '=HYPERLINK("http://x/?"&A1,"x")',
    "nul": "Name\x00mit NUL",
    "bell": "Name\x07",
    "escape": "Name\x1b[31m",
    "right-to-left override": "Name \u202egnp.exe",
    "rtl marks": "\u200fمحمد\u200e Ali",
    "emoji": "👩🏽‍⚕️ Ärztin",
    "combining mark": "Jose\u0301 Zoe\u0308",
    "100 kB": "x" * 100_000,
}
DATE_PAYLOADS = {
    "impossible date": f"{TODAY.year}-02-30",
    "far past": "0001-01-01",
    "far future": "9999-12-31",
    "not a date": "morgen",
}
NUMBER_PAYLOADS = {
    "huge number": "99999999999999999999999",
    "negative": "-5",
    "not a number": "zwölf",
}
RAW_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def day(offset: int) -> str:
    """A day of the fixture's casework, ``offset`` days after the barrier it observes."""
    return (OBSERVED_ON + dt.timedelta(days=offset)).isoformat()


def case_manager_forms(world: World) -> dict[str, dict[str, str]]:
    """A valid submission per case-level form, for a's case manager."""
    return {
        "clients": {
            "first_name": "Amina",
            "last_name": "Testfall",
            "gender": "female",
            "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
            "household_size": "3",
            "postcode": "40210",
        },
        "cases": {
            "client": str(world.a.client_id),
            "case_manager": str(world.a.case_manager_id),
            "opened_on": day(0),
            "phase": "intake",
            "goals": "Sprachkurs finden",
        },
        "contacts": {
            "case": str(world.a.case_id),
            "contact_date": day(1),
            "kind": "phone",
            "minutes": "30",
            "note": "Telefonat",
        },
        "barriers": {
            "case": str(world.a.case_id),
            "category": str(world.category_id),
            "observed_on": day(2),
            "status": "open",
            "description": "Wartezeit",
        },
        "referrals": {
            "case": str(world.a.case_id),
            "partner": str(world.partner_id),
            "referred_on": day(3),
            "follow_up_on": day(17),
            "status": "planned",
            "reason": "Beratung",
        },
    }


def admin_forms() -> dict[str, dict[str, str]]:
    """A valid submission per configuration form, for the admin."""
    return {
        "partners": {"name": "Testpartner", "kind": "counselling", "phone": "0211 1"},
        "barrier-categories": {"name": "Testkategorie", "sort_order": "5"},
        "topics": {"name": "Testthema", "sort_order": "5"},
        "organisations": {"slug": "testorg", "name": "Test-Organisation"},
        "users": {
            "full_name": "Test Person",
            "email": "test.person@example.org",
            "role": "coordinator",
            "new_password": "ein-sehr-langes-Passwort-2026",
        },
    }


def field_types(client: FlaskClient, url: str) -> dict[str, str]:
    """Name → kind (text, date, number) of the editable fields of the form at ``url``."""
    html = client.get(url).get_data(as_text=True)
    kinds: dict[str, str] = {}
    for tag, attributes in re.findall(r"<(input|textarea)([^>]*)>", html):
        name = re.search(r'name="([^"]+)"', attributes)
        kind = re.search(r'type="([^"]+)"', attributes)
        field_type = kind.group(1) if kind else ("textarea" if tag == "textarea" else "text")
        if name and field_type in ("text", "textarea", "date", "number", "email"):
            kinds[name.group(1)] = {"textarea": "text", "email": "text"}.get(field_type, field_type)
    return kinds


PAYLOADS_BY_KIND = {"text": TEXT_PAYLOADS, "date": DATE_PAYLOADS, "number": NUMBER_PAYLOADS}


def assert_handled(response, body: str) -> bool:
    """True if saved; a refusal must be a visible error. Never a server error."""
    assert response.status_code < 500, body[:300]
    if response.status_code == 302:
        return True
    assert response.status_code == 200
    assert "invalid-feedback" in body or "alert-danger" in body or "has-error" in body
    return False


def assert_rendered_as_text(client: FlaskClient, list_url: str) -> None:
    listing = client.get(list_url).get_data(as_text=True)
    for markup in RAW_MARKUP:
        assert markup not in listing
    assert "49 {%" not in listing
    for record_id in re.findall(r"details/\?id=(\d+)", listing)[:3]:
        details = client.get(f"{list_url}details/?id={record_id}").get_data(as_text=True)
        for markup in RAW_MARKUP:
            assert markup not in details


def run_payloads(client: FlaskClient, endpoint: str, valid: dict[str, str]) -> int:
    new_url = f"/admin/{endpoint}/new/"
    saved = 0
    for field, kind in field_types(client, new_url).items():
        for payload in PAYLOADS_BY_KIND[kind].values():
            response = client.post(new_url, data={**valid, field: payload})
            body = response.get_data(as_text=True)
            if assert_handled(response, body):
                saved += 1
            if endpoint in ("partners", "barrier-categories", "topics", "organisations", "users"):
                valid = {**valid, **unique_values(endpoint, saved)}
    assert_rendered_as_text(client, f"/admin/{endpoint}/")
    return saved


def letters(number: int) -> str:
    """1 → "b", 27 → "bb": a slug part from a number (slugs take only a–z)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = "abcdefghijklmnopqrstuvwxyz"[digit] + text
        if number == 0:
            return text


def unique_values(endpoint: str, number: int) -> dict[str, str]:
    """Configuration records have unique names: vary them between submissions."""
    return {
        "partners": {"name": f"Testpartner {number}"},
        "barrier-categories": {"name": f"Testkategorie {number}"},
        "topics": {"name": f"Testthema {number}"},
        "organisations": {"slug": f"org{letters(number)}", "name": f"Test-Organisation {number}"},
        "users": {"email": f"test.person{number}@example.org"},
    }[endpoint]


@pytest.mark.parametrize("endpoint", ["clients", "cases", "contacts", "barriers", "referrals"])
def test_case_level_create_forms_survive_hostile_input(client, auth, world, endpoint):
    auth.login(world.a.case_manager_email)
    valid = case_manager_forms(world)[endpoint]
    assert client.post(f"/admin/{endpoint}/new/", data=valid).status_code == 302
    assert run_payloads(client, endpoint, valid) > 0, "harmless Unicode must save"


@pytest.mark.parametrize(
    "endpoint", ["partners", "barrier-categories", "topics", "organisations", "users"]
)
def test_configuration_create_forms_survive_hostile_input(client, auth, world, endpoint):
    auth.login(world.admin_email)
    valid = admin_forms()[endpoint]
    assert client.post(f"/admin/{endpoint}/new/", data=valid).status_code == 302
    assert run_payloads(client, endpoint, {**valid, **unique_values(endpoint, 1000)}) > 0


@pytest.mark.parametrize("endpoint", ["clients", "cases", "contacts", "barriers", "referrals"])
def test_case_level_edit_forms_survive_hostile_input(client, auth, world, endpoint):
    auth.login(world.a.case_manager_email)
    record_id = world.record_id(world.a, endpoint)
    edit_url = f"/admin/{endpoint}/edit/?id={record_id}"
    for field, kind in field_types(client, edit_url).items():
        for payload in PAYLOADS_BY_KIND[kind].values():
            form_html = client.get(edit_url).get_data(as_text=True)
            version = re.search(r'name="row_version"[^>]*value="(\d+)"', form_html)
            valid = {**case_manager_forms(world)[endpoint], "row_version": version.group(1)}
            response = client.post(edit_url, data={**valid, field: payload})
            assert_handled(response, response.get_data(as_text=True))
    assert_rendered_as_text(client, f"/admin/{endpoint}/")


def test_control_characters_are_refused_with_a_field_error(client, auth, world):
    auth.login(world.a.case_manager_email)
    valid = case_manager_forms(world)["clients"]
    response = client.post("/admin/clients/new/", data={**valid, "last_name": "A\x00B"})
    assert response.status_code == 200
    assert "Bitte keine Steuerzeichen eingeben." in response.get_data(as_text=True)


def test_request_body_above_the_limit_is_refused_with_413(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.post("/admin/clients/new/", data={"notes": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
