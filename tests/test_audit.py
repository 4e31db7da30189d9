"""The audit trail: one event per change, in the change's transaction, no personal values."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.extensions import db
from models import AuditAction, AuditEvent, Case, Client, Topic, User
from models.audit import changed_fields, record_event, set_actor
from tests.factories import CONTACT_ON, OPENED_ON, World
from tests.lifecycle_helpers import (
    audit_table_text,
    changes_of,
    client_form,
    events,
)

if TYPE_CHECKING:
    from tests.conftest import AuthActions

PERSONAL_VALUES = (
    "Leyla",
    "Y\u0131lmaz",
    "1988-04-12",
    "0211 555 0199",
    "leyla.yilmaz@example.net",
    "Kölner Straße",
    "Vertrauliche Notiz",
)


def user_id(session: Session, email: str) -> int:
    return session.scalar(select(User.id).where(User.email == email))  # type: ignore[return-value]


def row_version(client: FlaskClient, url: str) -> str:
    body = client.get(url).get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="row_version"[^>]*>', body)
    value = re.search(r'value="(\d+)"', tag.group(0)) if tag else None
    assert value, "no row_version on the form"
    return value.group(1)


def case_form(world: World, **values: str) -> dict[str, str]:
    return {
        "client": str(world.a.client_id),
        "case_manager": str(world.a.case_manager_id),
        "opened_on": OPENED_ON.isoformat(),
        "phase": "assessment",
        "topics": str(world.topic_id),
        "goals": "Geheimes Ziel der Klientin",
        **values,
    }


# --- create, update, refused, unchanged ---------------------------------------------------


def test_new_client_writes_one_create_event_with_names_only_for_personal_fields(
    client: FlaskClient, auth: AuthActions, connection: Connection, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    response = client.post("/admin/clients/new/", data=client_form())

    assert response.status_code == 302
    new_id = session.scalar(select(Client.id).where(Client.last_name == "Y\u0131lmaz"))
    [event] = events(connection, record_type="Client")
    assert (event.action, event.record_type, event.record_id) == ("create", "Client", new_id)
    assert event.organisation_id == world.a.organisation_id
    assert event.actor_user_id == world.a.case_manager_id
    changes = changes_of(event)
    # Everything about a client is personal data: the event names the fields only.
    for personal in (
        "file_number",
        "first_name",
        "last_name",
        "date_of_birth",
        "gender",
        "household_size",
        "phone",
        "email",
        "street",
        "notes",
    ):
        assert changes[personal] is None, personal
    assert event.occurred_at.tzinfo is not None


def test_personal_values_never_reach_the_audit_table(
    client: FlaskClient, auth: AuthActions, connection: Connection, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    client.post("/admin/clients/new/", data=client_form())
    new_id = session.scalar(select(Client.id).where(Client.last_name == "Y\u0131lmaz"))
    url = f"/admin/clients/edit/?id={new_id}"
    edited = client_form(
        first_name="Leyla-Marie",
        notes="Noch eine vertrauliche Notiz",
        row_version=row_version(client, url),
    )

    assert client.post(url, data=edited).status_code == 302

    text = audit_table_text(connection)
    for value in (*PERSONAL_VALUES, "Leyla-Marie", "Noch eine vertrauliche"):
        assert value not in text
    assert [event.action for event in events(connection, record_type="Client")] == [
        "create",
        "update",
    ]
    assert changes_of(events(connection, record_type="Client")[1]) == {
        "first_name": None,
        "notes": None,
    }


def test_case_edit_writes_one_update_event_with_old_and_new_values(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    url = f"/admin/cases/edit/?id={world.a.case_id}"

    response = client.post(url, data=case_form(world, row_version=row_version(client, url)))

    assert response.status_code == 302
    [event] = events(connection)
    assert (event.action, event.record_type, event.record_id) == ("update", "Case", world.a.case_id)
    changes = changes_of(event)
    assert changes["phase"] == ["intake", "assessment"]
    assert changes["goals"] is None
    assert "Geheimes Ziel" not in audit_table_text(connection)


def test_case_topics_and_client_link_are_recorded_as_ids(
    client: FlaskClient, auth: AuthActions, connection: Connection, session: Session, world: World
) -> None:
    other_topic = Topic(name="Wohnen")
    session.add(other_topic)
    session.commit()
    auth.login(world.a.case_manager_email)
    url = f"/admin/cases/edit/?id={world.a.case_id}"

    client.post(
        url,
        data=case_form(
            world, phase="intake", topics=str(other_topic.id), row_version=row_version(client, url)
        ),
    )

    [event] = events(connection)
    assert changes_of(event)["topics"] == [[world.topic_id], [other_topic.id]]


def test_saving_an_unchanged_form_writes_no_event(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    url = f"/admin/cases/edit/?id={world.a.case_id}"
    unchanged = case_form(world, phase="intake", goals="", row_version=row_version(client, url))

    assert client.post(url, data=unchanged).status_code == 302

    assert events(connection) == []


def test_stale_edit_is_refused_and_writes_no_event(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    url = f"/admin/cases/edit/?id={world.a.case_id}"
    loaded = row_version(client, url)
    assert client.post(url, data=case_form(world, row_version=loaded)).status_code == 302

    stale = client.post(url, data=case_form(world, phase="planning", row_version=loaded))

    assert stale.status_code == 200
    assert [event.action for event in events(connection)] == ["update"]


def test_invalid_input_writes_no_event(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    response = client.post("/admin/clients/new/", data=client_form(postcode="4023"))

    assert response.status_code == 200
    assert events(connection) == []


def test_inline_contact_of_a_case_gets_an_event_of_its_own(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        **case_form(world),
        "contacts-0-contact_date": CONTACT_ON.isoformat(),
        "contacts-0-kind": "phone",
        "contacts-0-minutes": "20",
        "contacts-0-note": "Telefonat mit Privatem",
    }

    assert client.post("/admin/cases/new/", data=form).status_code == 302

    assert sorted((e.action, e.record_type) for e in events(connection)) == [
        ("create", "Case"),
        ("create", "Contact"),
    ]
    assert "Privatem" not in audit_table_text(connection)


# --- configuration records: admin's trail -------------------------------------------------


def test_admin_topic_change_is_a_configuration_event_the_admin_sees(
    client: FlaskClient, auth: AuthActions, connection: Connection, session: Session, world: World
) -> None:
    auth.login(world.admin_email)
    url = f"/admin/topics/edit/?id={world.topic_id}"
    form = {"name": "Arbeit, Beruf und Bildung", "sort_order": "1", "active": "y"}

    assert client.post(url, data=form).status_code == 302

    [event] = events(connection)
    assert (event.action, event.record_type, event.organisation_id) == ("update", "Topic", None)
    assert changes_of(event)["name"] == ["Arbeit und Beruf", "Arbeit, Beruf und Bildung"]
    listing = client.get("/admin/audit/")
    assert listing.status_code == 200
    assert "Arbeit, Beruf und Bildung" in listing.get_data(as_text=True)


# --- rollback and the session hook --------------------------------------------------------


def test_a_rolled_back_change_leaves_no_event(connection: Connection, world: World) -> None:
    with Session(connection) as session:
        set_actor(session, world.a.case_manager_id)
        case = session.get(Case, world.a.case_id)
        assert case is not None
        case.phase = "planning"
        session.flush()
        assert session.scalars(select(AuditEvent)).all()  # written in the transaction …
        session.rollback()
    assert events(connection) == []  # … and gone with it


def test_a_failed_flush_leaves_no_stray_event_for_the_next_commit(
    connection: Connection, world: World
) -> None:
    with Session(connection) as session:
        set_actor(session, world.a.case_manager_id)
        case = session.get(Case, world.a.case_id)
        assert case is not None
        case.closed_on = case.opened_on - dt.timedelta(days=1)  # violates closed_after_opened
        with pytest.raises(Exception):  # noqa: B017 - either database's IntegrityError
            session.flush()
        session.rollback()
        case = session.get(Case, world.a.case_id)
        assert case is not None
        case.phase = "planning"
        session.commit()
    [event] = events(connection)
    assert changes_of(event) == {"phase": ["intake", "planning"]}


def test_without_an_actor_nothing_is_recorded(connection: Connection, world: World) -> None:
    with Session(connection) as session:
        case = session.get(Case, world.a.case_id)
        assert case is not None
        case.phase = "planning"
        session.commit()
    assert events(connection) == []


def test_events_cannot_be_changed_or_deleted_through_the_orm(
    connection: Connection, world: World
) -> None:
    with Session(connection) as session:
        event = record_event(
            session,
            actor=world.a.case_manager_id,
            action=AuditAction.EXPORT,
            record_type="Client",
            details={"rows": 3},
        )
        session.commit()
        event.details = "{}"
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
        session.delete(session.get(AuditEvent, event.id))
        with pytest.raises(PermissionError):
            session.flush()


def test_changed_fields_of_a_new_record_skip_bookkeeping(session: Session, world: World) -> None:
    client = Client(
        first_name="A",
        last_name="B",
        file_number="X-1",
        gender="male",
        organisation_id=world.a.organisation_id,
        version=1,
    )
    changes = changed_fields(client)
    assert changes == {
        "first_name": None,
        "last_name": None,
        "file_number": None,
        "gender": None,
    }


# --- login and export helpers -------------------------------------------------------------


def test_login_and_failed_login_each_write_one_event_without_the_e_mail(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    client.post("/login", data={"email": world.a.lead_email, "password": "falsch-und-lang-123"})
    auth.login(world.a.lead_email)
    failed, succeeded = events(connection, include_logins=True)
    assert failed.action == "login_failed" and failed.actor_user_id is None
    assert len(json.loads(failed.details or "{}")["account"]) == 64
    assert succeeded.action == "login" and succeeded.actor_user_id is not None
    assert "example.org" not in audit_table_text(connection)
    assert "falsch-und-lang" not in audit_table_text(connection)


def test_export_event_carries_filters_and_row_count(
    app: Flask, connection: Connection, world: World
) -> None:
    with app.app_context():
        record_event(
            db.session,
            actor=world.a.case_manager_id,
            action="export",
            record_type="Client",
            organisation_id=world.a.organisation_id,
            details={"filters": {"flt1_district": "3"}, "rows": 12},
        )
        db.session.commit()
    [event] = events(connection)
    assert json.loads(event.details or "{}") == {"filters": {"flt1_district": "3"}, "rows": 12}


# --- who sees the trail -------------------------------------------------------------------


def _one_event_per_scope(session: Session, world: World) -> None:
    for organisation_id, record_type in (
        (world.a.organisation_id, "Client"),
        (world.b.organisation_id, "Case"),
        (None, "Topic"),
    ):
        record_event(
            session,
            actor=world.a.case_manager_id,
            action="update",
            record_type=record_type,
            record_id=4711,
            organisation_id=organisation_id,
        )
    session.commit()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("lead_a", ["Klient*in"]), ("lead_b", ["Fall"]), ("admin", ["Handlungsfeld"])],
)
def test_audit_list_shows_each_role_only_its_scope(  # noqa: PLR0917 - pytest passes fixtures
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    world: World,
    who: str,
    expected: list[str],
) -> None:
    _one_event_per_scope(session, world)
    email = {
        "lead_a": world.a.lead_email,
        "lead_b": world.b.lead_email,
        "admin": world.admin_email,
    }[who]
    auth.login(email)

    body = client.get("/admin/audit/").get_data(as_text=True)

    shown = [
        label
        for label in ("Klient*in", "Fall", "Handlungsfeld")
        if re.search(rf"<td[^>]*>\s*{re.escape(label)}\s*</td>", body)
    ]
    assert shown == expected


@pytest.mark.parametrize("who", ["case_manager", "coordinator"])
def test_audit_list_is_closed_to_case_managers_and_coordination(
    client: FlaskClient, auth: AuthActions, world: World, who: str
) -> None:
    auth.login(world.a.case_manager_email if who == "case_manager" else world.coordinator_email)
    assert client.get("/admin/audit/").status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/admin/audit/new/", None),
        ("POST", "/admin/audit/new/", {"action": "login"}),
        ("GET", "/admin/audit/edit/?id={id}", None),
        ("POST", "/admin/audit/edit/?id={id}", {"action": "login"}),
        ("POST", "/admin/audit/delete/", {"id": "{id}"}),
        ("POST", "/admin/audit/action/", {"action": "delete", "rowid": "{id}"}),
        ("GET", "/admin/audit/export/csv/", None),
        ("GET", "/admin/audit/ajax/lookup/?name=actor&query=a", None),
    ],
)
@pytest.mark.parametrize("who", ["lead", "admin"])
def test_nobody_creates_edits_deletes_or_exports_events(  # noqa: PLR0917 - fixtures
    client: FlaskClient,
    auth: AuthActions,
    connection: Connection,
    session: Session,
    world: World,
    who: str,
    method: str,
    path: str,
    data: dict[str, str] | None,
) -> None:
    _one_event_per_scope(session, world)
    event_id = session.scalar(select(AuditEvent.id).where(AuditEvent.record_type == "Client"))
    auth.login(world.a.lead_email if who == "lead" else world.admin_email)
    before = audit_table_text(connection)
    url = path.format(id=event_id)
    payload = {key: value.format(id=event_id) for key, value in (data or {}).items()}

    response = client.open(url, method=method, data=payload)

    assert response.status_code == 403
    assert audit_table_text(connection) == before


def test_details_of_another_organisations_event_is_404(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    _one_event_per_scope(session, world)
    foreign = session.scalar(select(AuditEvent.id).where(AuditEvent.record_type == "Case"))
    auth.login(world.a.lead_email)
    assert client.get(f"/admin/audit/details/?id={foreign}").status_code == 404


def test_audit_event_table_has_a_migration(app: Flask) -> None:
    """Reminder: tests/conftest.py creates audit_event until its migration is generated."""
    versions = Path(app.root_path).parent / "migrations" / "versions"
    assert any("audit_event" in path.read_text() for path in versions.glob("*.py")), (
        "autogenerate the migration for audit_event, then remove the TEMPORARY lines in "
        "tests/conftest.py"
    )
