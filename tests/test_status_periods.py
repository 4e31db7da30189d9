"""Statusverlauf: periods without overlap, residence without gaps, the current value derived."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import Client, StatusPeriod, User
from models.choices import Role
from models.reminders import SHOWN
from models.status_history import (
    Span,
    expiring_titles,
    inconsistent_clients,
    open_period,
    periods_of,
    sequence_error,
)
from models.visibility import visible_criteria
from tests.factories import TODAY, World, client_period, make_case, make_client, make_user
from tests.lifecycle_helpers import changes_of, events

if TYPE_CHECKING:
    from tests.conftest import AuthActions

D = dt.timedelta
RESIDENT = {"residence_status": "permission_to_remain"}  # an open residence period


def day(offset: int) -> dt.date:
    return TODAY + D(days=offset)


def user_by_email(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def row_version(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="row_version"[^>]*value="(\d+)"', page) or re.search(
        r'value="(\d+)"[^>]*name="row_version"', page
    )
    assert found, "no row_version in the form"
    return found.group(1)


@pytest.fixture
def since_spring(session: Session, world: World) -> Client:
    """World a's client, whose Aufenthaltsgestattung started 100 days ago."""
    client = session.get_one(Client, world.a.client_id)
    period = open_period(session, client.id, "residence")
    assert period is not None
    period.valid_from = day(-100)
    session.commit()
    return client


# --- the rules on their own -----------------------------------------------------------


def test_periods_of_one_kind_must_not_overlap() -> None:
    spans = [Span(1, day(-100), day(-10)), Span(None, day(-20), None)]

    assert "überschneidet" in (sequence_error("benefits", spans) or "")
    assert "überschneidet" in (sequence_error("office", spans) or "")


def test_only_the_last_period_may_be_open() -> None:
    spans = [Span(1, day(-100), None), Span(2, day(-10), None)]

    assert "überschneidet" in (sequence_error("benefits", spans) or "")


def test_residence_periods_follow_each_other_without_a_day_between() -> None:
    gap = [Span(1, day(-100), day(-50)), Span(None, day(-40), None)]
    seamless = [Span(1, day(-100), day(-50)), Span(None, day(-49), None)]

    message = sequence_error("residence", gap) or ""
    assert "unbekannt" in message
    assert f"{day(-50):%d.%m.%Y}" in message and f"{day(-40):%d.%m.%Y}" in message
    assert sequence_error("residence", seamless) is None


def test_a_benefits_domain_may_have_gaps() -> None:
    gap = [Span(1, day(-100), day(-50)), Span(None, day(-40), None)]

    assert sequence_error("benefits", gap) is None


# --- the current value is the open period -------------------------------------------------


def test_a_new_clients_values_open_its_first_periods(session: Session, world: World) -> None:
    own = session.get_one(Client, world.a.client_id)
    author = user_by_email(session, world.a.case_manager_email)

    fresh = make_client(
        session,
        own.organisation,
        author,
        residence_status="toleration",
        benefits_domain="asylblg",
    )

    periods = periods_of(session, fresh.id)
    assert [(p.kind, p.value, p.valid_from, p.valid_until, p.source) for p in periods] == [
        ("benefits", "asylblg", TODAY, None, "self_report"),
        ("residence", "toleration", TODAY, None, "self_report"),
    ]
    assert {p.organisation_id for p in periods} == {own.organisation_id}
    assert inconsistent_clients(session) == []


def test_changing_the_value_closes_the_open_period_and_opens_todays(
    session: Session, since_spring: Client
) -> None:
    since_spring.residence_status = "humanitarian"
    session.commit()

    periods = periods_of(session, since_spring.id, "residence")
    assert [(p.value, p.valid_from, p.valid_until) for p in periods] == [
        ("permission_to_remain", day(-100), day(-1)),
        ("humanitarian", TODAY, None),
    ]
    assert inconsistent_clients(session) == []
    assert (
        sequence_error("residence", [Span(p.id, p.valid_from, p.valid_until) for p in periods])
        is None
    )


def test_a_correction_on_the_same_day_changes_that_days_period(
    session: Session, since_spring: Client
) -> None:
    since_spring.benefits_domain = "sgb2"
    session.commit()
    since_spring.benefits_domain = "sgb12"
    session.commit()

    periods = periods_of(session, since_spring.id, "benefits")
    assert [(p.value, p.valid_from, p.valid_until) for p in periods] == [("sgb12", TODAY, None)]


