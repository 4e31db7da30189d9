"""German where a person looks: Flask-Admin's own messages included."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import login
from tests.factories import World
from tests.lifecycle_helpers import client_form

ENGLISH = ("Failed to", "items</a>", "1 item", "Save and", "Cancel")


def test_a_refused_save_says_so_in_german(client: FlaskClient, world: World) -> None:
    login(client, world.a.case_manager_email)
    response = client.post(
        "/admin/clients/new/", data=client_form(date_of_birth="2999-01-01"), follow_redirects=True
    )
    body = response.get_data(as_text=True)
    assert "Der Datensatz wurde nicht angelegt." in body
    assert "Failed to" not in body


def test_the_page_size_menu_is_german(client: FlaskClient, world: World) -> None:
    login(client, world.a.case_manager_email)
    body = client.get("/admin/clients/").get_data(as_text=True)
    assert "50 pro Seite" in body
    for english in ENGLISH:
        assert english not in body, english
