"""Transitions between legal domains on a fixed dataset: exact figures, suppressed across."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models import Client, StatusPeriod
from models.choices import Role
from models.statistics import Period, Scope, load_scope
from models.statistics.suppression import SUPPRESSED, WITHHELD
from models.statistics.transitions import ONLY_CITY_WIDE, YEARS_ONLY, TransitionStatistics
from tests.factories import (
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_organisation,
    make_user,
)

TODAY = dt.date(2026, 11, 25)
YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
D = dt.date


def _client(
    session: Session, org: Any, author: Any, name: str, benefits: list[tuple[str, D, D | None]]
) -> Client:
    client = make_client(session, org, author, last_name=name)
    for value, start, end in benefits:
        session.add(
            StatusPeriod(
                organisation_id=org.id,
                client_id=client.id,
                kind="benefits",
                value=value,
                valid_from=start,
                valid_until=end,
                source="document",
            )
        )
    session.flush()
    return client


def _title(session: Session, client: Client, status: str, expires_on: D) -> None:
    session.add(
        StatusPeriod(
            organisation_id=client.organisation_id,
            client_id=client.id,
            kind="residence",
            value=status,
            valid_from=D(2025, 1, 1),
            source="document",
            title_expires_on=expires_on,
        )
    )


@pytest.fixture
def data(session: Session) -> dict[str, Any]:
    awo = make_organisation(session, "awo")
    caritas = make_organisation(session, "caritas")
    manager = make_user(session, Role.CASE_MANAGER, awo)
    other = make_user(session, Role.CASE_MANAGER, caritas)
    waiting = make_category(session, "Lange Bearbeitungszeiten", sort_order=1)
    language = make_category(session, "Sprache", sort_order=2)
    c1 = _client(
        session,
        awo,
        manager,
        "Eins",
        [("asylblg", D(2025, 6, 1), D(2026, 2, 14)), ("sgb2", D(2026, 2, 15), None)],
    )
    c2 = _client(
        session,
        awo,
        manager,
        "Zwei",
        [("asylblg", D(2025, 1, 1), D(2026, 3, 31)), ("sgb2", D(2026, 4, 11), None)],
    )
    c3 = _client(
        session,
        awo,
        manager,
        "Drei",
        [("sgb2", D(2025, 1, 1), D(2026, 5, 31)), ("sgb12", D(2026, 7, 1), None)],
    )
    # The same domain again after a break: no transition.
    c4 = _client(
        session,
        awo,
        manager,
        "Vier",
        [("sgb2", D(2024, 1, 1), D(2025, 12, 31)), ("sgb2", D(2026, 3, 1), None)],
    )
    # A transition before the year counted.
    _client(
        session,
        awo,
        manager,
        "Fuenf",
        [("asylblg", D(2025, 1, 1), D(2025, 11, 30)), ("sgb2", D(2025, 12, 1), None)],
    )
    _client(
        session,
        awo,
        manager,
        "Sechs",
        [("asylblg", D(2025, 1, 1), D(2026, 8, 31)), ("sgb2", D(2026, 9, 1), None)],
    )
    b1 = _client(
        session,
        caritas,
        other,
        "Anders",
        [("asylblg", D(2025, 1, 1), D(2026, 1, 9)), ("sgb2", D(2026, 1, 13), None)],
    )
    _title(session, c1, "humanitarian", TODAY + dt.timedelta(days=30))
    _title(session, c2, "toleration", TODAY + dt.timedelta(days=90))
    _title(session, c3, "toleration", TODAY + dt.timedelta(days=91))
    _title(session, c4, "toleration", TODAY - dt.timedelta(days=1))
    _title(session, b1, "humanitarian", TODAY + dt.timedelta(days=3))
    cases = {
        c.last_name: make_case(session, c, manager if c.organisation_id == awo.id else other)
        for c in (c1, c2, c3, c4, b1)
    }
    make_barrier(session, cases["Eins"], waiting, observed_on=D(2026, 3, 1))  # 14 days after
    make_barrier(session, cases["Eins"], language, observed_on=D(2026, 6, 1))  # 106 days after
    make_barrier(session, cases["Drei"], language, observed_on=D(2026, 7, 15))  # 14 days after
    make_barrier(session, cases["Vier"], waiting, observed_on=D(2026, 3, 5))  # no transition
    make_barrier(session, cases["Zwei"], waiting, observed_on=D(2026, 4, 1))  # before it
    make_barrier(session, cases["Anders"], waiting, observed_on=D(2026, 2, 1))  # caritas
    session.commit()
    return {"awo": awo, "caritas": caritas}


def tables(session: Session, scope: Scope) -> dict[str, Any]:
    found = TransitionStatistics(session, scope, YEAR, TODAY).tables()
    return {table.key: table for table in found}


def rows_of(table: Any) -> list[list[Any]]:
    return [[row.label, *row.cells] for row in table.rows]


def test_own_organisation_transitions_are_exact(session: Session, data: dict[str, Any]) -> None:
    shown = tables(session, load_scope(session, [data["awo"].id], across=False))

    assert shown["rechtskreiswechsel"].header == [
        "Wechsel von → nach",
        "1. Quartal 2026",
        "2. Quartal 2026",
        "3. Quartal 2026",
        "4. Quartal 2026",
        "Summe",
    ]
    assert rows_of(shown["rechtskreiswechsel"]) == [
        ["SGB II → SGB XII", 0, 0, 1, 0, 1],
        ["AsylbLG → SGB II", 1, 1, 1, 0, 3],
        ["Summe", 1, 1, 2, 0, 4],
    ]
    # Gaps 0, 10, 30 and 0 days: the median is 5.
    assert rows_of(shown["tage_ohne_rechtskreis"]) == [
        ["Median der Tage ohne Rechtskreis zwischen zwei Rechtskreisen", 5],
        ["Zahl der Wechsel", 4],
    ]
    expiring = {row[0]: row[1] for row in rows_of(shown["ablaufende_titel"])}
    assert expiring["Aufenthaltserlaubnis humanitär"] == 1
    assert expiring["Duldung"] == 1  # in 90 days; the one in 91 days and the expired one not
    assert expiring["Summe"] == 2
    assert rows_of(shown["barrieren_nach_wechsel"]) == [
        ["Lange Bearbeitungszeiten", 1],
        ["Sprache", 1],
        ["Summe", 2],
    ]


def test_coordination_sees_city_wide_figures_with_small_cells_suppressed(
    session: Session, data: dict[str, Any]
) -> None:
    shown = tables(session, load_scope(session, None, across=True))

    transitions = rows_of(shown["rechtskreiswechsel"])
    assert shown["rechtskreiswechsel"].header[0] == "Wechsel von → nach"
    # Every count but the year's total is 1 to 4: none is shown exactly, zeros stay.
    assert transitions == [
        ["SGB II → SGB XII", 0, 0, SUPPRESSED, 0, SUPPRESSED],
        ["AsylbLG → SGB II", SUPPRESSED, SUPPRESSED, SUPPRESSED, 0, SUPPRESSED],
        ["Summe", SUPPRESSED, SUPPRESSED, SUPPRESSED, 0, 5],
    ]
    # Five gaps (0, 0, 3, 10, 30): enough values, the median shows.
    assert rows_of(shown["tage_ohne_rechtskreis"]) == [
        ["Median der Tage ohne Rechtskreis zwischen zwei Rechtskreisen", 3],
        ["Zahl der Wechsel", 5],
    ]
    assert shown["ablaufende_titel"].header == ["Aufenthaltsstatus", "Düsseldorf gesamt"]
    expiring = {row[0]: row[1] for row in rows_of(shown["ablaufende_titel"])}
    assert expiring["Aufenthaltserlaubnis humanitär"] == SUPPRESSED  # 2
    assert 3 not in expiring.values() and 2 not in expiring.values()


def test_coordination_gets_no_figures_of_a_single_organisation(
    session: Session, data: dict[str, Any]
) -> None:
    every = load_scope(session, None, across=True)
    one = Scope(every.organisations[:1], True, every.organisations)

    shown = tables(session, one)

    assert all(table.unavailable == ONLY_CITY_WIDE for table in shown.values())
    assert all(table.rows == [] for table in shown.values())


@pytest.mark.parametrize(
    "period",
    [
        Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30)),  # a quarter: its year minus the rest
        Period(dt.date(2025, 10, 1), dt.date(2026, 9, 30)),  # four quarters, not a year
    ],
)
def test_coordination_gets_the_transitions_for_whole_calendar_years_only(
    session: Session, data: dict[str, Any], period: Period
) -> None:
    shown = TransitionStatistics(session, load_scope(session, None, across=True), period, TODAY)

    assert all(table.unavailable == YEARS_ONLY for table in shown.tables())
    assert all(table.rows == [] for table in shown.tables())


def test_a_lead_gets_the_transitions_of_any_period(session: Session, data: dict[str, Any]) -> None:
    quarter = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    own = load_scope(session, [data["awo"].id], across=False)

    shown = {
        table.key: table for table in TransitionStatistics(session, own, quarter, TODAY).tables()
    }

    assert shown["rechtskreiswechsel"].unavailable in (None, "")
    assert rows_of(shown["rechtskreiswechsel"])[-1][-1] == 2  # two transitions in the quarter


def test_a_median_of_too_few_values_is_withheld_for_the_coordination(
    session: Session, data: dict[str, Any]
) -> None:
    awo_only = load_scope(session, [data["awo"].id], across=True)

    shown = tables(session, awo_only)

    assert rows_of(shown["tage_ohne_rechtskreis"])[0][1] == WITHHELD  # four values
    assert (
        rows_of(shown["tage_ohne_rechtskreis"])[1][1] == SUPPRESSED
        or rows_of(shown["tage_ohne_rechtskreis"])[1][1] == WITHHELD
    )


def test_the_statistics_page_shows_the_transition_tables(
    client: FlaskClient, auth: Any, session: Session, data: dict[str, Any]
) -> None:
    lead = make_user(session, Role.ORG_LEAD, data["awo"], email="leitung@example.org")
    session.commit()
    auth.login(lead.email)

    page = client.get("/admin/statistics/?from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    csv = client.get("/admin/statistics/csv/rechtskreiswechsel/?from=2026-01-01&to=2026-12-31")

    assert "Rechtskreiswechsel je Quartal" in page
    assert "AsylbLG → SGB II" in page
    assert csv.status_code == 200
    assert "AsylbLG → SGB II;1;1;1;0;3" in csv.get_data(as_text=True)
