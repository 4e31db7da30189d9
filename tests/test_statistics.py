"""Statistics and barrier report (SPEC §6): exact figures, scoping, suppression, queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import delete, event, func, select

from admin_views.charts import bar_chart
from admin_views.statistics import statistics_summary
from app.extensions import db
from models import Organisation, User
from models.choices import Role
from models.statistics import (
    DEFAULT_PRESET,
    TABLES,
    Period,
    PeriodError,
    Statistics,
    coordination_period,
    load_scope,
    median_from_counts,
    preset_period,
    rate_is_safe,
    requested_period,
)
from models.statistics.generation import FIGURES, statistics_rows
from models.statistics.suppression import SUPPRESSED, WITHHELD
from tests.factories import (
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_organisation,
    make_partner,
    make_referral,
    make_user,
)

TODAY = dt.date(2026, 11, 25)
YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
PERIOD_ARGS = "from=2026-01-01&to=2026-12-31"
H = SUPPRESSED
X = WITHHELD
D = dt.date


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr("admin_views.statistics.today", lambda: TODAY)


def closed(**values):
    return {"phase": "closed", **values}


@pytest.fixture
def data(session):
    """AWO: a small, hand-counted caseload. Caritas: six similar open cases."""
    language = make_category(session, "Sprache", sort_order=1)
    waiting = make_category(session, "Wartezeit", sort_order=2)
    jobcenter = make_partner(session, "Jobcenter Düsseldorf")
    office = make_partner(session, "Ausländerbehörde", kind="authority")

    awo = make_organisation(session, "awo")
    awo_cm = make_user(session, Role.CASE_MANAGER, awo)
    awo_lead = make_user(session, Role.ORG_LEAD, awo)
    a1 = make_client(
        session,
        awo,
        awo_cm,
        first_name="Amina",
        last_name="Haddad",
        gender="female",
        date_of_birth=D(2000, 6, 15),
        residence_status="humanitarian",
        benefits_domain="sgb2",
        country_of_origin="SY",
        district=1,
    )
    a2 = make_client(
        session,
        awo,
        awo_cm,
        first_name="Omid",
        last_name="Rahimi",
        gender="male",
        date_of_birth=D(2010, 1, 1),
        residence_status="toleration",
        benefits_domain="asylblg",
        country_of_origin="AF",
        district=2,
    )
    a3 = make_client(
        session,
        awo,
        awo_cm,
        first_name="Olena",
        last_name="Kovalenko",
        gender="female",
        date_of_birth=D(1960, 12, 31),
        residence_status="temporary_protection",
        benefits_domain="sgb2",
        country_of_origin="UA",
    )
    a4 = make_client(session, awo, awo_cm, first_name="Kim", last_name="Nguyen")
    a5 = make_client(session, awo, awo_cm, first_name="Alt", last_name="Fallakte", gender="male")
    a6 = make_client(
        session,
        awo,
        awo_cm,
        first_name="Archiv",
        last_name="Geloescht",
        gender="male",
        archived_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    c1 = make_case(
        session,
        a1,
        awo_cm,
        opened_on=D(2026, 1, 10),
        **closed(closed_on=D(2026, 3, 11), closure_reason="goals_met"),
    )
    c2 = make_case(
        session,
        a2,
        awo_cm,
        opened_on=D(2026, 2, 1),
        **closed(closed_on=D(2026, 2, 21), closure_reason="moved_away"),
    )
    c3 = make_case(session, a3, awo_cm, opened_on=D(2025, 6, 1))
    c4 = make_case(
        session,
        a4,
        awo_cm,
        opened_on=D(2026, 5, 5),
        **closed(closed_on=D(2026, 5, 15), closure_reason="transferred"),
    )
    make_case(
        session,
        a5,
        awo_cm,
        opened_on=D(2024, 1, 1),
        **closed(closed_on=D(2025, 12, 31), closure_reason="other"),
    )
    c6 = make_case(
        session,
        a6,
        awo_cm,
        opened_on=D(2026, 4, 1),
        archived_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )

    make_referral(
        session,
        c1,
        jobcenter,
        referred_on=D(2026, 1, 15),
        status="accepted",
        responded_on=D(2026, 1, 25),
    )
    make_referral(
        session,
        c1,
        office,
        referred_on=D(2026, 2, 1),
        status="declined",
        responded_on=D(2026, 2, 5),
    )
    make_referral(
        session,
        c2,
        jobcenter,
        referred_on=D(2026, 2, 2),
        status="completed",
        responded_on=D(2026, 2, 8),
    )
    make_referral(session, c3, jobcenter, referred_on=D(2026, 10, 1), status="sent")
    make_referral(session, c4, office, referred_on=D(2026, 11, 20), status="planned")
    make_referral(session, c6, office, referred_on=D(2026, 4, 2), status="sent")

    make_barrier(session, c1, language, partner=jobcenter, observed_on=D(2026, 1, 20))
    make_barrier(
        session,
        c1,
        language,
        partner=office,
        observed_on=D(2026, 4, 10),
        status="solved",
        resolved_on=D(2026, 5, 1),
    )
    make_barrier(
        session, c2, waiting, partner=jobcenter, observed_on=D(2026, 2, 15), status="reported"
    )
    make_barrier(session, c3, language, observed_on=D(2026, 7, 1))
    make_barrier(session, c3, waiting, partner=jobcenter, observed_on=D(2025, 12, 1))
    make_barrier(session, c6, waiting, partner=jobcenter, observed_on=D(2026, 4, 5))

    caritas = make_organisation(session, "caritas")
    caritas_cm = make_user(session, Role.CASE_MANAGER, caritas)
    for number in range(6):
        client = make_client(
            session,
            caritas,
            caritas_cm,
            first_name="Oleksandr",
            last_name=f"Shevchenko{number}",
            gender="male",
            date_of_birth=D(1990, 3, 3),
            country_of_origin="UA",
            district=5,
        )
        case = make_case(session, client, caritas_cm, opened_on=D(2026, 3, 1))
        make_barrier(session, case, language, partner=jobcenter, observed_on=D(2026, 3, 5))
    make_barrier(session, case, waiting, observed_on=D(2026, 5, 5), status="reported")
    coordinator = make_user(session, Role.COORDINATOR)
    admin = make_user(session, Role.ADMIN)
    session.commit()
    return {
        "awo": awo,
        "caritas": caritas,
        "awo_cm": awo_cm.email,
        "awo_lead": awo_lead.email,
        "caritas_cm": caritas_cm.email,
        "coordinator": coordinator.email,
        "admin": admin.email,
        "language": language.id,
        "waiting": waiting.id,
        "names": ["Haddad", "Rahimi", "Kovalenko", "Nguyen", "Shevchenko", "Geloescht", "Amina"],
        "file_numbers": ["AWO-2026-", "CARITAS-2026-"],
        "birth_dates": [
            "15.06.2000",
            "01.01.2010",
            "31.12.1960",
            "03.03.1990",
            "2000-06-15",
            "1990-03-03",
        ],
    }


def report(session, organisation_ids, across):
    return Statistics(session, load_scope(session, organisation_ids, across), YEAR, TODAY)


def rows_of(table):
    return [[row.label, *row.cells] for row in table.rows]


# --- exact figures for one organisation ------------------------------------------------


def test_own_organisation_figures_are_exact(session, data):
    stats = report(session, [data["awo"].id], across=False)
    tables = {table.key: table for table in stats.main_tables()}

    assert tables["uebersicht"].header[1:] == [
        "offene Fälle am Ende des Zeitraums",
        "eröffnete Fälle",
        "abgeschlossene Fälle",
        "überfällige Vermittlungen (heute)",
    ]
    # The archived client's case (opened in April, still open) counts like any other
    # (SPEC §6.6). Overdue: the two sent ones and the accepted one (not finished).
    assert rows_of(tables["uebersicht"]) == [["AWO Düsseldorf", 2, 4, 3, 3]]
    assert rows_of(tables["abschlussgruende"]) == [
        ["Ziele erreicht", 1],
        ["an Regelangebot übergeleitet", 1],
        ["Wegzug", 1],
        ["Kontaktabbruch", 0],
        ["Wechsel des Trägers", 0],
        ["sonstiges", 0],
        ["Summe", 3],
    ]
    # Durations 60, 20, 10 days; responses after 10, 4, 6 days; 2 of 3 answers positive.
    assert rows_of(tables["kennzahlen"]) == [["AWO Düsseldorf", 20, 66.7, 6]]
    month_rows = rows_of(tables["faelle_monat"])
    assert month_rows[0] == ["01/2026", 1]
    assert month_rows[1] == ["02/2026", 1]
    assert month_rows[3] == ["04/2026", 1]
    assert month_rows[4] == ["05/2026", 1]
    assert month_rows[-1] == ["Summe", 4]

    assert rows_of(tables["klienten_alter"]) == [
        ["0\u201317", 1],
        ["18\u201326", 1],
        ["27\u201349", 0],
        ["50\u201364", 0],
        ["65+", 1],
        ["keine Angabe", 2],
        ["Summe", 5],
    ]
    residence = {row[0]: row[1] for row in rows_of(tables["klienten_aufenthaltsstatus"])}
    assert residence["Aufenthaltserlaubnis humanitär"] == 1
    assert residence["Duldung"] == 1
    assert residence["vorübergehender Schutz §24 AufenthG"] == 1
    assert residence["keine Angabe"] == 2
    assert residence["Summe"] == 5
    assert rows_of(tables["klienten_herkunft"]) == [
        ["Afghanistan", 1],
        ["Syrien", 1],
        ["Ukraine", 1],
        ["andere Länder", 0],
        ["keine Angabe", 2],
        ["Summe", 5],
    ]
    gender = {row[0]: row[1] for row in rows_of(tables["klienten_geschlecht"])}
    assert gender == {"weiblich": 2, "männlich": 2, "divers": 0, "keine Angabe": 1, "Summe": 5}
    district = {row[0]: row[1] for row in rows_of(tables["klienten_stadtbezirk"])}
    assert (district["Stadtbezirk 1"], district["Stadtbezirk 2"], district["keine Angabe"]) == (
        1,
        1,
        3,
    )

    assert rows_of(tables["vermittlungen_status"]) == [
        ["geplant", 1],
        ["vermittelt", 2],
        ["angenommen", 1],
        ["abgelehnt", 1],
        ["abgeschlossen", 1],
        ["abgebrochen", 0],
        ["Summe", 6],
    ]
    assert rows_of(tables["vermittlungen_partner"]) == [
        ["Ausländerbehörde", 1, 1, 0, 1, 0, 0, 3],
        ["Jobcenter Düsseldorf", 0, 1, 1, 0, 1, 0, 3],
        ["Summe", 1, 2, 1, 1, 1, 0, 6],
    ]

    assert tables["barrieren_kategorie"].header == [
        "Kategorie",
        "offen",
        "im Einzelfall gelöst",
        "an Systemebene gemeldet",
        "Summe",
    ]
    assert rows_of(tables["barrieren_kategorie"]) == [
        ["Sprache", 2, 1, 0, 3],
        ["Wartezeit", 1, 0, 1, 2],
        ["Summe", 3, 1, 1, 5],
    ]
    assert rows_of(tables["barrieren_faelle"]) == [["Sprache", 2], ["Wartezeit", 2], ["Summe", 4]]
    assert tables["barrieren_quartal"].header == [
        "Kategorie",
        "1. Quartal 2026",
        "2. Quartal 2026",
        "3. Quartal 2026",
        "4. Quartal 2026",
        "Summe",
    ]
    assert rows_of(tables["barrieren_quartal"]) == [
        ["Sprache", 1, 1, 1, 0, 3],
        ["Wartezeit", 1, 1, 0, 0, 2],
        ["Summe", 2, 2, 1, 0, 5],
    ]
    assert rows_of(tables["barrieren_partner"]) == [
        ["Ausländerbehörde", 0, 1, 0, 1],
        ["Jobcenter Düsseldorf", 2, 0, 1, 3],
        ["ohne Partner", 1, 0, 0, 1],
        ["Summe", 3, 1, 1, 5],
    ]


def test_category_drill_down_is_exact(session, data):
    stats = report(session, [data["awo"].id], across=False)
    trend, partners = stats.category_tables(data["language"])
    assert rows_of(trend) == [
        ["1. Quartal 2026", 1, 0, 0, 1],
        ["2. Quartal 2026", 0, 1, 0, 1],
        ["3. Quartal 2026", 1, 0, 0, 1],
        ["4. Quartal 2026", 0, 0, 0, 0],
        ["Summe", 2, 1, 0, 3],
    ]
    assert rows_of(partners) == [
        ["Ausländerbehörde", 0, 1, 0, 1],
        ["Jobcenter Düsseldorf", 1, 0, 0, 1],
        ["ohne Partner", 1, 0, 0, 1],
        ["Summe", 2, 1, 0, 3],
    ]


def test_one_registry_names_the_tables_of_page_drill_down_and_csv(session, data):
    stats = report(session, [data["awo"].id], across=False)
    shown = stats.main_tables() + stats.category_tables(data["language"])
    assert [(table.key, table.title) for table in shown] == [
        (spec.key, spec.title) for spec in TABLES.values()
    ]
    for spec, table in zip(TABLES.values(), shown, strict=True):
        category = data["language"] if spec.per_category else None
        assert rows_of(stats.table(spec.key, category)) == rows_of(table)
        assert stats.table(spec.key, None if category else data["language"]) is None


# --- the coordination: all organisations, suppressed ----------------------------------


def test_coordinator_barrier_tables_are_suppressed_exactly(session, data):
    stats = report(session, None, across=True)
    tables = {table.key: table for table in stats.main_tables()}
    assert tables["barrieren_kategorie"].header[-1] == "Summe"
    # Sprache 8 open, 1 solved; Wartezeit 1 open (the archived case's, SPEC §6.6), 2
    # reported. No line holds a single hidden cell, and with every hidden cell at least 1,
    # every "<5" at most 4 and every "x" at least 5, no cell has only one value: open
    # 9 = x + <5 leaves Wartezeit 1 to 4. The cells hidden for protection are 5 or more
    # and shown "x", not "<5".
    assert rows_of(tables["barrieren_kategorie"]) == [
        ["Sprache", X, H, 0, X],
        ["Wartezeit", H, 0, H, H],
        ["Summe", 9, H, H, X],
    ]
    assert tables["barrieren_faelle"].header == [
        "Kategorie",
        "AWO Düsseldorf",
        "CARITAS Düsseldorf",
        "Summe",
    ]
    # Distinct cases: Sprache AWO 2 / Caritas 6; Wartezeit AWO 2 / Caritas 1; totals
    # 4 / 6 / 10. Rows add up over organisations (2 + 6 = 8: both hidden); a distinct total
    # is no sum of its categories, so the columns are no equations.
    assert rows_of(tables["barrieren_faelle"]) == [
        ["Sprache", H, X, 8],
        ["Wartezeit", H, H, H],
        ["Summe", H, X, 10],
    ]
    # Medians and rates only where the counts behind them are visible (none are here).
    assert rows_of(tables["kennzahlen"]) == [
        ["AWO Düsseldorf", None, None, None],
        ["CARITAS Düsseldorf", None, None, None],
        ["alle Organisationen", None, None, None],
    ]


def _count_cells(table):
    for row in table.rows:
        yield from (cell for cell in row.cells if not isinstance(cell, float))


def test_coordinator_tables_never_show_a_count_from_one_to_four(session, data):
    stats = report(session, None, across=True)
    for table in stats.main_tables() + stats.category_tables(data["language"]):
        if table.key == "kennzahlen":
            continue
        for cell in _count_cells(table):
            assert cell in (H, X) or cell is None or cell == 0 or cell >= 5, (table.key, cell)


def test_coordinator_may_narrow_to_one_organisation_still_suppressed(session, data):
    stats = report(session, [data["awo"].id], across=True)
    # Opened: 4, whose "<5" the marks would give away (four hidden months of at least 1
    # each); shown "x" (docs/statistics-suppression.md, mixed cells).
    assert rows_of(stats.table("uebersicht")) == [["AWO Düsseldorf", H, X, H, H]]


def test_one_organisation_for_the_coordinator_is_a_column_of_the_same_table(session, data):
    every = {table.key: table for table in report(session, None, across=True).main_tables()}
    awo = {
        table.key: table for table in report(session, [data["awo"].id], across=True).main_tables()
    }
    for key, table in awo.items():
        if table.unavailable:
            assert key in {
                "barrieren_kategorie",
                "barrieren_quartal",
                "barrieren_partner",
                "vermittlungen_partner",
                "ziele_handlungsfeld",  # issue 15: all organisations, whole years only
            }
            continue
        full = every[key]
        if key in {"uebersicht", "kennzahlen", "integrationsplaene"}:  # organisations are rows
            assert rows_of(table)[0] == rows_of(full)[0], key
            continue
        column = full.header.index("AWO Düsseldorf")
        assert [[row.label, row.cells[column - 1]] for row in full.rows] == rows_of(table), key


def test_coordinator_page_explains_both_marks(client, auth, data):
    auth.login(data["coordinator"])
    body = client.get(f"/admin/statistics/?{PERIOD_ARGS}").get_data(as_text=True)
    assert "„&lt;5“: eine Zahl von 1 bis 4." in body
    assert "„x“: aus Datenschutzgründen nicht ausgewiesen" in body
    assert '<td class="text-right">x</td>' in body
    client.post("/logout")
    auth.login(data["awo_lead"])
    assert "Datenschutzgründen" not in client.get("/admin/statistics/").get_data(as_text=True)


def test_coordinator_periods_are_calendar_quarters_and_years():
    assert coordination_period(YEAR, TODAY) == (2026, 0)
    assert coordination_period(Period(D(2026, 4, 1), D(2026, 6, 30)), TODAY) == (2026, 2)
    for start, end in ((D(2026, 1, 1), D(2026, 5, 31)), (D(2025, 11, 26), TODAY)):
        with pytest.raises(PeriodError, match="Kalenderquartale oder Kalenderjahre"):
            coordination_period(Period(start, end), TODAY)
    with pytest.raises(PeriodError, match="laufenden Jahres"):
        coordination_period(Period(D(2027, 1, 1), D(2027, 3, 31)), TODAY)


def test_coordinator_gets_year_only_tables_for_years_only(client, auth, data):
    auth.login(data["coordinator"])
    quarter = "from=2026-01-01&to=2026-03-31"
    page = client.get(f"/admin/statistics/?{quarter}").get_data(as_text=True)
    assert "nur für ganze Kalenderjahre" in page
    assert client.get(f"/admin/statistics/csv/klienten_alter/?{quarter}").status_code == 404
    assert client.get(f"/admin/statistics/csv/faelle_monat/?{quarter}").status_code == 200
    one = f"organisation={data['awo'].id}&{PERIOD_ARGS}"
    assert client.get(f"/admin/statistics/csv/barrieren_kategorie/?{one}").status_code == 404
    assert client.get(f"/admin/statistics/csv/klienten_alter/?{one}").status_code == 200


# --- pages and routes ------------------------------------------------------------------


def test_org_lead_sees_own_figures_only(client, auth, data):
    auth.login(data["awo_lead"])
    response = client.get(f"/admin/statistics/?{PERIOD_ARGS}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "AWO Düsseldorf" in body
    assert "CARITAS" not in body
    assert "Barrieren nach Kategorie und Quartal" in body
    assert "<svg" in body and "<script" not in body.split("<body")[1].split("</svg>")[0]
    assert SUPPRESSED not in body.replace("&lt;5", H).split("Statistik und Barrierebericht")[1]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/statistics/?organisation={other}",
        "/admin/statistics/csv/uebersicht/?organisation={other}",
        "/admin/statistics/category/{category}/?organisation={other}",
    ],
)
def test_case_manager_asking_for_another_organisation_gets_404(client, auth, data, path):
    auth.login(data["awo_cm"])
    url = path.format(other=data["caritas"].id, category=data["language"])
    assert client.get(url).status_code == 404
    own = path.format(other=data["awo"].id, category=data["language"])
    assert client.get(own).status_code == 200


def test_coordinator_asking_for_a_missing_organisation_gets_404(client, auth, data):
    auth.login(data["coordinator"])
    assert client.get("/admin/statistics/?organisation=999999").status_code == 404
    assert client.get("/admin/statistics/?organisation=abc").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/admin/statistics/",
        "/admin/statistics/csv/uebersicht/",
        "/admin/statistics/category/1/",
    ],
)
def test_admin_is_refused(client, auth, data, path):
    auth.login(data["admin"])
    assert client.get(path).status_code == 403


def test_anonymous_goes_to_login(client, data):
    response = client.get("/admin/statistics/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_unknown_table_or_category_is_404(client, auth, data):
    auth.login(data["coordinator"])
    assert client.get("/admin/statistics/csv/klienten_namen/").status_code == 404
    assert client.get("/admin/statistics/category/999999/").status_code == 404
    assert client.get("/admin/statistics/csv/barrieren_trend/?category=999999").status_code == 404


def test_invalid_period_falls_back_to_this_year_with_a_message(client, auth, data):
    auth.login(data["awo_lead"])
    response = client.get("/admin/statistics/?from=2026-12-31&to=2026-01-01")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ende des Zeitraums liegt vor dem Anfang" in body
    assert "01.01.2026 \u2013 31.12.2026" in body
    assert client.get("/admin/statistics/?from=kaputt&to=2026-01-01").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-12-31&to=2026-01-01", "Das Ende des Zeitraums liegt vor dem Anfang."),
        ("from=2010-01-01&to=2026-01-01", "Der Zeitraum darf höchstens fünf Jahre umfassen."),
        # Years the age bands cannot count back from: once "year -17 is out of range", a 500.
        ("from=0065-01-01&to=0065-12-31", "Der Zeitraum muss nach dem Jahr 65 beginnen."),
        ("from=0048-01-01&to=0048-12-31", "Der Zeitraum muss nach dem Jahr 65 beginnen."),
        ("from=01.01.0001&to=31.12.0001", "Der Zeitraum muss nach dem Jahr 65 beginnen."),
        ("from=0065-01-01", "Bitte gültige Daten angeben."),
        ("from=2026-02-30&to=2026-03-01", "Bitte gültige Daten angeben."),
    ],
)
def test_bad_period_gives_a_german_message_and_no_error(client, auth, data, query, message):
    auth.login(data["awo_lead"])
    for path in ("/admin/statistics/", f"/admin/statistics/category/{data['language']}/"):
        response = client.get(f"{path}?{query}")
        body = response.get_data(as_text=True)
        assert response.status_code == 200, (path, query)
        assert message in body
        assert "01.01.2026 \u2013 31.12.2026" in body
    download = client.get(f"/admin/statistics/csv/klienten_alter/?{query}")
    assert download.status_code == 200
    assert _parse_csv(download)[-1] == ["Summe", "5"]


def test_period_error_is_the_one_error_of_a_requested_period():
    with pytest.raises(PeriodError, match="nach dem Jahr 65"):
        requested_period("0065-01-01", "0065-12-31", DEFAULT_PRESET, TODAY)
    with pytest.raises(PeriodError, match="gültige Daten"):
        requested_period("", "2026-01-01", DEFAULT_PRESET, TODAY)
    assert requested_period("", "", "last_year", TODAY) == preset_period("last_year", TODAY)
    assert requested_period("01.02.2026", "2026-03-31", "", TODAY) == Period(
        D(2026, 2, 1), D(2026, 3, 31)
    )


def _links(body, kind):
    return sorted(set(re.findall(rf'href="(/admin/statistics/{kind}/[^"]+)"', body)))


def _parse_csv(response):
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_coordinator_page_and_every_csv_hide_small_counts_and_persons(client, auth, data):
    auth.login(data["coordinator"])
    response = client.get(f"/admin/statistics/?{PERIOD_ARGS}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    pages = [body]
    category_links = _links(body, "category")
    assert category_links
    for link in category_links:
        page = client.get(link.replace("&amp;", "&"))
        assert page.status_code == 200
        pages.append(page.get_data(as_text=True))
    for page in pages:
        for forbidden in data["names"] + data["file_numbers"] + data["birth_dates"]:
            assert forbidden not in page
        cells = re.findall(r'<td class="text-right">([^<]*)</td>', page)
        assert cells
        for cell in cells:
            assert cell not in {"1", "2", "3", "4"}, cell

    csv_links = [link for page in pages for link in _links(page, "csv")]
    assert len(csv_links) >= 17
    for link in csv_links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert re.search(
            r'attachment; filename="statistik_[a-z_]+_alle_2026-11-25\.csv"',
            response.headers["Content-Disposition"],
        )
        rows = _parse_csv(response)
        text = response.get_data(as_text=True)
        for forbidden in data["names"] + data["file_numbers"] + data["birth_dates"]:
            assert forbidden not in text
        for row in rows[1:]:
            for cell in row[1:]:
                assert cell not in {"1", "2", "3", "4"}, (link, row)


def test_org_csv_has_german_headers_and_exact_figures(client, auth, data):
    auth.login(data["awo_cm"])
    response = client.get(f"/admin/statistics/csv/barrieren_kategorie/?{PERIOD_ARGS}")
    assert response.status_code == 200
    assert (
        'filename="statistik_barrieren_kategorie_awo_2026-11-25.csv"'
        in (response.headers["Content-Disposition"])
    )
    assert _parse_csv(response) == [
        ["Kategorie", "offen", "im Einzelfall gelöst", "an Systemebene gemeldet", "Summe"],
        ["Sprache", "2", "1", "0", "3"],
        ["Wartezeit", "1", "0", "1", "2"],
        ["Summe", "3", "1", "1", "5"],
    ]
    figures = _parse_csv(client.get(f"/admin/statistics/csv/kennzahlen/?{PERIOD_ARGS}"))
    assert figures[1] == ["AWO Düsseldorf", "20", "66,7", "6"]
    drill = client.get(
        f"/admin/statistics/csv/barrieren_trend/?category={data['language']}&{PERIOD_ARGS}"
    )
    assert _parse_csv(drill)[-1] == ["Summe", "2", "1", "0", "3"]


def test_preset_links_select_their_period(client, auth, data):
    auth.login(data["awo_lead"])
    body = client.get("/admin/statistics/?preset=last_quarter").get_data(as_text=True)
    assert "01.07.2026 \u2013 30.09.2026" in body


# --- bounded queries -------------------------------------------------------------------


def _statements_for(client, engine, url):
    """The statements of one page computed afresh (nothing kept from a request before, in
    this process or stored for every worker)."""
    FIGURES.clear()
    with engine.begin() as connection:
        connection.execute(delete(statistics_rows))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_page_runs_the_same_number_of_queries_for_more_data(client, auth, engine, session, data):
    auth.login(data["coordinator"])
    url = f"/admin/statistics/?{PERIOD_ARGS}"
    small = _statements_for(client, engine, url)
    category = make_category(session, "Digitale Zugänge", sort_order=3)
    partner = make_partner(session, "Sprachschule", kind="education")
    cm = make_user(session, Role.CASE_MANAGER, data["awo"], email="noch.jemand@example.org")
    for number in range(40):
        person = make_client(
            session,
            data["awo"],
            cm,
            first_name="Neu",
            last_name=f"Person{number}",
            date_of_birth=D(1980 + number % 30, 1, 1),
            country_of_origin="TR",
        )
        case = make_case(session, person, cm, opened_on=D(2026, 1 + number % 11, 1))
        make_barrier(
            session, case, category, partner=partner, observed_on=D(2026, 1 + number % 11, 2)
        )
        make_referral(
            session, case, partner, referred_on=D(2026, 1 + number % 11, 3), status="sent"
        )
    session.commit()
    assert _statements_for(client, engine, url) == small
    # The main tables (each grouped count once per organisation, kept per organisation),
    # the plans, the transitions and the system-level report, each a few grouped
    # statements whatever the data: a bound, so that an N+1 shows.
    organisations = session.scalar(select(func.count(Organisation.id)))
    assert small <= 20 + 20 * organisations


# --- pieces ----------------------------------------------------------------------------


def test_presets():
    assert preset_period("this_year", TODAY) == Period(D(2026, 1, 1), D(2026, 12, 31), "this_year")
    assert preset_period("last_year", TODAY) == Period(D(2025, 1, 1), D(2025, 12, 31), "last_year")
    assert preset_period("last_quarter", TODAY) == Period(
        D(2026, 7, 1), D(2026, 9, 30), "last_quarter"
    )
    assert preset_period("last_quarter", D(2026, 2, 1)).start == D(2025, 10, 1)
    assert preset_period("last_12_months", TODAY) == Period(
        D(2025, 11, 26), TODAY, "last_12_months"
    )
    assert preset_period("nonsense", TODAY).preset == "this_year"


def test_period_must_run_forward_and_not_too_long():
    with pytest.raises(ValueError, match="vor dem Anfang"):
        Period(D(2026, 2, 1), D(2026, 1, 1))
    with pytest.raises(ValueError, match="fünf Jahre"):
        Period(D(2010, 1, 1), D(2026, 1, 1))


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], None),
        ([(7, 1)], 7),
        ([(10, 1), (20, 1)], 15),
        ([(4, 1), (6, 1), (10, 1)], 6),
        ([(1, 3), (100, 2)], 1),
        ([(1, 2), (3, 1), (100, 1)], 2),
        ([(100, 1), (3, 1), (1, 2)], 2),  # in any order
        ([(5, 1), (9, 1), (5, 1), (9, 0)], 5),  # a value in the rows of two organisations
        ([(9, 2), (5, 1), (9, 1), (2, 1)], 9),
    ],
)
def test_median_from_grouped_values(pairs, expected):
    assert median_from_counts(pairs) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "safe"),
    [
        (2, 3, False),
        (5, 5, True),
        (5, 7, False),
        (0, 6, True),
        (10, 20, True),
        (3, 20, False),
    ],
)
def test_rate_is_safe(numerator, denominator, safe):
    assert rate_is_safe(numerator, denominator) is safe


def test_chart_is_plain_escaped_svg():
    svg = str(
        bar_chart("Barrieren <b>", [("<script>alert(1)</script>", 7), ("Sprache", H), ("leer", 0)])
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count("<rect") == 1
    assert "&lt;5" in svg


def test_start_page_summary_for_coordinator_only(app, client, data, monkeypatch):
    monkeypatch.setattr("admin_views.statistics.today", lambda: D(2026, 3, 31))
    with app.test_request_context():
        coordinator = db.session.query(User).filter_by(email=data["coordinator"]).one()
        login_user(coordinator)
        summary = statistics_summary()
        assert summary is not None
        # The current year, cut from the same protected figures as the statistics page
        # (before: the quarter to date, counted apart, so it could be set against the page).
        assert summary["period"] == YEAR
        year = Statistics(db.session, load_scope(db.session, None, True), YEAR, D(2026, 3, 31))
        overview = year.table("uebersicht").rows[-1].cells
        affected = year.table("barrieren_faelle")
        assert summary["opened_cases"] == overview[1]
        assert summary["cases_with_barriers"] == affected.rows[-1].cells[-1] == 10
        # Ranked by what is shown: the hidden Wartezeit count ranks last.
        assert summary["top_barriers"] == [("Sprache", 8), ("Wartezeit", H)]
        html = render_template("admin/_statistics_summary.html", statistics_summary=summary)
        assert "Sprache" in html
        assert "Haddad" not in html
        lead = db.session.query(User).filter_by(email=data["awo_lead"]).one()
        login_user(lead)
        assert statistics_summary() is None
        assert (
            render_template("admin/_statistics_summary.html", statistics_summary=None).strip() == ""
        )
