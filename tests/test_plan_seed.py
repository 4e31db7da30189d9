"""The demo seed writes plans, goals, steps and tasks in every state, by the models' rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Case
from models.choices import CasePhase, GoalStatus, PlanStatus, TaskSource, TaskStatus
from models.plan import FINAL_GOAL_STATUSES, IntegrationPlan, PlanGoal, PlanStep
from models.statistics import generation
from models.tasks import Task, new_automatic_tasks, sync_case_tasks, sync_organisation_tasks
from seeds.demo import seed_demo

SEED_TODAY = dt.date(2025, 6, 13)


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def seeded(session: Session) -> Session:
    summary = seed_demo(session, clients_per_org=12, today=SEED_TODAY)
    assert summary.plans > 0
    assert summary.tasks > 0
    return session


def _values(record: Any) -> dict[str, Any]:
    values = {column.key: getattr(record, column.key) for column in record.__mapper__.column_attrs}
    # Not "plan" or "goal": that a superseded version takes no edits is a rule of editing.
    for relation in ("case", "partner"):
        if hasattr(record, relation):
            values[relation] = getattr(record, relation)
    return values


def test_plans_goals_steps_and_tasks_come_in_every_state(seeded: Session) -> None:
    plan_statuses = set(seeded.scalars(select(IntegrationPlan.status)))
    assert plan_statuses == {status.value for status in PlanStatus}
    goal_statuses = set(seeded.scalars(select(PlanGoal.status)))
    assert goal_statuses == {status.value for status in GoalStatus}
    done = set(seeded.scalars(select(PlanStep.done_on.is_(None))))
    assert done == {True, False}
    assert set(seeded.scalars(select(Task.status))) == {status.value for status in TaskStatus}
    sources = set(seeded.scalars(select(Task.source_kind)))
    assert sources >= {None, *(s.value for s in TaskSource if s != TaskSource.CONSENT)}


def test_every_seeded_plan_record_passes_its_rules(seeded: Session) -> None:
    problems = {}
    for model in (PlanGoal, PlanStep, Task):
        for record in seeded.scalars(select(model)):
            errors = model.field_errors(_values(record), SEED_TODAY)
            if errors:
                problems[f"{model.__name__} {record.id}"] = errors
    for plan in seeded.scalars(select(IntegrationPlan)):
        errors = IntegrationPlan.field_errors(_values(plan), SEED_TODAY, plan.status)
        if errors:
            problems[f"plan {plan.id}"] = errors
    assert problems == {}


def test_seeded_cases_keep_the_plan_rules(seeded: Session) -> None:
    for case in seeded.scalars(select(Case).where(Case.phase == CasePhase.MONITORING)):
        statuses = seeded.scalars(
            select(IntegrationPlan.status).where(IntegrationPlan.case_id == case.id)
        ).all()
        assert PlanStatus.AGREED in statuses, case.case_number
    unfinished = seeded.execute(
        select(PlanGoal.id)
        .join(Case, PlanGoal.case_id == Case.id)
        .join(IntegrationPlan, PlanGoal.plan_id == IntegrationPlan.id)
        .where(
            Case.closed_on.is_not(None),
            IntegrationPlan.status != PlanStatus.SUPERSEDED,
            PlanGoal.status.not_in(FINAL_GOAL_STATUSES),
        )
    ).all()
    assert unfinished == []


def _task_rows(session: Session) -> list[tuple[Any, ...]]:
    columns = [c for c in Task.__table__.columns if c.key not in ("created_at", "updated_at")]
    return [tuple(row) for row in session.execute(select(*columns).order_by(Task.id))]


def test_the_seeds_bulk_written_tasks_are_what_the_sync_derives(session: Session) -> None:
    """The seed writes plans and tasks with bulk inserts, past the ORM's flush listeners:
    the automatic tasks must still be exactly what the app's own sync makes of them, and
    the statistics generation must still have moved."""
    before = generation.tokens(session) or {}
    seed_demo(session, clients_per_org=12, today=SEED_TODAY)
    session.flush()
    after = generation.tokens(session) or {}
    # Every table the seed writes through the driver (seeds/bulk.py), past the listener.
    bulk_written = (
        *("client", "case_file", "case_topic", "contact", "barrier", "referral"),
        *("status_period", "consent", "consent_recipient", "consent_template"),
        *("task", "integration_plan", "plan_goal", "plan_step"),
    )
    for table in bulk_written:
        assert after.get((generation.ANY, table)) != before.get((generation.ANY, table)), table
    written = _task_rows(session)
    assert written
    sync_organisation_tasks(session, None, SEED_TODAY)
    session.flush()
    assert _task_rows(session) == written
    # And the commit's own sync, over every case, changes nothing either.
    sync_case_tasks(session, session.scalars(select(Case.id)), SEED_TODAY)
    session.flush()
    assert _task_rows(session) == written


@pytest.mark.parametrize("days_later", [0, 20, 200])
def test_new_automatic_tasks_are_the_rows_the_sync_would_create(
    seeded: Session, days_later: int
) -> None:
    """The seed's whole-database derivation (all sources read at once) and the sync's batch
    by batch make the same rows, in the same order, on any day."""
    with pytest.raises(ValueError, match="automatic tasks already"):
        new_automatic_tasks(seeded, SEED_TODAY)
    seeded.execute(delete(Task).where(Task.source_kind.is_not(None)))
    day = SEED_TODAY + dt.timedelta(days=days_later)
    by_the_sync: list[dict[str, Any]] = []
    sync_organisation_tasks(seeded, None, day, new_tasks=by_the_sync)
    assert by_the_sync
    assert new_automatic_tasks(seeded, day) == by_the_sync
