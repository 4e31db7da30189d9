"""Aufgaben: automatic tasks follow their sources (created once, finished, cancelled)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.clock import today
from models import Case, Consent, Organisation, Partner, Referral, User
from models.choices import (
    CasePhase,
    PlanStatus,
    ReferralStatus,
    Role,
    StatusKind,
    TaskKind,
    TaskSource,
    TaskStatus,
)
from models.lifecycle import archive, restore
from models.plan import IntegrationPlan, PlanGoal, PlanStep, agree, default_review_on, new_version
from models.tasks import (
    ExpiryWindows,
    Task,
    TaskError,
    finish_task,
    my_tasks,
    open_work_of,
    reassign_open_work,
    sync_case_tasks,
    sync_organisation_tasks,
    team_overview,
)
from tests.factories import (
    CONTACT_ON,
    FOLLOW_UP_ON,
    TODAY,
    World,
    client_period,
    make_case,
    make_client,
    make_consent,
    make_contact,
    make_plan,
    make_step,
    make_task,
    make_user,
)

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def user(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def tasks_of(session: Session, case_id: int) -> dict[tuple[str | None, int | None], Task]:
    session.expire_all()
    rows = session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.id))
    return {(task.source_kind, task.source_id): task for task in rows}


def automatic(session: Session, world: World) -> dict[str, Task]:
    found = tasks_of(session, world.a.case_id)
    return {str(kind): task for (kind, _id), task in found.items() if kind is not None}


# --- created once ------------------------------------------------------------------------


def test_the_world_case_has_one_task_per_source(session, world):
    found = tasks_of(session, world.a.case_id)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    assert set(found) == {
        (None, None),  # the manual task
        (TaskSource.PLAN_STEP, world.a.step_id),
        (TaskSource.PLAN_REVIEW, world.a.plan_id),
        (TaskSource.REFERRAL, world.a.referral_id),
        (TaskSource.NO_CONTACT, world.a.case_id),
    }
    step_task = found[(TaskSource.PLAN_STEP, world.a.step_id)]
    assert (step_task.kind, step_task.due_on) == (TaskKind.FOLLOW_UP, TODAY + dt.timedelta(days=7))
    review = found[(TaskSource.PLAN_REVIEW, world.a.plan_id)]
    assert (review.kind, review.due_on) == (TaskKind.PLAN_REVIEW, plan.review_on)
    referral_task = found[(TaskSource.REFERRAL, world.a.referral_id)]
    assert referral_task.due_on == FOLLOW_UP_ON
    silent = found[(TaskSource.NO_CONTACT, world.a.case_id)]
    assert (silent.kind, silent.due_on) == (TaskKind.CALL_BACK, CONTACT_ON + dt.timedelta(days=30))
    for task in found.values():
        assert task.organisation_id == world.a.organisation_id
        assert task.assignee_id == world.a.case_manager_id
        assert task.status == TaskStatus.OPEN


def test_syncing_again_and_again_creates_nothing_new(session, world, request_context):
    before = {
        key: (task.id, task.version) for key, task in tasks_of(session, world.a.case_id).items()
    }
    for _ in range(3):
        sync_case_tasks(session, [world.a.case_id, world.b.case_id], TODAY)
        session.commit()
    sync_organisation_tasks(session, None, TODAY)
    session.commit()
    after = {
        key: (task.id, task.version) for key, task in tasks_of(session, world.a.case_id).items()
    }
    assert after == before


def test_a_second_task_for_the_same_source_is_refused_by_the_database(session, world):
    manager = user(session, world.a.case_manager_email)
    case = session.get(Case, world.a.case_id)
    make_task(session, manager, case=case)  # manual tasks have no source: any number of them
    with pytest.raises(IntegrityError):
        make_task(
            session,
            manager,
            case=case,
            source_kind=TaskSource.REFERRAL,
            source_id=world.a.referral_id,
        )
    session.rollback()


def test_a_new_step_with_a_date_gets_its_task_at_commit(session, world):
    goal = session.get(PlanGoal, world.a.goal_id)
    step = make_step(session, goal, description="Bewerbung schreiben", due_on=TODAY)
    undated = make_step(session, goal, description="irgendwann", due_on=None)
    session.commit()
    found = tasks_of(session, world.a.case_id)
    assert found[(TaskSource.PLAN_STEP, step.id)].due_on == TODAY
    assert found[(TaskSource.PLAN_STEP, step.id)].note == "Bewerbung schreiben"
    assert (TaskSource.PLAN_STEP, undated.id) not in found


# --- closed with the source --------------------------------------------------------------


def test_finishing_the_step_finishes_its_task(session, world):
    session.get(PlanStep, world.a.step_id).done_on = TODAY
    session.commit()
    task = tasks_of(session, world.a.case_id)[(TaskSource.PLAN_STEP, world.a.step_id)]
    assert (task.status, task.done_on) == (TaskStatus.DONE, TODAY)


def test_moving_the_steps_date_moves_its_task(session, world):
    session.get(PlanStep, world.a.step_id).due_on = TODAY + dt.timedelta(days=20)
    session.commit()
    task = tasks_of(session, world.a.case_id)[(TaskSource.PLAN_STEP, world.a.step_id)]
    assert (task.status, task.due_on) == (TaskStatus.OPEN, TODAY + dt.timedelta(days=20))


def test_deleting_the_step_cancels_its_task(session, world):
    session.delete(session.get(PlanStep, world.a.step_id))
    session.commit()
    task = tasks_of(session, world.a.case_id)[(TaskSource.PLAN_STEP, world.a.step_id)]
    assert task.status == TaskStatus.CANCELLED


@pytest.mark.parametrize(
    "final", [ReferralStatus.COMPLETED, ReferralStatus.DECLINED, ReferralStatus.CANCELLED]
)
def test_a_finished_referral_finishes_its_follow_up_task(session, world, final):
    referral = session.get(Referral, world.a.referral_id)
    if final == ReferralStatus.COMPLETED:
        referral.status = ReferralStatus.ACCEPTED
        session.flush()
    referral.status = final
    session.commit()
    task = tasks_of(session, world.a.case_id)[(TaskSource.REFERRAL, world.a.referral_id)]
    assert (task.status, task.done_on) == (TaskStatus.DONE, TODAY)


def test_rescheduling_the_referral_moves_its_task(session, world):
    session.get(Referral, world.a.referral_id).follow_up_on = TODAY + dt.timedelta(days=3)
    session.commit()
    task = tasks_of(session, world.a.case_id)[(TaskSource.REFERRAL, world.a.referral_id)]
    assert task.due_on == TODAY + dt.timedelta(days=3)


def test_a_new_version_agreed_finishes_the_old_review_and_carries_the_steps(
    session, world, request_context
):
    lead = user(session, world.a.lead_email)
    old = session.get(IntegrationPlan, world.a.plan_id)
    draft = new_version(session, lead, old)
    session.commit()
    # A draft has no review yet; its copied step already has its own task.
    found = tasks_of(session, world.a.case_id)
    copied_step = draft.goals[0].steps[0]
    assert found[(TaskSource.PLAN_STEP, copied_step.id)].status == TaskStatus.OPEN
    assert (TaskSource.PLAN_REVIEW, draft.id) not in found

    draft.status, draft.agreed_on, draft.agreement_form = PlanStatus.AGREED, TODAY, "signed"
    agree(session, draft)
    session.commit()

    found = tasks_of(session, world.a.case_id)
    old_review = found[(TaskSource.PLAN_REVIEW, old.id)]
    assert (old_review.status, old_review.done_on) == (TaskStatus.DONE, TODAY)
    new_review = found[(TaskSource.PLAN_REVIEW, draft.id)]
    assert (new_review.status, new_review.due_on) == (TaskStatus.OPEN, default_review_on(TODAY))
    # The step of the superseded version lives on in the new one: its task is cancelled.
    assert found[(TaskSource.PLAN_STEP, world.a.step_id)].status == TaskStatus.CANCELLED


def test_a_contact_finishes_the_no_contact_task_and_silence_reopens_it(
    session, world, clock, request_context
):
    case = session.get(Case, world.a.case_id)
    make_contact(session, case, contact_date=TODAY)
    session.commit()
    silent = tasks_of(session, world.a.case_id)[(TaskSource.NO_CONTACT, world.a.case_id)]
    assert (silent.status, silent.done_on) == (TaskStatus.DONE, TODAY)

    clock.shift(dt.timedelta(days=29))
    sync_organisation_tasks(session, world.a.organisation_id, today())
    session.commit()
    still_done = tasks_of(session, world.a.case_id)[(TaskSource.NO_CONTACT, world.a.case_id)]
    assert still_done.status == TaskStatus.DONE

    clock.shift(dt.timedelta(days=1))
    sync_organisation_tasks(session, world.a.organisation_id, today())
    session.commit()
    again = tasks_of(session, world.a.case_id)[(TaskSource.NO_CONTACT, world.a.case_id)]
    assert (again.id, again.status, again.done_on) == (silent.id, TaskStatus.OPEN, None)
    assert again.due_on == TODAY + dt.timedelta(days=30)


def test_the_days_without_contact_are_set_per_organisation(session, world, request_context):
    case = session.get(Case, world.a.case_id)
    make_contact(session, case, contact_date=TODAY - dt.timedelta(days=12))
    session.commit()
    assert tasks_of(session, case.id)[(TaskSource.NO_CONTACT, case.id)].status == TaskStatus.DONE

    session.get(Organisation, world.a.organisation_id).no_contact_days = 10
    session.flush()
    sync_organisation_tasks(session, world.a.organisation_id, TODAY)
    session.commit()
    task = tasks_of(session, case.id)[(TaskSource.NO_CONTACT, case.id)]
    assert (task.status, task.due_on) == (TaskStatus.OPEN, TODAY - dt.timedelta(days=2))
    other = tasks_of(session, world.b.case_id)[(TaskSource.NO_CONTACT, world.b.case_id)]
    assert other.due_on == CONTACT_ON + dt.timedelta(days=30)


def test_a_new_case_gets_its_no_contact_task_only_after_the_days(session, world, clock):
    organisation = session.get(Organisation, world.a.organisation_id)
    manager = user(session, world.a.case_manager_email)
    client = make_client(session, organisation, manager, first_name="Neu")
    case = make_case(session, client, manager, opened_on=TODAY)
    session.commit()
    assert tasks_of(session, case.id) == {}
    clock.shift(dt.timedelta(days=30))
    sync_organisation_tasks(session, organisation.id, today())
    session.commit()
    assert tasks_of(session, case.id)[(TaskSource.NO_CONTACT, case.id)].due_on == today()


# --- cancelled with the case -------------------------------------------------------------


def close(case: Case) -> None:
    case.phase, case.closed_on, case.closure_reason = CasePhase.CLOSED, TODAY, "goals_met"


def test_closing_the_case_cancels_every_open_task_manual_ones_too(session, world):
    session.get(PlanStep, world.a.step_id).done_on = TODAY
    session.commit()
    close(session.get(Case, world.a.case_id))
    session.commit()

    found = tasks_of(session, world.a.case_id)
    assert found[(TaskSource.PLAN_STEP, world.a.step_id)].status == TaskStatus.DONE  # stays done
    others = [task for key, task in found.items() if key[0] != TaskSource.PLAN_STEP]
    assert {task.status for task in others} == {TaskStatus.CANCELLED}
    assert (None, None) in found
    other_org = tasks_of(session, world.b.case_id)
    assert {task.status for task in other_org.values()} == {TaskStatus.OPEN}


def test_a_sync_after_closing_creates_nothing(session, world, clock):
    close(session.get(Case, world.a.case_id))
    session.commit()
    goal = session.get(PlanGoal, world.a.goal_id)
    make_step(session, goal, description="nach dem Abschluss", due_on=TODAY)
    session.commit()
    clock.shift(dt.timedelta(days=60))
    sync_case_tasks(session, [world.a.case_id], today())
    session.commit()
    assert {task.status for task in tasks_of(session, world.a.case_id).values()} == {
        TaskStatus.CANCELLED
    }


def test_archiving_cancels_and_restoring_reopens_the_automatic_tasks(session, world):
    lead = user(session, world.a.lead_email)
    case = session.get(Case, world.a.case_id)
    archive(session, lead, case)
    session.commit()
    assert {task.status for task in tasks_of(session, case.id).values()} == {TaskStatus.CANCELLED}

    restore(session, lead, session.get(Case, world.a.case_id))
    session.commit()
    found = tasks_of(session, case.id)
    assert found[(None, None)].status == TaskStatus.CANCELLED  # a manual task stays cancelled
    assert {task.status for key, task in found.items() if key[0]} == {TaskStatus.OPEN}


# --- who the tasks belong to -------------------------------------------------------------


def test_automatic_tasks_follow_the_cases_case_manager(session, world):
    organisation = session.get(Organisation, world.a.organisation_id)
    colleague = make_user(session, Role.CASE_MANAGER, organisation, email="neu.awo@example.org")
    session.get(Case, world.a.case_id).case_manager_id = colleague.id
    session.commit()
    found = tasks_of(session, world.a.case_id)
    assert found[(None, None)].assignee_id == world.a.case_manager_id
    assert {task.assignee_id for key, task in found.items() if key[0]} == {colleague.id}


def test_a_lead_hands_over_all_open_cases_and_tasks(session, world, request_context):
    lead = user(session, world.a.lead_email)
    leaving = user(session, world.a.case_manager_email)
    successor = user(session, world.a.lead_email)
    assert open_work_of(session, lead, leaving.id).cases == 1

    moved = reassign_open_work(session, lead, leaving, successor)
    session.commit()

    assert moved.cases == 1
    assert moved.tasks == 5
    assert session.get(Case, world.a.case_id).case_manager_id == successor.id
    assignees = {task.assignee_id for task in tasks_of(session, world.a.case_id).values()}
    assert assignees == {successor.id}
    assert open_work_of(session, lead, leaving.id).tasks == 0
    assert session.get(Case, world.b.case_id).case_manager_id == world.b.case_manager_id


def test_work_goes_to_no_one_of_another_organisation(session, world, request_context):
    lead = user(session, world.a.lead_email)
    leaving = user(session, world.a.case_manager_email)
    stranger = user(session, world.b.lead_email)
    with pytest.raises(TaskError, match="aktive Kollegin"):
        reassign_open_work(session, lead, leaving, stranger)
    with pytest.raises(TaskError, match="andere Person"):
        reassign_open_work(session, lead, leaving, leaving)


# --- finishing a task by hand ------------------------------------------------------------


def test_finishing_by_hand(session, world, request_context):
    manager = user(session, world.a.case_manager_email)
    found = tasks_of(session, world.a.case_id)

    finish_task(session, manager, found[(None, None)], TODAY)
    finish_task(session, manager, found[(TaskSource.PLAN_STEP, world.a.step_id)], TODAY)
    with pytest.raises(TaskError, match="mit ihrer Quelle erledigt"):
        finish_task(session, manager, found[(TaskSource.REFERRAL, world.a.referral_id)], TODAY)
    session.commit()

    found = tasks_of(session, world.a.case_id)
    assert found[(None, None)].status == TaskStatus.DONE
    assert session.get(PlanStep, world.a.step_id).done_on == TODAY  # the source is finished
    assert found[(TaskSource.PLAN_STEP, world.a.step_id)].status == TaskStatus.DONE
    with pytest.raises(TaskError, match="nicht mehr offen"):
        finish_task(session, manager, found[(None, None)], TODAY)


# --- what the start page and the team view count -----------------------------------------


def test_my_tasks_are_grouped_overdue_today_and_the_next_14_days(session, world):
    manager = user(session, world.a.case_manager_email)
    for days in (-1, 0, 14, 15):
        make_task(session, manager, due_on=TODAY + dt.timedelta(days=days), note=f"in {days}")
    session.commit()

    mine = my_tasks(session, manager, TODAY)

    # Overdue: the plan review, the referral, no contact, and "in -1"; today: the manual
    # world task and "in 0"; the next 14 days: the step (in 7) and "in 14".
    assert (mine.overdue, mine.today, mine.upcoming) == (4, 2, 2)
    assert [task.note for task in mine.upcoming_tasks] == [
        "Termin bei der Pflegeschule vereinbaren",
        "in 14",
    ]
    other = my_tasks(session, user(session, world.b.case_manager_email), TODAY)
    assert (other.overdue, other.today, other.upcoming) == (3, 1, 1)


def test_the_team_view_counts_per_colleague(session, world):
    lead = user(session, world.a.lead_email)
    rows = {row.name: row for row in team_overview(session, lead, TODAY)}
    manager = rows["Case Manager*in AWO"]
    assert (manager.open_tasks, manager.overdue_tasks) == (5, 3)
    assert (manager.open_cases, manager.silent_cases) == (1, 1)
    assert rows["Teamleitung AWO"].open_tasks == 0
    assert not any("CARITAS" in name for name in rows)


def test_a_case_with_a_recent_contact_is_not_silent(session, world):
    make_contact(session, session.get(Case, world.a.case_id), contact_date=TODAY)
    session.commit()
    lead = user(session, world.a.lead_email)
    rows = {row.name: row for row in team_overview(session, lead, TODAY)}
    assert rows["Case Manager*in AWO"].silent_cases == 0


def test_a_source_id_used_again_takes_over_the_task_that_held_it(session, world):
    """SQLite gives a deleted row's id to the next row: the old task must not block it."""
    stale = tasks_of(session, world.a.case_id)[(TaskSource.PLAN_REVIEW, world.a.plan_id)]
    session.execute(IntegrationPlan.__table__.delete().where(IntegrationPlan.id == world.a.plan_id))
    session.commit()
    organisation = session.get(Organisation, world.a.organisation_id)
    manager = user(session, world.a.case_manager_email)
    client = make_client(session, organisation, manager, first_name="Nachfolge")
    case = make_case(session, client, manager, opened_on=TODAY)
    plan = make_plan(session, case, id=world.a.plan_id, agreed_on=TODAY)
    session.commit()

    review = tasks_of(session, case.id)[(TaskSource.PLAN_REVIEW, plan.id)]
    assert (review.id, review.status, review.due_on) == (
        stale.id,
        TaskStatus.OPEN,
        plan.review_on,
    )


