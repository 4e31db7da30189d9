"""German where a person looks: Flask-Admin's own messages included."""

from __future__ import annotations

from flask.testing import FlaskClient

from admin_views.formatting import describe_changes
from tests.factories import World
from tests.lifecycle_helpers import client_form

ENGLISH = ("Failed to", "items</a>", "1 item", "Save and", "Cancel")


def test_a_refused_save_says_so_in_german(client: FlaskClient, auth, world: World) -> None:
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/clients/new/", data=client_form(date_of_birth="2999-01-01"), follow_redirects=True
    )
    body = response.get_data(as_text=True)
    assert "Der Datensatz wurde nicht angelegt." in body
    assert "Failed to" not in body


def test_the_page_size_menu_is_german(client: FlaskClient, auth, world: World) -> None:
    auth.login(world.a.case_manager_email)
    body = client.get("/admin/clients/").get_data(as_text=True)
    assert "50 pro Seite" in body
    for english in ENGLISH:
        assert english not in body, english


def test_the_audit_trail_shows_labels_and_german_dates_not_codes() -> None:
    described = str(
        describe_changes(
            "Referral",
            '{"status": ["planned", "sent"], "receiving_case_id": [null, 307],'
            ' "follow_up_on": ["2026-12-01", "2026-12-15"], "consent_confirmed": [false, true],'
            ' "reason": null}',
        )
    )

    assert "Status: geplant → vermittelt" in described
    assert "Fall der aufnehmenden Organisation: – → Nr. 307" in described
    assert "Wiedervorlage am: 01.12.2026 → 15.12.2026" in described
    assert "Einwilligung zur Datenweitergabe liegt vor: nein → ja" in described
    assert "Anlass (geändert)" in described


def test_a_create_form_is_headed_with_the_kind_of_one_record(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    body = client.get("/admin/clients/new/").get_data(as_text=True)
    assert "Neu: Klient*in<" in body or "Neu: Klient*in " in body
