"""Auskunft nach Art. 15 DSGVO: complete, only that person's rows, only for the own lead."""

from __future__ import annotations

import io
import json
import zipfile
from typing import TYPE_CHECKING

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import Client, User
from models.audit import record_event
from models.lifecycle import archive
from models.subject_access import subject_access_tables
from tests.factories import CONSENT_GIVEN_ON, World, make_case, make_client, make_contact
from tests.lifecycle_helpers import audit_table_text, events

if TYPE_CHECKING:
    from tests.conftest import AuthActions

URL = "/admin/clients/subject-access/"
FILES = [
    "README.txt",
    "klient_in.csv",
    "faelle.csv",
    "kontakte.csv",
    "barrieren.csv",
    "vermittlungen.csv",
    "integrationsplaene.csv",
    "ziele_und_schritte.csv",
    "aufgaben.csv",
    "statusverlauf.csv",
    "einwilligungen.csv",
    "protokoll.csv",
]


@pytest.fixture
def neighbour_id(session: Session, world: World) -> int:
    """A second client of the same organisation, whose rows must not appear."""
    client = session.get_one(Client, world.a.client_id)
    other = make_client(
        session, client.organisation, client.updated_by, first_name="Nachbar", last_name="Zweiter"
    )
    case = make_case(session, other, client.updated_by, goals="Ziel des Nachbarn")
    make_contact(session, case, note="Notiz zum Nachbarn")
    record_event(session, actor=None, action="update", record=other, changed={"phase": None})
    record_event(session, actor=None, action="update", record=client, changed={"notes": None})
    session.commit()
    return other.id


def _read_zip(payload: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def _lead(session: Session, world: World) -> User:
    return session.execute(select(User).where(User.email == world.a.lead_email)).scalar_one()


def test_tables_hold_every_kind_and_only_that_clients_rows(
    session: Session, world: World, neighbour_id: int
) -> None:
    client = session.get_one(Client, world.a.client_id)

    tables = {
        table.filename: table
        for table in subject_access_tables(session, _lead(session, world), client)
    }

    assert list(tables) == FILES[1:]
    assert tables["klient_in.csv"].rows[0][3] == "Haddad"
    for name in ("faelle.csv", "kontakte.csv", "barrieren.csv", "vermittlungen.csv"):
        assert len(tables[name].rows) == 1, name
    assert tables["vermittlungen.csv"].rows[0][1] == "Jobcenter Düsseldorf"
    assert [row[2:4] for row in tables["protokoll.csv"].rows] == [["Klient*in", client.id]]
    everything = repr([table.rows for table in tables.values()])
    for foreign in ("Nachbar", "Zweiter", "Shevchenko", "Oleksandr"):
        assert foreign not in everything


def test_lead_downloads_one_zip_of_german_excel_csvs(
    client: FlaskClient, auth: AuthActions, world: World, neighbour_id: int
) -> None:
    auth.login(world.a.lead_email)

    response = client.get(URL, query_string={"id": world.a.client_id})

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "auskunft_awo_" in response.headers["Content-Disposition"]
    files = _read_zip(response.data)
    assert sorted(files) == sorted(FILES)
    for name in FILES[1:]:
        text = files[name]
        assert text.startswith("\ufeff"), name
        assert ";" in text.splitlines()[0], name
        assert text.endswith("\r\n"), name
    assert "Haddad;" in files["klient_in.csv"]
    assert f"{CONSENT_GIVEN_ON:%d.%m.%Y}" in files["klient_in.csv"]  # consent date as TT.MM.JJJJ
    assert "Jobcenter Düsseldorf" in files["vermittlungen.csv"]
    assert "Unterstützung bei der Arbeitssuche" in files["vermittlungen.csv"]
    assert "Erstgespräch" in files["kontakte.csv"]
    assert "Termin erst in drei Monaten" in files["barrieren.csv"]
    assert "Auskunft nach Art. 15 DSGVO" in files["README.txt"]
    assert "Teamleitung AWO" in files["README.txt"]  # who produced it
    assert "Nachbar" not in "".join(files.values())
    assert "Shevchenko" not in "".join(files.values())


def test_download_is_audited_without_personal_values(
    client: FlaskClient, auth: AuthActions, connection: Connection, world: World
) -> None:
    auth.login(world.a.lead_email)

    client.get(URL, query_string={"id": world.a.client_id})

    exported = events(connection, action="export")
    assert [(e.record_type, e.record_id, e.organisation_id) for e in exported] == [
        ("Client", world.a.client_id, world.a.organisation_id)
    ]
    assert json.loads(exported[0].details or "{}")["kind"] == "subject_access"
    trail = audit_table_text(connection)
    for personal in ("Haddad", "Amina", "Arbeitssuche", "Erstgespräch"):
        assert personal not in trail


def test_archived_client_is_still_answered(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    archive(session, _lead(session, world), session.get_one(Client, world.a.client_id))
    session.commit()
    auth.login(world.a.lead_email)

    response = client.get(URL, query_string={"id": world.a.client_id})

    assert response.status_code == 200
    assert "Haddad" in _read_zip(response.data)["klient_in.csv"]


@pytest.mark.parametrize(
    "case",
    [
        ("a_case_manager", "own", 403),
        ("b_lead", "own", 404),
        ("a_lead", "missing", 404),
        ("a_lead", "malformed", 404),
    ],
)
def test_only_the_own_organisations_lead_gets_the_download(
    client: FlaskClient,
    auth: AuthActions,
    connection: Connection,
    world: World,
    case: tuple[str, str, int],
) -> None:
    who, client_id, status = case
    email = {
        "a_case_manager": world.a.case_manager_email,
        "a_lead": world.a.lead_email,
        "b_lead": world.b.lead_email,
    }[who]
    raw_id = {"own": str(world.a.client_id), "missing": "999999", "malformed": "1;2"}[client_id]
    auth.login(email)

    response = client.get(URL, query_string={"id": raw_id})

    assert response.status_code == status
    assert events(connection, action="export") == []


def test_row_action_is_offered_to_the_lead_only(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.a.lead_email)
    assert "subject-access/?id=" in client.get("/admin/clients/").get_data(as_text=True)
    auth.logout()
    auth.login(world.a.case_manager_email)
    assert "subject-access/" not in client.get("/admin/clients/").get_data(as_text=True)