# --- consents that end and residence titles that expire (issue 16) ------------------


def expiry_tasks(session: Session, case_id: int) -> dict[tuple[str, int], Task]:
    return {
        key: task
        for key, task in tasks_of(session, case_id).items()
        if key[0] in (TaskSource.CONSENT, TaskSource.RESIDENCE_TITLE)
    }


def test_a_consent_ending_within_30_days_becomes_one_task_until_renewed(session, world):
    case = session.get(Case, world.a.case_id)
    partner = session.get(Partner, world.partner_id)
    ends = TODAY + dt.timedelta(days=30)
    consent = make_consent(session, case.client, [partner], valid_until=ends)
    far = make_consent(session, case.client, [partner], valid_until=TODAY + dt.timedelta(days=31))
    session.commit()
    session.commit()  # a second sync finds the task there

    tasks = expiry_tasks(session, case.id)
    assert (TaskSource.CONSENT, far.id) not in tasks  # 31 days: not yet
    task = tasks[(TaskSource.CONSENT, consent.id)]
    assert (task.kind, task.due_on, task.status) == (TaskKind.CONSENT_EXPIRY, ends, TaskStatus.OPEN)
    assert task.assignee_id == case.case_manager_id

    renewal = make_consent(
        session, case.client, [partner], signed_on=TODAY, valid_until=TODAY + dt.timedelta(days=365)
    )
    session.commit()
    assert expiry_tasks(session, case.id)[(TaskSource.CONSENT, consent.id)].status == (
        TaskStatus.DONE
    )
    assert (TaskSource.CONSENT, renewal.id) not in expiry_tasks(session, case.id)


