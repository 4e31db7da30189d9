"""Screens that connect the records: a client's cases, a case's contacts, barriers and
referrals, pre-filled "add" links, warnings for likely duplicates, and each record's history."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, Client, Contact
from tests.factories import World
from tests.lifecycle_helpers import client_form


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_client_details_list_the_clients_cases_with_links_and_an_add_button(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    case = session.get_one(Case, world.a.case_id)
    auth.login(world.a.case_manager_email)

    body = page(client, f"/admin/clients/details/?id={world.a.client_id}")

    assert f'href="/admin/cases/details/?id={case.id}"' in body
    assert case.case_number in body
    assert "Fall anlegen" in body
    assert "/admin/cases/new/?url=" in body and f"client={world.a.client_id}" in body


def test_a_new_case_from_the_client_page_has_the_client_selected(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    own = session.get_one(Client, world.a.client_id)
    foreign = session.get_one(Client, world.b.client_id)
    auth.login(world.a.case_manager_email)

    body = page(client, f"/admin/cases/new/?client={own.id}")
    assert own.last_name in body

    foreign_body = page(client, f"/admin/cases/new/?client={foreign.id}")
    assert foreign.last_name not in foreign_body


def test_case_details_list_contacts_barriers_and_referrals_with_add_links(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    body = page(client, f"/admin/cases/details/?id={world.a.case_id}")

    for endpoint, record_id in (
        ("contacts", world.a.contact_id),
        ("barriers", world.a.barrier_id),
        ("referrals", world.a.referral_id),
    ):
        assert f'href="/admin/{endpoint}/details/?id={record_id}"' in body, endpoint
        assert f"/admin/{endpoint}/new/?" in body and f"case={world.a.case_id}" in body
    assert f"/admin/clients/details/?id={world.a.client_id}" in body
    for endpoint, foreign in (
        ("contacts", world.b.contact_id),
        ("barriers", world.b.barrier_id),
        ("referrals", world.b.referral_id),
    ):
        assert f'/{endpoint}/details/?id={foreign}"' not in body


def test_a_new_contact_from_the_case_page_has_the_case_selected(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    case = session.get_one(Case, world.a.case_id)
    auth.login(world.a.case_manager_email)
    assert case.case_number in page(client, f"/admin/contacts/new/?case={case.id}")


def test_a_second_open_case_for_the_same_client_is_saved_with_a_warning(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/cases/new/",
        data={
            "client": str(world.a.client_id),
            "case_manager": str(world.a.case_manager_id),
            "opened_on": "2026-02-01",
            "phase": "intake",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "bereits ein weiterer Fall offen" in response.get_data(as_text=True)
    assert len(session.scalars(select(Case).where(Case.client_id == world.a.client_id)).all()) == 2


def test_a_client_with_the_name_and_birth_date_of_an_own_client_is_saved_with_a_warning(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    first = client.post("/admin/clients/new/", data=client_form(), follow_redirects=True)
    assert "Hinweis" not in first.get_data(as_text=True)

    second = client.post(
        "/admin/clients/new/", data=client_form(last_name="YILMAZ"), follow_redirects=True
    )

    assert "Person mit demselben Namen und Geburtsdatum" in second.get_data(as_text=True)


def test_the_same_person_at_another_organisation_is_no_duplicate(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    client.post("/admin/clients/new/", data=client_form())
    client.post("/logout")
    auth.login(world.b.case_manager_email)
    response = client.post("/admin/clients/new/", data=client_form(), follow_redirects=True)
    assert "Hinweis" not in response.get_data(as_text=True)


def test_details_show_the_records_history_with_labels_and_no_personal_values(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    client.post("/admin/clients/new/", data=client_form())
    new_id = session.scalar(select(Client.id).where(Client.last_name == "Y\u0131lmaz"))

    body = page(client, f"/admin/clients/details/?id={new_id}")

    history = body.split("Verlauf", 1)[1]
    assert "angelegt" in history
    assert "Nachname (geändert)" in history
    assert "Leyla" not in history.split("</table>")[0]


def test_history_of_a_contact_names_its_changes(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    contact = session.get_one(Contact, world.a.contact_id)
    auth.login(world.a.case_manager_email)
    body = page(client, f"/admin/contacts/details/?id={contact.id}")
    assert "Verlauf" in body
