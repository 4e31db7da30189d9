"""Referral tracking (#3): one state machine on every path, incoming referrals between
organisations that share nothing but the referral text and contact details, overdue
follow-ups decided by the database, and a screen whose query count does not grow."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from admin_views import referral_tracking
from models import Case, Client, Partner, Referral, User
from models.choices import ReferralStatus
from models.referral import ALLOWED_TRANSITIONS
from models.referral_workflow import (
    ReferralNotFoundError,
    ReferralWorkflowError,
    StaleReferralError,
    TrackingFilters,
    accept_incoming,
    change_status,
    decline_incoming,
    incoming_referrals,
    outgoing_referrals,
    reschedule_follow_up,
)
from tests.factories import (
    FOLLOW_UP_ON,
    REFERRED_ON,
    TODAY,
    World,
    make_case,
    make_client,
    make_partner,
    make_referral,
)
from tests.lifecycle_helpers import events

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

S = ReferralStatus
TRACKING = "/admin/referral-tracking/"
ALLOWED = [
    (current, target) for current, targets in ALLOWED_TRANSITIONS.items() for target in targets
]
FORBIDDEN = [
    (current, target)
    for current, target in itertools.product(S, S)
    if current != target and target not in ALLOWED_TRANSITIONS[current]
]


def _ids(pairs: list[tuple[S, S]]) -> list[str]:
    return [f"{current.value}-to-{target.value}" for current, target in pairs]


# --- helpers ----------------------------------------------------------------------------


def own_referral(session: Session, world: World, status: S, **values: object) -> Referral:
    case = session.get(Case, world.a.case_id)
    partner = values.pop("partner", None) or session.get(Partner, world.partner_id)
    values.setdefault("referred_on", TODAY - dt.timedelta(days=10))
    values.setdefault("consent_confirmed", True)
    if status in (S.ACCEPTED, S.DECLINED, S.COMPLETED):
        values.setdefault("responded_on", TODAY - dt.timedelta(days=5))
    referral = make_referral(session, case, partner, status=status, **values)
    session.commit()
    return referral


def linked_partner(session: Session, world: World) -> Partner:
    """A partner that is Caritas (organisation b) itself: referrals to it arrive there."""
    partner = make_partner(
        session,
        "Caritas Düsseldorf (KIM)",
        kind="kim_provider",
        organisation_id=world.b.organisation_id,
    )
    session.commit()
    return partner


def referral_from_a_to_b(session: Session, world: World, **values: object) -> Referral:
    client = session.get(Client, world.a.client_id)
    client.phone = "0211 555 0101"
    client.email = "amina.haddad@example.net"
    client.date_of_birth = dt.date(1991, 4, 17)
    client.notes = "Vertrauliche Notiz der AWO"
    client.street = "Geheimweg 7"
    case = session.get(Case, world.a.case_id)
    case.goals = "Vertrauliches Ziel der AWO"
    values.setdefault("reason", "Bitte um Begleitung bei der Wohnungssuche")
    values.setdefault("referred_on", TODAY - dt.timedelta(days=3))
    referral = make_referral(session, case, linked_partner(session, world), **values)
    session.commit()
    return referral


def user_by_email(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def reload(session: Session, referral_id: int) -> Referral:
    session.expire_all()
    return session.get(Referral, referral_id)


def press(client: FlaskClient, referral: Referral, target: str, **form: object) -> object:
    data = {"status": target, "version": referral.version, **form}
    return client.post(f"{TRACKING}{referral.id}/status", data=data, follow_redirects=True)


@contextmanager
def counted_queries(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


# --- the state machine through the service -----------------------------------------------


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=_ids(ALLOWED))
def test_service_performs_every_allowed_transition(
    session, world, request_context, current, target
):
    referral = own_referral(session, world, current)
    user = user_by_email(session, world.a.case_manager_email)
    change_status(
        session, user, referral.id, target=target, expected_version=referral.version, today=TODAY
    )
    session.commit()
    changed = reload(session, referral.id)
    assert changed.status == target
    assert changed.updated_by_id == user.id
    if target in (S.ACCEPTED, S.DECLINED):
        assert changed.responded_on == TODAY


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=_ids(FORBIDDEN))
def test_service_refuses_every_forbidden_transition(
    session, world, request_context, current, target
):
    referral = own_referral(session, world, current)
    user = user_by_email(session, world.a.case_manager_email)
    with pytest.raises(ReferralWorkflowError, match="kann nicht von"):
        change_status(
            session,
            user,
            referral.id,
            target=target,
            expected_version=referral.version,
            today=TODAY,
        )
    session.rollback()
    assert reload(session, referral.id).status == current


def test_service_treats_other_organisations_referral_as_missing(session, world, request_context):
    user = user_by_email(session, world.b.case_manager_email)
    with pytest.raises(ReferralNotFoundError):
        change_status(
            session,
            user,
            world.a.referral_id,
            target=S.CANCELLED,
            expected_version=1,
            today=TODAY,
        )


def test_service_refuses_stale_version(session, world, request_context):
    referral = own_referral(session, world, S.SENT)
    user = user_by_email(session, world.a.case_manager_email)
    with pytest.raises(StaleReferralError):
        change_status(
            session,
            user,
            referral.id,
            target=S.ACCEPTED,
            expected_version=referral.version + 1,
            today=TODAY,
        )


def test_service_refuses_follow_up_before_referral_date(session, world, request_context):
    referral = own_referral(session, world, S.SENT, referred_on=TODAY)
    user = user_by_email(session, world.a.case_manager_email)
    with pytest.raises(ReferralWorkflowError, match="Vergangenheit"):
        reschedule_follow_up(
            session,
            user,
            referral.id,
            follow_up_on=TODAY - dt.timedelta(days=1),
            expected_version=referral.version,
            today=TODAY,
        )


def test_service_moves_follow_up_date(session, world, request_context):
    referral = own_referral(session, world, S.SENT)
    user = user_by_email(session, world.a.case_manager_email)
    new_date = TODAY + dt.timedelta(days=7)
    reschedule_follow_up(
        session,
        user,
        referral.id,
        follow_up_on=new_date,
        expected_version=referral.version,
        today=TODAY,
    )
    session.commit()
    assert reload(session, referral.id).follow_up_on == new_date


# --- the state machine through the buttons -------------------------------------------------


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=_ids(ALLOWED))
def test_button_performs_every_allowed_transition(client, auth, session, world, current, target):  # noqa: PLR0917 - pytest passes fixtures
    referral = own_referral(session, world, current)
    auth.login(world.a.case_manager_email)
    response = press(client, referral, target)
    assert response.status_code == 200
    assert "Der Status wurde auf" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == target


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=_ids(FORBIDDEN))
def test_button_refuses_every_forbidden_transition_and_changes_nothing(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, session, world, current, target
):
    referral = own_referral(session, world, current)
    auth.login(world.a.case_manager_email)
    response = press(client, referral, target)
    assert "Der Status kann nicht von" in response.get_data(as_text=True)
    unchanged = reload(session, referral.id)
    assert (unchanged.status, unchanged.version) == (current, referral.version)


def test_screen_offers_buttons_for_exactly_the_allowed_next_steps(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    body = client.get(TRACKING).get_data(as_text=True)
    row = body.split(f'data-referral="{referral.id}"')[1].split("</tr>")[0]
    offered = {status for status in S if f'name="status" value="{status.value}"' in row}
    assert offered == {S.ACCEPTED, S.DECLINED, S.CANCELLED}
    assert 'name="csrf_token"' in row
    assert f'name="version" value="{referral.version}"' in row


def test_screen_pages_each_group_and_an_answer_keeps_the_page(
    client, auth, session, world, monkeypatch
):
    """A caseload of thousands is shown a page at a time per status; a button pressed on
    a later page comes back to that page."""
    monkeypatch.setattr(referral_tracking, "GROUP_ROWS", 2)
    for days in (30, 20, 10):
        own_referral(session, world, S.SENT, referred_on=TODAY - dt.timedelta(days=days))
    auth.login(world.a.case_manager_email)
    user = session.scalars(select(User).where(User.email == world.a.case_manager_email)).one()
    sent = [
        row.id
        for row in outgoing_referrals(
            session, user, TODAY, TrackingFilters(case_manager_id=user.id)
        )
        if row.status == S.SENT
    ]

    first = client.get(TRACKING).get_data(as_text=True)
    second = client.get(f"{TRACKING}?page_sent=2").get_data(as_text=True)

    def shown(body: str) -> list[int]:
        return [referral for referral in sent if f'data-referral="{referral}"' in body]

    assert shown(first) == sent[:2]
    assert f"Zeilen 1–2 von {len(sent)}" in first
    assert "page_sent=2" in first
    assert shown(second) == sent[2:4]
    referral = reload(session, sent[2])
    response = client.post(
        f"{TRACKING}{referral.id}/status?page_sent=2",
        data={"status": S.ACCEPTED, "version": referral.version},
    )
    assert response.status_code == 302
    assert "page_sent=2" in response.headers["Location"]
    row = second.split(f'data-referral="{referral.id}"')[1].split("</tr>")[0]
    assert "page_sent=2" in row  # the forms of page 2 carry it


@pytest.mark.parametrize(
    ("asked", "shown"), [("abc", 1), ("0", 1), ("-1", 1), ("1,2", 1), ("99999999999", 2)]
)
def test_screen_shows_the_first_page_for_no_number_and_the_last_past_the_end(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, session, world, monkeypatch, asked, shown
):
    monkeypatch.setattr(referral_tracking, "GROUP_ROWS", 2)
    for days in (30, 20, 10):
        own_referral(session, world, S.SENT, referred_on=TODAY - dt.timedelta(days=days))
    auth.login(world.a.case_manager_email)

    response = client.get(f"{TRACKING}?page_sent={asked}&page_incoming={asked}")

    assert response.status_code == 200
    first = "Zeilen 1–2 von" if shown == 1 else "Zeilen 3–"
    assert first in response.get_data(as_text=True)
    referral = own_referral(session, world, S.SENT)
    pressed = client.post(
        f"{TRACKING}{referral.id}/status?page_sent={asked}",
        data={"status": S.ACCEPTED, "version": referral.version},
    )
    kept = "page_sent=" in pressed.headers["Location"]
    assert kept == (asked.isdigit() and asked != "0")  # only a page number is kept


def test_button_sent_without_consent_is_refused(client, auth, session, world):
    referral = own_referral(session, world, S.PLANNED, consent_confirmed=False)
    auth.login(world.a.case_manager_email)
    response = press(client, referral, S.SENT)
    assert "Einwilligung zur Datenweitergabe" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.PLANNED


def test_button_with_unknown_status_value_is_refused(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    response = press(client, referral, "erledigt")
    assert "Unbekannter Status." in response.get_data(as_text=True)
    assert reload(session, referral.id).version == referral.version


def test_button_with_stale_version_is_refused(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    response = press(client, referral, S.ACCEPTED, version=referral.version - 1)
    assert "inzwischen geändert" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT


def test_button_response_date_in_future_is_refused(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = press(client, referral, S.ACCEPTED, responded_on=tomorrow)
    assert "nicht in der Zukunft" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT


def test_button_response_date_before_referral_is_refused(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    before = (referral.referred_on - dt.timedelta(days=1)).isoformat()
    response = press(client, referral, S.DECLINED, responded_on=before)
    assert "Die Antwort kann nicht vor der Vermittlung liegen." in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT


def test_button_response_date_given_is_stored(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    answered = referral.referred_on + dt.timedelta(days=2)
    press(client, referral, S.ACCEPTED, responded_on=answered.isoformat())
    assert reload(session, referral.id).responded_on == answered


def test_button_malformed_date_is_refused(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    response = press(client, referral, S.ACCEPTED, responded_on=f"31.02.{TODAY.year}")
    assert "gültiges Datum" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT


def test_reschedule_button_moves_follow_up_and_refuses_past_date(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    url = f"{TRACKING}{referral.id}/follow-up"
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    response = client.post(
        url, data={"follow_up_on": past, "version": referral.version}, follow_redirects=True
    )
    assert "nicht in der Vergangenheit" in response.get_data(as_text=True)
    later = TODAY + dt.timedelta(days=10)
    client.post(url, data={"follow_up_on": later.isoformat(), "version": referral.version})
    assert reload(session, referral.id).follow_up_on == later


def test_forged_button_for_other_organisations_referral_is_404_and_changes_nothing(
    client, auth, session, world
):
    before = reload(session, world.b.referral_id)
    auth.login(world.a.case_manager_email)
    response = client.post(
        f"{TRACKING}{world.b.referral_id}/status",
        data={"status": S.CANCELLED, "version": before.version},
    )
    assert response.status_code == 404
    response = client.post(
        f"{TRACKING}{world.b.referral_id}/follow-up",
        data={"follow_up_on": (TODAY + dt.timedelta(days=3)).isoformat(), "version": 1},
    )
    assert response.status_code == 404
    after = reload(session, world.b.referral_id)
    assert (after.status, after.version, after.follow_up_on) == (
        before.status,
        before.version,
        before.follow_up_on,
    )


@pytest.mark.parametrize("referral_id", ["abc", "0", "99999999", "1,2"])
def test_button_for_malformed_or_missing_id_is_404(client, auth, world, referral_id):
    auth.login(world.a.case_manager_email)
    response = client.post(f"{TRACKING}{referral_id}/status", data={"status": "cancelled"})
    assert response.status_code == 404


# --- the state machine through the generated edit form -----------------------------------


def edit_form_data(referral: Referral, **changes: object) -> dict[str, object]:
    data = {
        "case": referral.case_id,
        "partner": referral.partner_id,
        "topic": referral.topic_id or "__None",
        "reason": referral.reason or "",
        "referred_on": referral.referred_on.isoformat(),
        "follow_up_on": referral.follow_up_on.isoformat(),
        "status": referral.status,
        "responded_on": referral.responded_on.isoformat() if referral.responded_on else "",
        "outcome": "",
        "decline_reason": "",
        "row_version": referral.version,
    }
    if referral.consent_confirmed:
        data["consent_confirmed"] = "y"
    data.update(changes)
    return data


def post_edit(client: FlaskClient, referral: Referral, **changes: object) -> object:
    return client.post(
        f"/admin/referrals/edit/?id={referral.id}", data=edit_form_data(referral, **changes)
    )


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=_ids(ALLOWED))
def test_edit_form_performs_every_allowed_transition(client, auth, session, world, current, target):  # noqa: PLR0917 - pytest passes fixtures
    referral = own_referral(session, world, current)
    auth.login(world.a.case_manager_email)
    response = post_edit(client, referral, status=target.value)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    changed = reload(session, referral.id)
    assert changed.status == target
    if target in (S.ACCEPTED, S.DECLINED):
        assert changed.responded_on is not None


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=_ids(FORBIDDEN))
def test_edit_form_refuses_every_forbidden_transition(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, session, world, current, target
):
    referral = own_referral(session, world, current)
    auth.login(world.a.case_manager_email)
    response = post_edit(client, referral, status=target.value)
    assert response.status_code == 200
    assert "Der Status kann nicht von" in response.get_data(as_text=True)
    assert reload(session, referral.id).version == referral.version


def test_edit_form_refuses_follow_up_before_referral_date(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    early = (referral.referred_on - dt.timedelta(days=1)).isoformat()
    response = post_edit(client, referral, follow_up_on=early)
    assert "Die Wiedervorlage kann nicht vor der Vermittlung liegen." in response.get_data(
        as_text=True
    )
    assert reload(session, referral.id).follow_up_on == referral.follow_up_on


def test_edit_form_refuses_response_date_in_future(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = post_edit(client, referral, status="accepted", responded_on=tomorrow)
    assert "nicht in der Zukunft" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT


def test_edit_form_refuses_unknown_status_value(client, auth, session, world):
    referral = own_referral(session, world, S.SENT)
    auth.login(world.a.case_manager_email)
    response = post_edit(client, referral, status="erledigt")
    assert response.status_code == 200
    assert reload(session, referral.id).status == S.SENT


# --- incoming referrals between organisations ---------------------------------------------


def test_incoming_view_of_b_shows_only_referral_text_name_and_contact(client, auth, session, world):
    referral = referral_from_a_to_b(session, world)
    a_client = session.get(Client, world.a.client_id)
    a_case = session.get(Case, world.a.case_id)
    auth.login(world.b.case_manager_email)
    body = client.get(TRACKING).get_data(as_text=True)
    incoming = body.split('id="incoming"')[1].split('id="outgoing"')[0]
    for shown in (referral.reason, "Amina", "Haddad", "0211 555 0101", "amina.haddad@example.net"):
        assert shown in incoming
    for hidden in (
        a_case.case_number,
        a_client.file_number,
        "1991-04-17",
        "17.04.1991",
        "Vertrauliche Notiz",
        "Vertrauliches Ziel",
        "Geheimweg",
    ):
        assert hidden not in body


def test_incoming_query_returns_only_the_shared_fields(session, world, request_context):
    referral_from_a_to_b(session, world)
    user_b = user_by_email(session, world.b.case_manager_email)
    (item,) = incoming_referrals(session, user_b)
    assert set(vars(item)) == {
        "id",
        "version",
        "sender_name",
        "topic_name",
        "referred_on",
        "reason",
        "purpose",
        "client_first_name",
        "client_last_name",
        "client_phone",
        "client_email",
    }
    user_a = user_by_email(session, world.a.case_manager_email)
    assert incoming_referrals(session, user_a) == []


def test_accepting_creates_own_client_and_case_with_only_shared_fields(
    client, auth, session, world
):
    referral = referral_from_a_to_b(session, world)
    auth.login(world.b.case_manager_email)
    response = client.post(
        f"{TRACKING}incoming/{referral.id}/accept",
        data={"version": referral.version},
        follow_redirects=True,
    )
    assert "angenommen" in response.get_data(as_text=True)
    answered = reload(session, referral.id)
    assert answered.status == S.ACCEPTED
    assert answered.responded_on == TODAY
    assert answered.organisation_id == world.a.organisation_id
    new_case = session.get(Case, answered.receiving_case_id)
    assert new_case.organisation_id == world.b.organisation_id
    assert new_case.case_manager_id == user_by_email(session, world.b.case_manager_email).id
    assert new_case.case_number.startswith(f"CARITAS-F-{TODAY.year}-")
    assert new_case.goals is None
    new_client = new_case.client
    assert new_client.organisation_id == world.b.organisation_id
    assert new_client.id != world.a.client_id
    assert new_client.file_number.startswith(f"CARITAS-{TODAY.year}-")
    assert (new_client.first_name, new_client.last_name) == ("Amina", "Haddad")
    assert (new_client.phone, new_client.email) == ("0211 555 0101", "amina.haddad@example.net")
    assert new_client.consent_given_on == TODAY
    for not_copied in ("date_of_birth", "notes", "street", "nationality", "residence_status"):
        assert getattr(new_client, not_copied) is None
    # The incoming list is empty now; the sender's own records are untouched.
    assert "Amina" not in client.get(TRACKING).get_data(as_text=True).split('id="outgoing"')[0]
    assert session.get(Client, world.a.client_id).notes == "Vertrauliche Notiz der AWO"


def test_declining_records_reason_visible_to_sender(client, auth, session, world):
    referral = referral_from_a_to_b(session, world)
    auth.login(world.b.lead_email)
    url = f"{TRACKING}incoming/{referral.id}/decline"
    response = client.post(
        url, data={"version": referral.version, "decline_reason": "  "}, follow_redirects=True
    )
    assert "Grund für die Ablehnung" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT
    client.post(
        url, data={"version": referral.version, "decline_reason": "Keine freien Plätze bis März"}
    )
    declined = reload(session, referral.id)
    assert (declined.status, declined.decline_reason) == (
        S.DECLINED,
        "Keine freien Plätze bis März",
    )
    assert declined.responded_on == TODAY
    assert session.scalar(select(func.count()).select_from(Client)) == 2
    auth.logout()
    auth.login(world.a.case_manager_email)
    assert "Keine freien Plätze bis März" in client.get(TRACKING).get_data(as_text=True)
    details = client.get(f"/admin/referrals/details/?id={referral.id}")
    assert "Keine freien Plätze bis März" in details.get_data(as_text=True)


def test_after_accepting_neither_side_can_open_the_others_records(client, auth, session, world):
    referral = referral_from_a_to_b(session, world)
    auth.login(world.b.case_manager_email)
    client.post(f"{TRACKING}incoming/{referral.id}/accept", data={"version": referral.version})
    new_case = session.get(Case, reload(session, referral.id).receiving_case_id)
    for url in (
        f"/admin/clients/details/?id={world.a.client_id}",
        f"/admin/cases/details/?id={world.a.case_id}",
        f"/admin/referrals/details/?id={referral.id}",
        f"/admin/cases/edit/?id={world.a.case_id}",
    ):
        assert client.get(url).status_code == 404, url
    auth.logout()
    auth.login(world.a.case_manager_email)
    for url in (
        f"/admin/clients/details/?id={new_case.client_id}",
        f"/admin/cases/details/?id={new_case.id}",
    ):
        assert client.get(url).status_code == 404, url


def test_accept_or_decline_of_referral_not_addressed_to_own_organisation_is_404(
    client, auth, session, world
):
    referral = referral_from_a_to_b(session, world)
    before = reload(session, world.a.referral_id)
    auth.login(world.b.case_manager_email)
    # a's referral to the unlinked Jobcenter is not addressed to b.
    for action in ("accept", "decline"):
        response = client.post(
            f"{TRACKING}incoming/{world.a.referral_id}/{action}",
            data={"version": before.version, "decline_reason": "x"},
        )
        assert response.status_code == 404
    auth.logout()
    # The sender cannot answer its own referral as if it were the receiver.
    auth.login(world.a.case_manager_email)
    response = client.post(
        f"{TRACKING}incoming/{referral.id}/accept", data={"version": referral.version}
    )
    assert response.status_code == 404
    assert reload(session, referral.id).status == S.SENT
    assert reload(session, world.a.referral_id).version == before.version
    assert session.scalar(select(func.count()).select_from(Client)) == 2


def test_accepting_a_referral_no_longer_sent_is_refused(client, auth, session, world):
    referral = referral_from_a_to_b(session, world, status=S.CANCELLED)
    auth.login(world.b.case_manager_email)
    response = client.post(
        f"{TRACKING}incoming/{referral.id}/accept",
        data={"version": referral.version},
        follow_redirects=True,
    )
    assert "wartet nicht mehr auf eine Antwort" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.CANCELLED
    assert session.scalar(select(func.count()).select_from(Client)) == 2


def test_accepting_with_stale_version_is_refused_and_creates_nothing(client, auth, session, world):
    referral = referral_from_a_to_b(session, world)
    auth.login(world.b.case_manager_email)
    response = client.post(
        f"{TRACKING}incoming/{referral.id}/accept",
        data={"version": referral.version + 1},
        follow_redirects=True,
    )
    assert "inzwischen geändert" in response.get_data(as_text=True)
    assert reload(session, referral.id).status == S.SENT
    assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_accept_is_one_transaction_that_rolls_back_entirely(session, world, request_context):
    referral = referral_from_a_to_b(session, world)
    user_b = user_by_email(session, world.b.case_manager_email)
    accept_incoming(session, user_b, referral.id, expected_version=referral.version, today=TODAY)
    session.rollback()
    assert reload(session, referral.id).status == S.SENT
    assert session.scalar(select(func.count()).select_from(Client)) == 2
    assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_referral_to_unlinked_partner_is_incoming_nowhere(
    client, auth, session, world, request_context
):
    for email in (world.a.case_manager_email, world.b.case_manager_email, world.b.lead_email):
        auth.login(email)
        body = client.get(TRACKING).get_data(as_text=True)
        assert "Keine eingehenden Vermittlungen." in body
        auth.logout()
    for email in (world.a.case_manager_email, world.b.case_manager_email):
        user = user_by_email(session, email)
        assert incoming_referrals(session, user) == []


def test_declining_without_write_permission_is_refused(client, auth, session, world):
    referral = referral_from_a_to_b(session, world)
    auth.login(world.coordinator_email)
    response = client.post(
        f"{TRACKING}incoming/{referral.id}/decline",
        data={"version": referral.version, "decline_reason": "x"},
    )
    assert response.status_code == 403
    assert reload(session, referral.id).status == S.SENT


def test_decline_service_with_too_long_reason_is_refused(session, world, request_context):
    referral = referral_from_a_to_b(session, world)
    user_b = user_by_email(session, world.b.case_manager_email)
    with pytest.raises(ReferralWorkflowError, match="höchstens"):
        decline_incoming(
            session,
            user_b,
            referral.id,
            expected_version=referral.version,
            reason="x" * 2001,
            today=TODAY,
        )


# --- overdue, ordering, filters, query count -----------------------------------------------


def test_overdue_is_decided_in_the_sql_query(session, world, connection, request_context):
    due_yesterday = own_referral(
        session,
        world,
        S.SENT,
        referred_on=TODAY - dt.timedelta(days=20),
        follow_up_on=TODAY - dt.timedelta(days=1),
    )
    user = user_by_email(session, world.a.case_manager_email)
    with counted_queries(connection) as statements:
        rows = outgoing_referrals(session, user, TODAY, TrackingFilters())
    assert len(statements) == 1
    assert "follow_up_on <" in statements[0]
    flags = {row.id: row.overdue for row in rows}
    assert flags[due_yesterday.id] is True
    assert flags[world.a.referral_id] is True  # the fixture's follow-up lies in March
    # The same rows a day before the follow-up date are not overdue: the date is a parameter.
    earlier = outgoing_referrals(session, user, TODAY - dt.timedelta(days=300), TrackingFilters())
    assert not any(row.overdue for row in earlier if row.id == due_yesterday.id)


def test_screen_lists_overdue_first_and_marks_them(client, auth, session, world):
    waiting = own_referral(session, world, S.SENT, follow_up_on=TODAY + dt.timedelta(days=5))
    auth.login(world.a.case_manager_email)
    body = client.get(TRACKING).get_data(as_text=True)
    overdue_row = body.index(f'data-referral="{world.a.referral_id}"')
    waiting_row = body.index(f'data-referral="{waiting.id}"')
    assert overdue_row < waiting_row
    assert "überfällig" in body[overdue_row:waiting_row]


def test_screen_shows_client_partner_topic_days_and_follow_up(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    body = client.get(TRACKING).get_data(as_text=True)
    row = body.split(f'data-referral="{world.a.referral_id}"')[1].split("</tr>")[0]
    for shown in (
        "Haddad, Amina",
        "Jobcenter Düsseldorf",
        "Arbeit und Beruf",
        f">{(TODAY - REFERRED_ON).days}</td>",
        f"{FOLLOW_UP_ON:%d.%m.%Y}",
    ):
        assert shown in row


def test_case_manager_sees_own_referrals_by_default_lead_the_team(client, auth, session, world):
    colleague = session.get(User, user_by_email(session, world.a.lead_email).id)
    other_client = make_client(
        session,
        session.get(User, colleague.id).organisation,
        colleague,
        first_name="Jelena",
        last_name="Petrović",
    )
    other_case = make_case(session, other_client, colleague)
    other = make_referral(session, other_case, session.get(Partner, world.partner_id))
    session.commit()
    auth.login(world.a.case_manager_email)
    assert f'data-referral="{other.id}"' not in client.get(TRACKING).get_data(as_text=True)
    team = client.get(f"{TRACKING}?manager=all").get_data(as_text=True)
    assert f'data-referral="{other.id}"' in team
    auth.logout()
    auth.login(world.a.lead_email)
    body = client.get(TRACKING).get_data(as_text=True)
    assert f'data-referral="{other.id}"' in body
    assert f'data-referral="{world.a.referral_id}"' in body
    mine = client.get(f"{TRACKING}?manager=mine").get_data(as_text=True)
    assert f'data-referral="{world.a.referral_id}"' not in mine


def test_filters_by_partner_and_topic(client, auth, session, world):
    other_partner = make_partner(session, "Wohnungsamt Düsseldorf", kind="authority")
    session.commit()
    by_other = own_referral(session, world, S.SENT, partner=other_partner)
    auth.login(world.a.case_manager_email)
    body = client.get(f"{TRACKING}?partner={other_partner.id}").get_data(as_text=True)
    assert f'data-referral="{by_other.id}"' in body
    assert f'data-referral="{world.a.referral_id}"' not in body
    body = client.get(f"{TRACKING}?topic={world.topic_id}").get_data(as_text=True)
    assert f'data-referral="{world.a.referral_id}"' in body
    assert f'data-referral="{by_other.id}"' not in body


def test_screen_never_shows_other_organisations_referrals(client, auth, world):
    auth.login(world.a.lead_email)
    body = client.get(f"{TRACKING}?manager=all").get_data(as_text=True)
    assert f'data-referral="{world.b.referral_id}"' not in body
    assert world.b.client_name not in body


def _fill(session: Session, world: World, count: int) -> None:
    """``count`` more own referrals of a, and as many incoming ones from b to a."""
    case = session.get(Case, world.a.case_id)
    partner = session.get(Partner, world.partner_id)
    linked_to_a = session.execute(
        select(Partner).where(Partner.organisation_id == world.a.organisation_id)
    ).scalar_one_or_none() or make_partner(
        session,
        "AWO Düsseldorf (KIM)",
        kind="kim_provider",
        organisation_id=world.a.organisation_id,
    )
    b_case = session.get(Case, world.b.case_id)
    statuses = [S.PLANNED, S.SENT, S.ACCEPTED]
    for number in range(count):
        make_referral(
            session,
            case,
            partner,
            status=statuses[number % 3],
            follow_up_on=TODAY + dt.timedelta(days=number - count // 2),
            referred_on=TODAY - dt.timedelta(days=count),
        )
        make_referral(session, b_case, linked_to_a)
    session.commit()


@pytest.mark.parametrize("role", ["case_manager_email", "lead_email"])
def test_screen_query_count_does_not_grow_with_referrals(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, session, world, connection, role
):
    auth.login(getattr(world.a, role))
    counts = []
    for total in (3, 30):
        _fill(session, world, total - len(counts) * 3)
        with counted_queries(connection) as statements:
            response = client.get(f"{TRACKING}?manager=all")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="outgoing-referral') >= total
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- start page and partner list -------------------------------------------------------------


def test_start_page_links_to_overdue_incoming_and_my_open_cases(client, auth, session, world):
    referral_from_a_to_b(session, world)
    auth.login(world.b.case_manager_email)
    body = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/referral-tracking/"' in body
    assert 'href="/admin/referral-tracking/#incoming"' in body
    start, _rest = body.split("Zu meinen offenen Fällen")
    link = start.rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    cases = client.get(link).get_data(as_text=True)
    assert world.b.client_name in cases
    # One open case, one overdue follow-up (the fixture's), one incoming referral.
    numbers = [part.split("</p>")[0] for part in body.split('class="display-4">')[1:]]
    assert numbers == ["1", "1", "1"]


def test_start_page_my_open_cases_link_excludes_colleagues_cases(client, auth, session, world):
    lead = user_by_email(session, world.a.lead_email)
    other_client = make_client(
        session, lead.organisation, lead, first_name="Jelena", last_name="Petrović"
    )
    make_case(session, other_client, lead)
    session.commit()
    auth.login(world.a.case_manager_email)
    body = client.get("/admin/").get_data(as_text=True)
    link = body.split("Zu meinen offenen Fällen")[0].rsplit('href="', 1)[1].split('"')[0]
    cases = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert world.a.client_name in cases
    assert "Petrović" not in cases


def test_partner_list_shows_own_open_and_overdue_referrals_per_partner(
    client, auth, session, world
):
    own_referral(session, world, S.ACCEPTED, follow_up_on=TODAY + dt.timedelta(days=3))
    own_referral(session, world, S.COMPLETED)
    auth.login(world.a.case_manager_email)
    body = client.get("/admin/partners/").get_data(as_text=True)
    row = body.split("Jobcenter Düsseldorf")[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("<")[0].strip() for cell in row.split("<td")[1:]]
    # Two open (the fixture's overdue one and the accepted one), one of them overdue;
    # b's referral to the same partner is not counted.
    assert cells[-2:] == ["2", "1"]


def test_partner_list_counts_take_one_query_for_the_page(client, auth, session, world, connection):
    auth.login(world.a.case_manager_email)
    counts = []
    for extra in (0, 15):
        for number in range(extra):
            extra_partner = make_partner(session, f"Beratungsstelle {number}", kind="counselling")
            own_referral(session, world, S.SENT, partner=extra_partner)
        session.commit()
        with counted_queries(connection) as statements:
            assert client.get("/admin/partners/").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_partner_list_hides_referral_counts_from_coordination(client, auth, world):
    auth.login(world.coordinator_email)
    body = client.get("/admin/partners/").get_data(as_text=True)
    assert "Offene Vermittlungen" not in body


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(TRACKING)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["coordinator_email", "admin_email"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", "1/status"),
        ("post", "1/follow-up"),
        ("post", "incoming/1/accept"),
        ("post", "incoming/1/decline"),
    ],
)
def test_system_level_roles_may_not_use_tracking(client, auth, world, who, method, path):  # noqa: PLR0917 - pytest passes fixtures
    auth.login(getattr(world, who))
    response = getattr(client, method)(f"{TRACKING}{path}")
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["case_manager_email", "lead_email"])
def test_case_level_roles_may_use_tracking(client, auth, world, who):
    auth.login(getattr(world.a, who))
    assert client.get(TRACKING).status_code == 200


def test_a_status_change_by_button_writes_one_referral_status_event(
    client, auth, session, world, connection
):
    referral = own_referral(session, world, "sent")
    auth.login(world.a.case_manager_email)
    press(client, referral, "accepted")
    (event,) = events(connection, action="referral_status")
    assert event.record_id == referral.id
    assert json.loads(event.changed_fields)["status"] == ["sent", "accepted"]
    assert event.organisation_id == world.a.organisation_id
