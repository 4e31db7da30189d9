"""Archiving is presented as archiving: a confirmation page that lists what goes along,
an honest count, and restoring by a row button as well as by bulk action."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, Client
from tests.factories import World


def test_the_row_button_asks_on_a_page_that_lists_what_goes_into_the_archive(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    case = session.get_one(Case, world.a.case_id)
    auth.login(world.a.lead_email)
    listing = client.get("/admin/clients/").get_data(as_text=True)
    assert f"/admin/clients/archive/?id={world.a.client_id}" in listing

    page = client.get(f"/admin/clients/archive/?id={world.a.client_id}")

    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Archivieren:" in body
    assert f"Fall {case.case_number}" in body
    assert "1 Kontakt" in body and "1 dokumentierte Barriere" in body and "1 Vermittlung" in body
    assert "löschen?" not in body
    session.expire_all()
    assert session.get_one(Client, world.a.client_id).archived_at is None  # only asked


def test_the_confirmation_page_of_another_organisations_client_is_404(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.lead_email)
    assert client.get(f"/admin/clients/archive/?id={world.b.client_id}").status_code == 404


def test_archiving_a_client_says_how_many_cases_went_with_it(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.a.lead_email)
    response = client.post(
        "/admin/clients/delete/", data={"id": world.a.client_id}, follow_redirects=True
    )
    assert "Die Person wurde mit 1 Fall archiviert" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get_one(Case, world.a.case_id).archived_at is not None


def test_an_archived_client_is_restored_by_its_row_button(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.a.lead_email)
    client.post("/admin/clients/delete/", data={"id": world.a.client_id})
    archive_list = client.get("/admin/archive-clients/").get_data(as_text=True)
    assert "/admin/archive-clients/restore/" in archive_list

    response = client.post(
        "/admin/archive-clients/restore/", data={"id": world.a.client_id}, follow_redirects=True
    )

    assert "1 Datensatz wiederhergestellt." in response.get_data(as_text=True)
    session.expire_all()
    restored = session.get_one(Client, world.a.client_id)
    assert restored.archived_at is None
    assert session.get_one(Case, world.a.case_id).archived_at is None


def test_restoring_another_organisations_record_is_404_and_changes_nothing(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.b.lead_email)
    client.post("/admin/clients/delete/", data={"id": world.b.client_id})
    client.post("/logout")
    auth.login(world.a.lead_email)
    response = client.post("/admin/archive-clients/restore/", data={"id": world.b.client_id})
    assert response.status_code == 404
    session.expire_all()
    assert session.scalar(select(Client.archived_at).where(Client.id == world.b.client_id))


def test_case_managers_cannot_open_the_confirmation_page(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    assert client.get(f"/admin/clients/archive/?id={world.a.client_id}").status_code == 403