def test_emptying_the_value_ends_the_period_without_a_new_one(
    session: Session, since_spring: Client
) -> None:
    since_spring.residence_status = None
    session.commit()

    (period,) = periods_of(session, since_spring.id, "residence")
    assert period.valid_until == day(-1)
    assert since_spring.residence_status is None
    assert inconsistent_clients(session) == []


# --- through the screens -------------------------------------------------------------------


def test_client_form_closes_the_old_period_and_opens_one_with_source_and_expiry(
    client: FlaskClient, auth: AuthActions, session: Session, since_spring: Client, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    url = f"/admin/clients/edit/?id={since_spring.id}"
    form = {
        "first_name": since_spring.first_name,
        "last_name": since_spring.last_name,
        "gender": "unspecified",
        "residence_status": "humanitarian",
        "status_source": "document",
        "title_expires_on": day(45).isoformat(),
        "benefits_domain": "sgb2",
        "consent_given_on": since_spring.consent_given_on.isoformat(),
        "row_version": row_version(client, url),
    }

    response = client.post(url, data=form)

    assert response.status_code == 302
    session.expire_all()
    residence = periods_of(session, since_spring.id, "residence")
    assert [(p.value, p.valid_until, p.source, p.title_expires_on) for p in residence] == [
        ("permission_to_remain", day(-1), "self_report", None),
        ("humanitarian", None, "document", day(45)),
    ]
    (benefits,) = periods_of(session, since_spring.id, "benefits")
    assert (benefits.value, benefits.valid_from, benefits.source) == ("sgb2", TODAY, "document")
    assert inconsistent_clients(session) == []


def test_a_new_period_on_the_screen_closes_the_previous_and_sets_the_client(
    client: FlaskClient, auth: AuthActions, session: Session, since_spring: Client, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        "client": since_spring.id,
        "kind": "residence",
        "value": "toleration",
        "valid_from": day(-30).isoformat(),
        "source": "document",
        "title_expires_on": day(20).isoformat(),
    }

    response = client.post("/admin/status-periods/new/", data=form)

    assert response.status_code == 302
    session.expire_all()
    periods = periods_of(session, since_spring.id, "residence")
    assert [(p.value, p.valid_from, p.valid_until) for p in periods] == [
        ("permission_to_remain", day(-100), day(-31)),
        ("toleration", day(-30), None),
    ]
    assert session.get_one(Client, since_spring.id).residence_status == "toleration"
    assert inconsistent_clients(session) == []


def test_a_period_that_would_leave_a_gap_or_overlap_is_refused(
    client: FlaskClient, auth: AuthActions, session: Session, since_spring: Client, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    before = len(periods_of(session, since_spring.id))
    # A closed residence period inside the open one: it overlaps.
    overlap = {
        "client": since_spring.id,
        "kind": "residence",
        "value": "toleration",
        "valid_from": day(-300).isoformat(),
        "valid_until": day(-50).isoformat(),
        "source": "document",
    }
    # A residence period before the first, ending well before it starts: a gap.
    gap = {**overlap, "valid_until": day(-200).isoformat()}

    for form, message in ((overlap, "überschneidet"), (gap, "unbekannt")):
        response = client.post("/admin/status-periods/new/", data=form)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert len(periods_of(session, since_spring.id)) == before


def test_an_office_period_names_a_partner_and_has_no_value(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        "client": world.a.client_id,
        "kind": "office",
        "partner": world.partner_id,
        "valid_from": day(-3).isoformat(),
        "source": "self_report",
    }

    assert client.post("/admin/status-periods/new/", data=form).status_code == 302

    (office,) = periods_of(session, world.a.client_id, "office")
    assert (office.partner_id, office.value, office.valid_until) == (world.partner_id, None, None)
    without = {**form, "partner": ""}
    response = client.post("/admin/status-periods/new/", data=without)
    assert "Bitte die zuständige Stelle wählen." in response.get_data(as_text=True)


def test_the_clients_page_shows_the_timeline(
    client: FlaskClient, auth: AuthActions, session: Session, since_spring: Client, world: World
) -> None:
    since_spring.residence_status = "humanitarian"
    session.commit()
    auth.login(world.a.case_manager_email)

    page = client.get(f"/admin/clients/details/?id={since_spring.id}").get_data(as_text=True)

    assert "Statusverlauf" in page
    newest = page.index("Aufenthaltsstatus: Aufenthaltserlaubnis humanitär")
    older = page.index("Aufenthaltsstatus: Aufenthaltsgestattung")
    assert newest < older
    assert f"{day(-100):%d.%m.%Y} – {day(-1):%d.%m.%Y}" in page


def test_period_events_name_the_fields_without_values(
    client: FlaskClient,
    auth: AuthActions,
    connection: Connection,
    since_spring: Client,
    world: World,
) -> None:
    auth.login(world.a.case_manager_email)
    form = {
        "client": since_spring.id,
        "kind": "benefits",
        "value": "asylblg",
        "valid_from": day(-2).isoformat(),
        "source": "document",
    }

    client.post("/admin/status-periods/new/", data=form)

    (event,) = events(connection, record_type="StatusPeriod")
    changes = changes_of(event)
    assert changes["value"] is None and changes["valid_from"] is None
    assert changes["kind"] == [None, "benefits"]
    assert "asylblg" not in (event.changed_fields or "")


# --- residence titles about to expire ---------------------------------------------------


def _expiring_setup(session: Session, world: World, expires_in: int) -> Client:
    client = session.get_one(Client, world.a.client_id)
    period = open_period(session, client.id, "residence")
    assert period is not None
    period.title_expires_on = day(expires_in)
    session.commit()
    return client


@pytest.mark.parametrize(
    ("expires_in", "listed"), [(-3, True), (10, True), (60, True), (61, False)]
)
def test_titles_expiring_within_sixty_days_are_listed(
    session: Session, world: World, expires_in: int, listed: bool
) -> None:
    client = _expiring_setup(session, world, expires_in)
    user = user_by_email(session, world.a.case_manager_email)

    found = expiring_titles(session, visible_criteria(user, Client), TODAY)

    assert [(t.client_id, t.days_left) for t in found] == (
        [(client.id, expires_in)] if listed else []
    )


@pytest.mark.parametrize(("expires_in", "said"), [(1, "noch 1 Tag)"), (2, "noch 2 Tage)")])
def test_start_page_says_the_days_left_in_german(  # noqa: PLR0917 - pytest passes fixtures
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    world: World,
    expires_in: int,
    said: str,
) -> None:
    _expiring_setup(session, world, expires_in)
    auth.login(world.a.case_manager_email)
    assert said in client.get("/admin/").get_data(as_text=True)


def test_start_page_shows_the_soonest_titles_and_how_many_more_there_are(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    """A glance, not the whole caseload: the ``SHOWN`` soonest, the rest counted."""
    manager = user_by_email(session, world.a.case_manager_email)
    organisation = session.get_one(Client, world.a.client_id).organisation
    names = []
    for number in range(SHOWN + 2):
        person = make_client(
            session, organisation, manager, last_name=f"Frist-{number:02d}", **RESIDENT
        )
        make_case(session, person, manager)
        client_period(session, person, "residence").title_expires_on = day(number)
        names.append(person.last_name)
    session.commit()

    auth.login(world.a.case_manager_email)
    page = client.get("/admin/").get_data(as_text=True)
    titles = page.split("kim-expiring-titles")[1].split("</ul>")[0]

    assert [name for name in names if name in titles] == names[:SHOWN]
    assert "… und 2 weitere." in page
    assert "Alle in „Meine Aufgaben“" in page


def test_start_page_names_the_expiring_title_for_the_case_manager_only(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    _expiring_setup(session, world, 20)

    auth.login(world.a.case_manager_email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Aufenthaltstitel, die in den nächsten 60 Tagen ablaufen" in page
    assert f"gültig bis {day(20):%d.%m.%Y}" in page
    assert "auch als Aufgabe" in page  # the same deadline is a task
    auth.logout()

    auth.login(world.b.case_manager_email)
    other = client.get("/admin/").get_data(as_text=True)
    assert world.a.client_name not in other
    auth.logout()

    app.config["KIM_RESIDENCE_EXPIRY_DAYS"] = 10
    try:
        auth.login(world.a.case_manager_email)
        shorter = client.get("/admin/").get_data(as_text=True)
    finally:
        app.config["KIM_RESIDENCE_EXPIRY_DAYS"] = 60
    assert "in den nächsten 10 Tagen" in shorter
    assert f"gültig bis {day(20):%d.%m.%Y}" not in shorter


def test_a_colleagues_client_is_not_on_my_start_page(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    own = session.get_one(Client, world.a.client_id)
    colleague = make_user(
        session, Role.CASE_MANAGER, own.organisation, email="kollegin@example.org"
    )
    theirs = make_client(
        session,
        own.organisation,
        colleague,
        last_name="Kollegenfall",
        residence_status="toleration",
    )
    make_case(session, theirs, colleague)
    period = open_period(session, theirs.id, "residence")
    assert period is not None
    period.title_expires_on = day(5)
    session.commit()

    auth.login(world.a.case_manager_email)
    page = client.get("/admin/").get_data(as_text=True)

    assert "Kollegenfall" not in page
    auth.logout()
    auth.login(world.a.lead_email)
    assert "Kollegenfall" in client.get("/admin/").get_data(as_text=True)


# --- the demo seed ------------------------------------------------------------------------


def test_the_seed_keeps_every_clients_values_and_open_periods_in_step(
    app: Flask, session: Session
) -> None:
    from models import Consent, Referral  # noqa: PLC0415
    from seeds.demo import seed_demo  # noqa: PLC0415

    with app.app_context():
        seed_demo(session, clients_per_org=6, today=dt.date(2025, 6, 13))

    assert inconsistent_clients(session) == []
    clients = session.scalars(select(Client)).all()
    processing = session.scalars(select(Consent).where(Consent.kind == "processing")).all()
    assert sorted(c.client_id for c in processing) == sorted(c.id for c in clients)
    confirmed = session.scalars(select(Referral).where(Referral.consent_confirmed.is_(True))).all()
    assert confirmed and all(
        r.consent is not None and [p.id for p in r.consent.recipients] == [r.partner_id]
        for r in confirmed
    )
    for client in clients:
        for kind in ("residence", "benefits"):
            spans = [
                Span(p.id, p.valid_from, p.valid_until)
                for p in periods_of(session, client.id, kind)
            ]
            assert sequence_error(kind, spans) is None, (client.id, kind)
    moved = session.scalars(
        select(StatusPeriod).where(
            StatusPeriod.kind == "benefits", StatusPeriod.valid_until.is_not(None)
        )
    ).all()
    assert moved, "some seeded clients changed their benefits domain"


def test_deleting_a_middle_residence_period_that_would_leave_a_gap_is_refused(
    client: FlaskClient, auth: AuthActions, session: Session, since_spring: Client, world: World
) -> None:
    since_spring.residence_status = "humanitarian"
    session.commit()
    first = periods_of(session, since_spring.id, "residence")[0]
    first.valid_until = day(-51)
    middle = StatusPeriod(
        organisation_id=since_spring.organisation_id,
        client_id=since_spring.id,
        kind="residence",
        value="toleration",
        valid_from=day(-50),
        valid_until=day(-1),
        source="document",
    )
    session.add(middle)
    session.commit()
    auth.login(world.a.lead_email)

    response = client.post(
        "/admin/status-periods/delete/", data={"id": middle.id}, follow_redirects=True
    )

    assert "unbekannt" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(StatusPeriod, middle.id) is not None


def test_the_client_form_shows_and_corrects_the_current_titles_expiry(
    client: FlaskClient, auth: AuthActions, session: Session, since_spring: Client, world: World
) -> None:
    period = open_period(session, since_spring.id, "residence")
    assert period is not None
    period.title_expires_on = day(10)
    session.commit()
    auth.login(world.a.case_manager_email)
    url = f"/admin/clients/edit/?id={since_spring.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{day(10).isoformat()}"' in page
    form = {
        "first_name": since_spring.first_name,
        "last_name": since_spring.last_name,
        "gender": "unspecified",
        "residence_status": "permission_to_remain",
        "status_source": "document",
        "title_expires_on": day(200).isoformat(),
        "consent_given_on": since_spring.consent_given_on.isoformat(),
        "row_version": row_version(client, url),
    }

    assert client.post(url, data=form).status_code == 302

    session.expire_all()
    (residence,) = periods_of(session, since_spring.id, "residence")
    assert (residence.valid_from, residence.source, residence.title_expires_on) == (
        day(-100),
        "document",
        day(200),
    )