def test_a_withdrawn_consent_settles_its_task(session, world):
    case = session.get(Case, world.a.case_id)
    partner = session.get(Partner, world.partner_id)
    consent = make_consent(
        session, case.client, [partner], valid_until=TODAY + dt.timedelta(days=5)
    )
    session.commit()
    consent.withdrawn_on = TODAY
    session.commit()
    assert expiry_tasks(session, case.id)[(TaskSource.CONSENT, consent.id)].status == (
        TaskStatus.DONE
    )


def test_the_days_that_pass_open_the_task_of_a_consent(session, world, request_context):
    case = session.get(Case, world.a.case_id)
    partner = session.get(Partner, world.partner_id)
    consent = make_consent(
        session, case.client, [partner], valid_until=TODAY + dt.timedelta(days=40)
    )
    session.commit()
    assert (TaskSource.CONSENT, consent.id) not in expiry_tasks(session, case.id)

    sync_organisation_tasks(session, case.organisation_id, TODAY + dt.timedelta(days=10))
    session.commit()
    assert expiry_tasks(session, case.id)[(TaskSource.CONSENT, consent.id)].status == (
        TaskStatus.OPEN
    )


def test_the_expiry_window_is_configurable(session, world, request_context):
    case = session.get(Case, world.a.case_id)
    partner = session.get(Partner, world.partner_id)
    consent = make_consent(
        session, case.client, [partner], valid_until=TODAY + dt.timedelta(days=40)
    )
    session.commit()
    sync_case_tasks(session, [case.id], TODAY, ExpiryWindows(consent_days=45))
    session.commit()
    assert (TaskSource.CONSENT, consent.id) in expiry_tasks(session, case.id)


