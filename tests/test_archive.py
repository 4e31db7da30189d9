"""Archive instead of delete: archived records vanish everywhere, come back, or are erased."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import Barrier, Case, Client, Contact, Referral
from tests.factories import OPENED_ON, World
from tests.lifecycle_helpers import count_rows, events

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

if TYPE_CHECKING:
    from tests.conftest import AuthActions


def archived_at(connection: Connection, model: type[Client] | type[Case], record_id: int) -> object:
    with Session(connection) as session:
        return session.scalar(select(model.archived_at).where(model.id == record_id))


def archive_client(client: FlaskClient, auth: AuthActions, world: World) -> None:
    auth.login(world.a.lead_email)
    response = client.post(
        "/admin/clients/action/", data={"action": "archive", "rowid": [world.a.client_id]}
    )
    assert response.status_code == 302


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# --- archiving ----------------------------------------------------------------------------


def test_lead_archives_a_client_with_its_cases_and_each_is_audited(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:

    archive_client(client, auth, world)

    assert archived_at(connection, Client, world.a.client_id) is not None
    assert archived_at(connection, Case, world.a.case_id) is not None
    assert archived_at(connection, Client, world.b.client_id) is None
    assert sorted((e.action, e.record_type, e.record_id) for e in events(connection)) == [
        ("archive", "Case", world.a.case_id),
        ("archive", "Client", world.a.client_id),
    ]


def test_bulk_archive_with_the_other_orgs_id_archives_only_own_rows(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.lead_email)

    client.post(
        "/admin/clients/action/",
        data={"action": "archive", "rowid": [world.a.client_id, world.b.client_id]},
    )

    assert archived_at(connection, Client, world.a.client_id) is not None
    assert archived_at(connection, Client, world.b.client_id) is None


@pytest.mark.parametrize("view", ["clients", "cases"])
def test_the_row_delete_button_archives_instead_of_deleting(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World, view: str
) -> None:
    model, record_id = (Client, world.a.client_id) if view == "clients" else (Case, world.a.case_id)
    auth.login(world.a.lead_email)

    response = client.post(f"/admin/{view}/delete/", data={"id": record_id})

    assert response.status_code == 302
    assert count_rows(connection, model, model.id == record_id) == 1
    assert archived_at(connection, model, record_id) is not None


@pytest.mark.parametrize("view", ["clients", "cases"])
def test_the_bulk_delete_action_is_gone_from_the_working_lists(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World, view: str
) -> None:
    auth.login(world.a.lead_email)
    record_id = world.a.client_id if view == "clients" else world.a.case_id

    client.post(f"/admin/{view}/action/", data={"action": "delete", "rowid": [record_id]})

    model = Client if view == "clients" else Case
    assert count_rows(connection, model, model.id == record_id) == 1
    assert archived_at(connection, model, record_id) is None
    listing = text(client, f"/admin/{view}/")
    assert 'data-kim-action="archive"' in listing
    assert 'data-kim-action="delete"' not in listing
    assert "fa-archive" in listing and "fa-trash" not in listing


def test_case_managers_cannot_archive(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    archive = client.post(
        "/admin/clients/action/", data={"action": "archive", "rowid": [world.a.client_id]}
    )
    delete = client.post("/admin/clients/delete/", data={"id": world.a.client_id})

    assert archive.status_code == delete.status_code == 403
    assert archived_at(connection, Client, world.a.client_id) is None


# --- archived records disappear -----------------------------------------------------------


def test_archived_client_and_case_disappear_from_lists_details_lookups_and_exports(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    archive_client(client, auth, world)
    name = world.a.client_name

    assert name not in text(client, "/admin/clients/")
    assert name not in text(client, "/admin/cases/")
    assert name not in text(client, "/admin/clients/export/csv/")
    assert name not in text(client, "/admin/cases/export/csv/")
    assert name not in text(client, f"/admin/cases/ajax/lookup/?name=client&query={name}")
    for view in ("contacts", "barriers", "referrals"):
        assert name not in text(client, f"/admin/{view}/ajax/lookup/?name=case&query={name}")
        assert name not in text(client, f"/admin/{view}/")
        assert name not in text(client, f"/admin/{view}/export/csv/")
    assert client.get(f"/admin/clients/details/?id={world.a.client_id}").status_code == 404
    assert client.get(f"/admin/cases/edit/?id={world.a.case_id}").status_code == 404
    assert client.get(f"/admin/contacts/details/?id={world.a.contact_id}").status_code == 404


def test_a_new_case_cannot_link_an_archived_client(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    archive_client(client, auth, world)
    form = {
        "client": str(world.a.client_id),
        "case_manager": str(world.a.case_manager_id),
        "opened_on": OPENED_ON.isoformat(),
        "phase": "intake",
    }

    response = client.post("/admin/cases/new/", data=form)

    assert response.status_code == 200
    assert count_rows(connection, Case, Case.client_id == world.a.client_id) == 1


# --- the archive lists ----------------------------------------------------------------------


def test_archive_list_shows_only_archived_rows_of_the_own_organisation(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    other = session.get(Client, world.b.client_id)
    assert other is not None
    other.archived_at = other.created_at
    session.commit()
    auth.login(world.a.lead_email)

    assert world.a.client_name not in text(client, "/admin/archive-clients/")
    archive_client(client, auth, world)
    listing = text(client, "/admin/archive-clients/")

    assert world.a.client_name in listing
    assert world.b.client_name not in listing
    assert client.get(f"/admin/archive-clients/details/?id={world.b.client_id}").status_code == 404


@pytest.mark.parametrize("view", ["archive-clients", "archive-cases"])
@pytest.mark.parametrize("who", ["case_manager", "coordinator", "admin"])
def test_archive_lists_are_for_leads_only(
    client: FlaskClient, auth: AuthActions, world: World, view: str, who: str
) -> None:
    email = {
        "case_manager": world.a.case_manager_email,
        "coordinator": world.coordinator_email,
        "admin": world.admin_email,
    }[who]
    auth.login(email)
    assert client.get(f"/admin/{view}/").status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "new/"), ("GET", "edit/?id={id}"), ("POST", "edit/?id={id}"), ("GET", "export/csv/")],
)
def test_archive_lists_offer_no_create_edit_or_export(
    client: FlaskClient, auth: AuthActions, world: World, method: str, path: str
) -> None:
    archive_client(client, auth, world)
    response = client.open(
        f"/admin/archive-clients/{path.format(id=world.a.client_id)}",
        method=method,
        data={"last_name": "X"},
    )
    assert response.status_code == 403


def test_restore_brings_the_client_and_its_cases_back(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    archive_client(client, auth, world)

    response = client.post(
        "/admin/archive-clients/action/", data={"action": "restore", "rowid": [world.a.client_id]}
    )

    assert response.status_code == 302
    assert archived_at(connection, Client, world.a.client_id) is None
    assert archived_at(connection, Case, world.a.case_id) is None
    assert world.a.client_name in text(client, "/admin/clients/")
    assert sorted(e.action for e in events(connection)) == [
        "archive",
        "archive",
        "restore",
        "restore",
    ]


def test_a_case_of_an_archived_client_is_not_restored_alone(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    archive_client(client, auth, world)

    response = client.post(
        "/admin/archive-cases/action/",
        data={"action": "restore", "rowid": [world.a.case_id]},
        follow_redirects=True,
    )

    assert "zuerst die Person" in response.get_data(as_text=True)
    assert archived_at(connection, Case, world.a.case_id) is not None


# --- erasing ------------------------------------------------------------------------------


def test_erasing_an_archived_client_removes_it_with_everything_and_audits_each_row(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    archive_client(client, auth, world)

    response = client.post(
        "/admin/archive-clients/action/", data={"action": "delete", "rowid": [world.a.client_id]}
    )

    assert response.status_code == 302
    for model in (Client, Case, Contact, Barrier, Referral):
        assert count_rows(connection, model, model.organisation_id == world.a.organisation_id) == 0
        assert count_rows(connection, model, model.organisation_id == world.b.organisation_id) == 1
    deleted = sorted(e.record_type for e in events(connection, action="delete"))
    # The case's plan, goal and step, its manual task and its four automatic tasks too,
    # and the client's own records: the processing consent kept in step with the client,
    # the consent to share, the residence status period.
    plan_records = ["IntegrationPlan", "PlanGoal", "PlanStep"]
    client_records = ["Consent", "Consent", "StatusPeriod"]
    assert deleted == sorted(
        ["Barrier", "Case", "Client", "Contact", *plan_records, "Referral", *client_records]
        + ["Task"] * 5
    )


def test_erasing_a_single_archived_case_from_its_row(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.lead_email)
    client.post("/admin/cases/delete/", data={"id": world.a.case_id})  # archives

    response = client.post("/admin/archive-cases/delete/", data={"id": world.a.case_id})

    assert response.status_code == 302
    assert count_rows(connection, Case, Case.id == world.a.case_id) == 0
    assert count_rows(connection, Client, Client.id == world.a.client_id) == 1


def test_an_active_record_cannot_be_erased_through_the_archive(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.lead_email)

    single = client.post("/admin/archive-clients/delete/", data={"id": world.a.client_id})
    bulk = client.post(
        "/admin/archive-clients/action/", data={"action": "delete", "rowid": [world.a.client_id]}
    )

    assert single.status_code == 404
    assert bulk.status_code == 302
    assert count_rows(connection, Client, Client.id == world.a.client_id) == 1
    assert events(connection) == []


def test_another_organisations_archived_client_cannot_be_erased(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    archive_client(client, auth, world)
    auth.logout()
    auth.login(world.b.lead_email)

    single = client.post("/admin/archive-clients/delete/", data={"id": world.a.client_id})
    client.post(
        "/admin/archive-clients/action/", data={"action": "delete", "rowid": [world.a.client_id]}
    )

    assert single.status_code == 404
    assert count_rows(connection, Client, Client.id == world.a.client_id) == 1
