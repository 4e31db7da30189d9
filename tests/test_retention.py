"""Retention: who is anonymised, what is erased, what stays, and that statistics hold."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import Barrier, Case, Client, Contact, Referral, RetentionLogEntry
from models.audit import set_actor
from models.choices import Role
from models.retention import (
    PLACEHOLDER,
    anonymise_due_clients,
    anonymise_from,
    coarse_birth_date,
    due_clients,
)
from models.statistics import AGE_BANDS, Period, Statistics, load_scope
from tests.factories import (
    TODAY,
    World,
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_contact,
    make_organisation,
    make_partner,
    make_referral,
    make_topic,
    make_user,
)
from tests.lifecycle_helpers import audit_table_text, count_rows

if TYPE_CHECKING:
    from tests.conftest import AuthActions

D = dt.date
RUN_DAY = D(2030, 6, 1)  # the retention job's day: the rules take it, not the clock
YEARS = 3


@dataclass(frozen=True)
class Caseload:
    organisation_ids: tuple[int, int]
    author_id: int
    long_closed_id: int
    recently_closed_id: int
    still_open_id: int
    withdrawn_long_ago_id: int
    withdrawn_lately_id: int
    withdrawn_but_open_id: int
    other_org_long_closed_id: int


def _closed(**values: object) -> dict[str, object]:
    return {"phase": "closed", "closure_reason": "goals_met", **values}


def _full_client(session: Session, organisation, author, partner, category, **values):
    """A client with one closed case carrying a contact, a barrier and a referral."""
    closed_on = values.pop("closed_on", D(2026, 3, 31))
    opened_on = values.pop("opened_on", (closed_on or D(2025, 4, 1)) - dt.timedelta(days=60))
    day = opened_on + dt.timedelta(days=1)
    client = make_client(
        session,
        organisation,
        author,
        date_of_birth=values.pop("date_of_birth", D(1988, 4, 12)),
        gender="female",
        country_of_origin="SY",
        residence_status="toleration",
        benefits_domain="sgb2",
        district=3,
        phone="0211 555 0199",
        email="leyla@example.net",
        street="Kölner Straße 7",
        postcode="40233",
        arrival_date=D(2015, 9, 1),
        # Fixed like the other dates here: before every withdrawal, whatever day today is.
        consent_given_on=values.pop("consent_given_on", D(2015, 9, 15)),
        notes="Vertrauliche Notiz zur Familie",
        **values,
    )
    case = make_case(
        session,
        client,
        author,
        opened_on=opened_on,
        goals="Deutschkurs B1 für Frau Yılmaz",
        **({} if closed_on is None else _closed(closed_on=closed_on)),
    )
    make_contact(session, case, contact_date=day, note="Gespräch mit Ehemann")
    make_barrier(session, case, category, observed_on=day, description="Frau Y. wartet")
    make_referral(
        session,
        case,
        partner,
        referred_on=day,
        status="accepted",
        responded_on=day + dt.timedelta(days=7),
        reason="Arbeitssuche, schwanger",
        outcome="Stelle gefunden bei Firma X",
    )
    return client


@pytest.fixture
def caseload(session: Session) -> Caseload:
    category = make_category(session)
    partner = make_partner(session)
    awo = make_organisation(session, "awo")
    caritas = make_organisation(session, "caritas")
    author = make_user(session, Role.CASE_MANAGER, awo)
    other_author = make_user(session, Role.CASE_MANAGER, caritas)

    def full(**values: object) -> Client:
        return _full_client(session, awo, author, partner, category, **values)

    long_closed = full(closed_on=D(2027, 5, 31))
    recently_closed = full(closed_on=D(2027, 6, 1))
    still_open = full(closed_on=D(2020, 1, 31))
    make_case(session, still_open, author, opened_on=D(2026, 1, 1))
    withdrawn_long_ago = full(closed_on=D(2030, 1, 10), consent_withdrawn_on=D(2030, 5, 1))
    withdrawn_lately = full(closed_on=D(2030, 1, 10), consent_withdrawn_on=D(2030, 5, 3))
    withdrawn_but_open = full(closed_on=None, consent_withdrawn_on=D(2029, 1, 1))
    other_org = _full_client(
        session, caritas, other_author, partner, category, closed_on=D(2026, 12, 31)
    )
    session.commit()
    return Caseload(
        (awo.id, caritas.id),
        author.id,
        long_closed.id,
        recently_closed.id,
        still_open.id,
        withdrawn_long_ago.id,
        withdrawn_lately.id,
        withdrawn_but_open.id,
        other_org.id,
    )


def _run(connection: Connection, dry_run: bool = False):
    with Session(connection) as session:
        report = anonymise_due_clients(session, RUN_DAY, YEARS, dry_run=dry_run)
        session.commit()
    return report


def _snapshot(connection: Connection, client_id: int) -> dict[str, object]:
    """Every stored value of a client and of everything of their cases."""
    with Session(connection) as session:
        client = session.get_one(Client, client_id)
        cases = list(session.scalars(select(Case).where(Case.client_id == client_id)))
        case_ids = [case.id for case in cases]
        snapshot: dict[str, object] = {"client": _columns(client)}
        snapshot["cases"] = [_columns(case) for case in cases]
        for model in (Contact, Barrier, Referral):
            records = session.scalars(select(model).where(model.case_id.in_(case_ids)))
            snapshot[model.__name__] = [_columns(record) for record in records]
        return snapshot


def _columns(record: object) -> dict[str, object]:
    table = type(record).__table__  # type: ignore[attr-defined]
    skipped = {"updated_at", "version"}
    return {c.key: getattr(record, c.key) for c in table.columns if c.key not in skipped}


def test_due_clients_are_the_long_closed_and_the_long_withdrawn_only(
    session: Session, caseload: Caseload
) -> None:
    due = {(d.client_id, d.reason.value) for d in due_clients(session, RUN_DAY, YEARS)}

    assert due == {
        (caseload.long_closed_id, "cases_closed"),
        (caseload.withdrawn_long_ago_id, "consent_withdrawn"),
        (caseload.other_org_long_closed_id, "cases_closed"),
    }


def test_anonymising_erases_personal_values_and_free_text_of_every_record(
    connection: Connection, caseload: Caseload
) -> None:
    _run(connection)

    after = _snapshot(connection, caseload.long_closed_id)
    client = after["client"]
    assert isinstance(client, dict)
    assert client["first_name"] == client["last_name"] == PLACEHOLDER
    for name in ("phone", "email", "street", "postcode", "arrival_date", "notes"):
        assert client[name] is None, name
    assert client["date_of_birth"] == D(1988, 7, 1)
    assert [case["goals"] for case in after["cases"]] == [None]  # type: ignore[index]
    assert [contact["note"] for contact in after["Contact"]] == [None]  # type: ignore[index]
    assert [b["description"] for b in after["Barrier"]] == [None]  # type: ignore[index]
    referral = after["Referral"][0]  # type: ignore[index]
    assert (referral["reason"], referral["outcome"], referral["decline_reason"]) == (None,) * 3


def test_anonymising_keeps_the_statistical_fields(
    connection: Connection, caseload: Caseload
) -> None:
    before = _snapshot(connection, caseload.long_closed_id)
    _run(connection)
    after = _snapshot(connection, caseload.long_closed_id)

    kept_client = (
        "organisation_id",
        "file_number",
        "gender",
        "country_of_origin",
        "residence_status",
        "benefits_domain",
        "district",
        "consent_given_on",
        "consent_withdrawn_on",
    )
    for name in kept_client:
        assert after["client"][name] == before["client"][name], name  # type: ignore[index]
    for kind, erased in (
        ("cases", {"goals"}),
        ("Contact", {"note"}),
        ("Barrier", {"description"}),
        ("Referral", {"reason", "outcome", "decline_reason"}),
    ):
        for old, new in zip(before[kind], after[kind], strict=True):  # type: ignore[call-overload]
            kept = {k: v for k, v in old.items() if k not in erased | {"updated_by_id"}}
            assert kept == {k: new[k] for k in kept}, kind


@pytest.mark.parametrize(
    "field", ["recently_closed_id", "still_open_id", "withdrawn_lately_id", "withdrawn_but_open_id"]
)
def test_clients_not_due_are_untouched(
    connection: Connection, caseload: Caseload, field: str
) -> None:
    client_id = getattr(caseload, field)
    before = _snapshot(connection, client_id)

    _run(connection)

    assert _snapshot(connection, client_id) == before


def test_withdrawn_consent_over_30_days_ago_is_treated_before_the_retention_period(
    connection: Connection, caseload: Caseload
) -> None:
    _run(connection)

    after = _snapshot(connection, caseload.withdrawn_long_ago_id)
    assert after["client"]["last_name"] == PLACEHOLDER  # type: ignore[index]
    with Session(connection) as session:
        entry = session.scalars(
            select(RetentionLogEntry).where(
                RetentionLogEntry.record_id == caseload.withdrawn_long_ago_id
            )
        ).one()
    assert entry.reason == "consent_withdrawn"


def test_dry_run_changes_nothing_and_writes_no_log(
    connection: Connection, caseload: Caseload
) -> None:
    ids = [caseload.long_closed_id, caseload.withdrawn_long_ago_id]
    before = [_snapshot(connection, client_id) for client_id in ids]

    report = _run(connection, dry_run=True)

    assert {due.client_id for due in report.due} >= set(ids)
    assert [_snapshot(connection, client_id) for client_id in ids] == before
    assert count_rows(connection, RetentionLogEntry) == 0
    assert "würde anonymisiert" in "\n".join(report.lines())


def test_log_has_one_entry_per_client_without_personal_data_and_a_rerun_does_nothing(
    connection: Connection, caseload: Caseload
) -> None:
    first = _run(connection)
    second = _run(connection)

    with Session(connection) as session:
        entries = list(session.scalars(select(RetentionLogEntry).order_by(RetentionLogEntry.id)))
    assert [(e.record_type, e.record_id, e.organisation_id, e.reason) for e in entries] == [
        ("Client", due.client_id, due.organisation_id, due.reason.value) for due in first.due
    ]
    assert second.due == []
    stored = repr([_columns(entry) for entry in entries]) + "\n".join(first.lines())
    for personal in ("Beispiel", "Amina", "40233", "Kölner", "1988"):
        assert personal not in stored


def test_audit_trail_keeps_no_erased_value_after_anonymising(
    connection: Connection, caseload: Caseload
) -> None:
    with Session(connection) as session:
        set_actor(session, caseload.author_id)
        client = session.get_one(Client, caseload.long_closed_id)
        client.postcode = "40477"
        client.arrival_date = D(2016, 2, 29)
        client.last_name = "Yılmaz-Neu"
        session.commit()
    # Client attributes are personal: the trail names them but never held their values.
    assert "postcode" in audit_table_text(connection)
    assert "40477" not in audit_table_text(connection)

    _run(connection)

    trail = audit_table_text(connection)
    for value in ("40477", "40233", "2016-02-29", "Yılmaz", "Leyla", "0211", "1988-04-12"):
        assert value not in trail, value
    assert "postcode" in trail  # the field stays named, its value is gone


def test_anonymise_from_is_the_day_after_the_retention_period() -> None:
    assert anonymise_from(D(2027, 5, 31), 3) == D(2030, 6, 1)
    assert anonymise_from(D(2024, 2, 29), 3) == D(2027, 3, 1)
    assert anonymise_from(None, 3) is None


def test_birth_date_is_kept_exactly_when_a_band_boundary_falls_in_the_counted_years() -> None:
    # Turned 18 on 10.03.2025 while the case ran: any other date could move a period's band.
    assert coarse_birth_date(D(2007, 3, 10), D(2024, 1, 1), D(2026, 1, 1)) == D(2007, 3, 10)
    # Aged 30-35 in every counted period: the birth year is enough.
    assert coarse_birth_date(D(1990, 11, 3), D(2020, 1, 1), D(2021, 1, 1)) == D(1990, 7, 1)
    # No case: never counted, so nothing is kept.
    assert coarse_birth_date(D(1990, 11, 3), None, None) is None


def test_statistics_of_every_period_are_the_same_before_and_after_anonymising(
    connection: Connection, session: Session
) -> None:
    rng = random.Random(6)  # noqa: S311 - reproducible test data, not security
    organisation = make_organisation(session, "awo")
    author = make_user(session, Role.CASE_MANAGER, organisation)
    category = make_category(session)
    partner = make_partner(session)
    make_topic(session)
    boundaries = [below for _label, below in AGE_BANDS if below is not None]
    for number in range(40):
        opened_on = D(2018, 1, 1) + dt.timedelta(days=rng.randrange(0, 2500))
        closed_on = opened_on + dt.timedelta(days=rng.randrange(60, 900))
        # Half of them have a band boundary (a birthday) inside or near their case.
        if number % 2:
            age = rng.choice(boundaries)
            birth = opened_on.replace(year=opened_on.year - age, day=1) + dt.timedelta(
                days=rng.randrange(-400, 900)
            )
        else:
            birth = D(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 27000))
        _full_client(
            session,
            organisation,
            author,
            partner,
            category,
            date_of_birth=birth,
            opened_on=opened_on,
            closed_on=min(closed_on, D(2026, 11, 1)),
        )
    session.commit()
    scope = load_scope(session, [organisation.id], across=False)
    month_ends = [
        D(year, month, 1) - dt.timedelta(days=1)
        for year in range(2018, 2034)
        for month in range(1, 13)
    ]
    periods = [Period(end - dt.timedelta(days=364), end) for end in month_ends]
    periods += [Period(end - dt.timedelta(days=1830), end) for end in month_ends[::3]]
    years = [Period(D(year, 1, 1), D(year, 12, 31)) for year in range(2018, 2034)]

    def figures() -> list[object]:
        with Session(connection) as reading:
            reading_scope = load_scope(reading, scope.ids, across=False)
            ages = [
                _rows(
                    Statistics(reading, reading_scope, period, RUN_DAY)
                    .clients_by_age()
                    .shown(False)
                )
                for period in periods
            ]
            pages = [
                [
                    _rows(t)
                    for t in Statistics(reading, reading_scope, period, RUN_DAY).main_tables()
                ]
                for period in years
            ]
        return [ages, pages]

    before = figures()
    with Session(connection) as writing:
        births_before = dict(writing.execute(select(Client.id, Client.date_of_birth)).all())
        report = anonymise_due_clients(writing, D(2035, 1, 1), YEARS)
        writing.commit()
        births_after = dict(writing.execute(select(Client.id, Client.date_of_birth)).all())

    assert len(report.due) == 40
    coarsened = [cid for cid in births_before if births_before[cid] != births_after[cid]]
    assert len(coarsened) >= 15  # the comparison below is not trivial: dates did change
    assert figures() == before


def _rows(table) -> list[object]:
    return [table.key, table.header, [(row.label, row.cells) for row in table.rows]]


def test_cli_dry_run_lists_and_the_real_run_anonymises(
    app: Flask, connection: Connection, session: Session
) -> None:
    organisation = make_organisation(session, "awo")
    author = make_user(session, Role.CASE_MANAGER, organisation)
    long_ago = TODAY - dt.timedelta(days=365 * 3 + 40)
    client = _full_client(
        session,
        organisation,
        author,
        make_partner(session),
        make_category(session),
        closed_on=long_ago,
    )
    session.commit()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"Klient*in {client.id}" in dry.output
    assert "würde anonymisiert" in dry.output
    assert _snapshot(connection, client.id)["client"]["last_name"] != PLACEHOLDER  # type: ignore[index]

    real = runner.invoke(args=["retention"])
    assert real.exit_code == 0, real.output
    assert _snapshot(connection, client.id)["client"]["last_name"] == PLACEHOLDER  # type: ignore[index]
    assert count_rows(connection, RetentionLogEntry) == 1


def test_details_pages_show_from_when_the_client_will_be_anonymised(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    case = session.get_one(Case, world.a.case_id)
    closed_on = case.opened_on + dt.timedelta(days=58)
    case.closed_on, case.phase, case.closure_reason = closed_on, "closed", "goals_met"
    session.commit()
    auth.login(world.a.case_manager_email)

    for url in (
        f"/admin/cases/details/?id={case.id}",
        f"/admin/clients/details/?id={case.client_id}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "Anonymisierung ab" in page
        assert f"{anonymise_from(closed_on, YEARS):%d.%m.%Y}" in page
    still_open = client.get(f"/admin/clients/details/?id={world.b.client_id}")
    assert still_open.status_code == 404  # and another organisation's client stays hidden