def test_a_residence_title_expiring_within_60_days_is_a_deadline_until_a_new_status(session, world):
    case = session.get(Case, world.a.case_id)
    period = client_period(session, case.client, StatusKind.RESIDENCE)
    period.title_expires_on = TODAY + dt.timedelta(days=60)
    session.commit()

    task = expiry_tasks(session, case.id)[(TaskSource.RESIDENCE_TITLE, period.id)]
    assert (task.kind, task.due_on, task.status) == (
        TaskKind.AUTHORITY_DEADLINE,
        TODAY + dt.timedelta(days=60),
        TaskStatus.OPEN,
    )
    period.title_expires_on = TODAY + dt.timedelta(days=400)  # the extension was recorded
    session.commit()
    assert expiry_tasks(session, case.id)[(TaskSource.RESIDENCE_TITLE, period.id)].status == (
        TaskStatus.DONE
    )


def test_a_client_with_two_open_cases_gets_one_task_on_the_latest(session, world):
    first = session.get(Case, world.a.case_id)
    manager = session.get(User, first.case_manager_id)
    second = make_case(session, first.client, manager, opened_on=TODAY - dt.timedelta(days=1))
    partner = session.get(Partner, world.partner_id)
    consent = make_consent(
        session, first.client, [partner], valid_until=TODAY + dt.timedelta(days=3)
    )
    session.commit()

    assert (TaskSource.CONSENT, consent.id) not in expiry_tasks(session, first.id)
    assert (TaskSource.CONSENT, consent.id) in expiry_tasks(session, second.id)

    close(second)
    session.commit()
    session.get(Consent, consent.id).note = "nachgefragt"  # any write of the client's records
    session.commit()
    moved = expiry_tasks(session, first.id)[(TaskSource.CONSENT, consent.id)]
    assert moved.status == TaskStatus.OPEN
