"""Every service reads through the one visibility rule: archived = foreign = missing = 404.

The generated screens are walked by test_scoping.py and test_permissions.py; this file
walks the services behind the custom screens (referral workflow, incoming referrals,
subject access, partner and start page counts) with an archived and a foreign record.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import today
from models import Case, Client, Partner, Referral, User
from models.caseload import caseload_counts
from models.choices import ReferralStatus
from models.lifecycle import archive
from models.referral_workflow import incoming_referrals, referral_counts_by_partner
from models.visibility import Shelf, visible_one
from tests.factories import World, make_partner, make_referral

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

TRACKING = "/admin/referral-tracking/"


def user_by_email(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def archive_client_of_a(session: Session, world: World) -> None:
    lead = user_by_email(session, world.a.lead_email)
    archive(session, lead, session.get_one(Client, world.a.client_id))
    session.commit()


def open_referral_of_a(session: Session, world: World, **values: object) -> Referral:
    """A sent, overdue referral of organisation a, as the tracking screen lists it."""
    values.setdefault("status", ReferralStatus.SENT)
    values.setdefault("consent_confirmed", True)
    values.setdefault("referred_on", today() - dt.timedelta(days=30))
    values.setdefault("follow_up_on", today() - dt.timedelta(days=2))
    partner = values.pop("partner", None) or session.get_one(Partner, world.partner_id)
    referral = make_referral(session, session.get_one(Case, world.a.case_id), partner, **values)
    session.commit()
    return referral


def referral_from_a_to_b(session: Session, world: World) -> Referral:
    partner_b = make_partner(
        session, "Caritas (KIM)", kind="kim_provider", organisation_id=world.b.organisation_id
    )
    return open_referral_of_a(session, world, partner=partner_b)


def state_of(session: Session, referral_id: int) -> tuple[int, str, dt.date]:
    session.expire_all()
    referral = session.get_one(Referral, referral_id)
    return referral.version, referral.status, referral.follow_up_on


def referral_out_of_reach(session: Session, world: World, record: str) -> tuple[int, int]:
    """Id and version of a referral organisation a's lead must not touch: archived or b's."""
    if record == "archived":
        referral = open_referral_of_a(session, world)
        archive_client_of_a(session, world)
        return referral.id, referral.version
    return world.b.referral_id, session.get_one(Referral, world.b.referral_id).version


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# --- the look-up itself ----------------------------------------------------------------


@pytest.mark.parametrize("raw_id", ["", "abc", "1,2", "-1", "0", "99999999", "1e3", None])
def test_visible_one_finds_nothing_for_a_malformed_or_missing_id(session, world, raw_id):
    lead = user_by_email(session, world.a.lead_email)
    assert visible_one(session, lead, Client, raw_id) is None


def test_visible_one_finds_nothing_of_another_organisation(session, world):
    lead = user_by_email(session, world.a.lead_email)
    assert visible_one(session, lead, Client, world.a.client_id) is not None
    assert visible_one(session, lead, Client, world.b.client_id) is None
    assert visible_one(session, lead, Referral, world.b.referral_id) is None


def test_visible_one_hides_archived_records_and_their_children_from_the_working_shelf(
    session, world
):
    archive_client_of_a(session, world)
    lead = user_by_email(session, world.a.lead_email)
    for model, record_id in (
        (Client, world.a.client_id),
        (Case, world.a.case_id),
        (Referral, world.a.referral_id),
    ):
        assert visible_one(session, lead, model, record_id) is None
        assert visible_one(session, lead, model, record_id, shelf=Shelf.ANY) is not None
    assert visible_one(session, lead, Client, world.a.client_id, shelf=Shelf.ARCHIVE)


# --- the referral workflow behind the tracking screen -----------------------------------


@pytest.mark.parametrize("record", ["archived", "foreign"])
def test_follow_up_of_an_archived_or_foreign_referral_is_404_and_changes_nothing(
    client: FlaskClient, auth, session, world, record
):
    referral_id, version = referral_out_of_reach(session, world, record)
    before = state_of(session, referral_id)
    auth.login(world.a.lead_email)

    response = client.post(
        f"{TRACKING}{referral_id}/follow-up",
        data={"follow_up_on": (today() + dt.timedelta(days=7)).isoformat(), "version": version},
    )

    assert response.status_code == 404
    assert state_of(session, referral_id) == before


@pytest.mark.parametrize("record", ["archived", "foreign"])
def test_status_button_of_an_archived_or_foreign_referral_is_404_and_changes_nothing(
    client: FlaskClient, auth, session, world, record
):
    referral_id, version = referral_out_of_reach(session, world, record)
    before = state_of(session, referral_id)
    auth.login(world.a.lead_email)

    response = client.post(
        f"{TRACKING}{referral_id}/status", data={"status": "cancelled", "version": version}
    )

    assert response.status_code == 404
    assert state_of(session, referral_id) == before


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_answer_to_a_referral_whose_sender_archived_the_client_is_404_and_creates_nothing(
    client: FlaskClient, auth, session, world, answer
):
    referral = referral_from_a_to_b(session, world)
    archive_client_of_a(session, world)
    before = state_of(session, referral.id)
    clients_before, cases_before = count(session, Client), count(session, Case)
    auth.login(world.b.case_manager_email)

    response = client.post(
        f"{TRACKING}incoming/{referral.id}/{answer}",
        data={"version": referral.version, "reason": "Keine Kapazität"},
    )

    assert response.status_code == 404
    assert state_of(session, referral.id) == before
    assert (count(session, Client), count(session, Case)) == (clients_before, cases_before)


@pytest.mark.parametrize("archived", ["client", "case"])
def test_a_referral_whose_sender_archived_the_client_or_the_case_leaves_the_incoming_list(
    client: FlaskClient, auth, session, world, archived
):
    referral = referral_from_a_to_b(session, world)
    receiver = user_by_email(session, world.b.case_manager_email)
    assert [incoming.id for incoming in incoming_referrals(session, receiver)] == [referral.id]

    if archived == "client":
        archive_client_of_a(session, world)
    else:  # the case alone: the client stays in the working lists
        lead = user_by_email(session, world.a.lead_email)
        archive(session, lead, session.get_one(Case, world.a.case_id))
        session.commit()
        assert session.get_one(Client, world.a.client_id).archived_at is None

    assert incoming_referrals(session, receiver) == []
    assert caseload_counts(session, receiver, today()).incoming_referrals == 0
    auth.login(world.b.case_manager_email)
    page = client.get(TRACKING).get_data(as_text=True)
    assert "Haddad" not in page.split('id="incoming"')[1].split('id="outgoing"')[0]
    answered = client.post(
        f"{TRACKING}incoming/{referral.id}/accept", data={"version": referral.version}
    )
    assert answered.status_code == 404


def test_a_referral_whose_client_withdrew_consent_leaves_the_incoming_list(session, world):
    referral = referral_from_a_to_b(session, world)
    receiver = user_by_email(session, world.b.case_manager_email)
    assert caseload_counts(session, receiver, today()).incoming_referrals == 1

    session.get_one(Client, world.a.client_id).consent_withdrawn_on = today()
    session.commit()

    assert incoming_referrals(session, receiver) == []
    assert caseload_counts(session, receiver, today()).incoming_referrals == 0
    assert session.get_one(Referral, referral.id).status == "sent"  # still the sender's


# --- subject access ---------------------------------------------------------------------


def test_subject_access_of_another_organisations_client_is_404(client: FlaskClient, auth, world):
    auth.login(world.a.lead_email)
    response = client.get(f"/admin/clients/subject-access/?id={world.b.client_id}")
    assert response.status_code == 404


def test_subject_access_covers_an_archived_own_client(client: FlaskClient, auth, session, world):
    """Archived data is still stored data: Art. 15 answers for it (from the archive list)."""
    archive_client_of_a(session, world)
    auth.login(world.a.lead_email)
    response = client.get(f"/admin/clients/subject-access/?id={world.a.client_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"


# --- counts -----------------------------------------------------------------------------


def test_partner_counts_leave_out_referrals_of_archived_cases_and_other_organisations(
    session, world
):
    lead_a = user_by_email(session, world.a.lead_email)
    lead_b = user_by_email(session, world.b.lead_email)
    b_before = referral_counts_by_partner(session, lead_b, [world.partner_id], today())
    referral = open_referral_of_a(session, world)
    before = referral_counts_by_partner(session, lead_a, [referral.partner_id], today())
    assert before[referral.partner_id][1] >= 1  # a's only case has an overdue referral

    archive_client_of_a(session, world)

    after = referral_counts_by_partner(session, lead_a, [referral.partner_id], today())
    assert after.get(referral.partner_id, (0, 0)) == (0, 0)
    # b's counts are b's own: a's referrals to the same partner never show there.
    assert referral_counts_by_partner(session, lead_b, [world.partner_id], today()) == b_before


def test_start_page_counts_leave_out_archived_cases_and_other_organisations(session, world):
    manager_a = user_by_email(session, world.a.case_manager_email)
    manager_b = user_by_email(session, world.b.case_manager_email)
    b_before = caseload_counts(session, manager_b, today())
    open_referral_of_a(session, world)
    before = caseload_counts(session, manager_a, today())
    assert before.my_open_cases == 1
    assert before.overdue_referrals >= 1

    archive_client_of_a(session, world)

    after = caseload_counts(session, manager_a, today())
    assert (after.my_open_cases, after.overdue_referrals) == (0, 0)
    assert caseload_counts(session, manager_b, today()) == b_before
