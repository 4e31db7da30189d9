"""Demo Integrationspläne and tasks (issue 15): plans, goals, steps and tasks in every state.

Runs after the caseload (``seeds.demo``): every case in Umsetzung or Evaluation, and most
closed ones, get an agreed plan (older ones a superseded first version too), cases in
Hilfeplanung a draft; goals and steps come from the case's topics. The automatic tasks
are then derived by the rules of the app's own sync (``models.tasks.new_automatic_tasks``);
manual tasks cover the rest of the states. Deterministic from its own random generator,
so the caseload stays as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from models import Case, Partner, Topic, User, case_topic
from models.choices import (
    AgreementForm,
    CasePhase,
    GoalStatus,
    PlanStatus,
    Role,
    StepResponsible,
    TaskKind,
    TaskStatus,
)
from models.plan import FINAL_GOAL_STATUSES, IntegrationPlan, PlanGoal, PlanStep, default_review_on
from models.tasks import Task, forget_touched, new_automatic_tasks
from seeds import catalogue as cat
from seeds import demo_data as data
from seeds.bulk import insert_rows

GOALS: dict[str, tuple[str, ...]] = {
    cat.TOPIC_RESIDENCE: (
        "Ich möchte meine Aufenthaltserlaubnis rechtzeitig verlängern.",
        "Ich will einen Pass für meine Tochter bekommen.",
    ),
    cat.TOPIC_WORK: (
        "Ich möchte wieder als Pflegehelferin arbeiten.",
        "Ich will eine Ausbildung als Elektriker anfangen.",
    ),
    cat.TOPIC_LANGUAGE: (
        "Ich möchte bis zum Sommer Deutsch B1 schaffen.",
        "Ich will mit dem Arzt ohne Übersetzer sprechen können.",
    ),
    cat.TOPIC_EDUCATION: ("Mein Sohn soll einen Schulplatz in der Nähe bekommen.",),
    cat.TOPIC_HOUSING: (
        "Wir wollen aus der Unterkunft in eine eigene Wohnung ziehen.",
        "Ich möchte meine Mietschulden klären und die Wohnung behalten.",
    ),
    cat.TOPIC_HEALTH: ("Ich will eine Hausärztin finden und die Versicherung klären.",),
    cat.TOPIC_BENEFITS: ("Ich möchte, dass mein Antrag auf Bürgergeld bewilligt wird.",),
    cat.TOPIC_FAMILY: ("Meine Kinder sollen einen Kitaplatz bekommen.",),
    cat.TOPIC_RECOGNITION: ("Ich will meinen Berufsabschluss anerkennen lassen.",),
    cat.TOPIC_PARTICIPATION: ("Ich möchte in einem Verein Leute kennenlernen.",),
    cat.TOPIC_DEBT: ("Ich will einen Überblick über meine Schulden und einen Plan.",),
}
STEPS: tuple[tuple[StepResponsible, str], ...] = (
    (StepResponsible.CLIENT, "Unterlagen zusammenstellen und mitbringen"),
    (StepResponsible.CASE_MANAGER, "Termin vereinbaren und Antrag gemeinsam ausfüllen"),
    (StepResponsible.PARTNER, "Beratungstermin beim Partner wahrnehmen"),
    (StepResponsible.RELATIVE, "Schwester begleitet zum Termin und übersetzt"),
)
LANGUAGES = ("Deutsch", "Arabisch", "Ukrainisch", "Türkisch", "Dari", "Englisch")
OPEN_GOAL = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)
FINAL = sorted(FINAL_GOAL_STATUSES)
MANUAL_TASKS = (
    (TaskKind.AUTHORITY_DEADLINE, "Frist der Ausländerbehörde: Unterlagen nachreichen"),
    (TaskKind.CALL_BACK, "Rückruf wegen Wohnungsbesichtigung"),
    (TaskKind.ACCOMPANIMENT, "Begleitung zum Jobcenter"),
    (TaskKind.FOLLOW_UP, "Nachfragen, ob der Bescheid gekommen ist"),
    (TaskKind.OTHER, "Dolmetscherin für das Gespräch buchen"),
)


Row = dict[str, Any]
PLAN, GOAL, STEP, TASK = (
    cast(Table, model.__table__) for model in (IntegrationPlan, PlanGoal, PlanStep, Task)
)


class PlanSeeder:
    """Rows of plans, goals, steps and manual tasks, with ids taken here (bulk inserts, like
    the caseload: no record object per row)."""

    def __init__(self, session: Session, rng: random.Random, today: dt.date) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.topics = dict(session.execute(select(Topic.name, Topic.id)).all())
        own_partners = select(Partner.name, Partner.id).where(Partner.organisation_id.is_(None))
        self.partners = {row.name: row.id for row in session.execute(own_partners)}
        self.rows: dict[str, list[Row]] = {table.name: [] for table in (PLAN, GOAL, STEP, TASK)}
        self.next_ids = {
            table.name: (session.scalar(select(func.max(table.c.id))) or 0) + 1
            for table in (PLAN, GOAL, STEP, TASK)
        }

    def _add(self, table: Table, row: Row) -> int:
        row_id = self.next_ids[table.name]
        self.next_ids[table.name] = row_id + 1
        row["id"] = row_id
        self.rows[table.name].append(row)
        return row_id

    def _day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max((end - start).days, 0)))

    def plans_of(self, case: Any, topics: list[str]) -> int:
        phase = case.phase
        if phase in (CasePhase.INTAKE, CasePhase.ASSESSMENT, CasePhase.DORMANT):
            return 0
        if phase == CasePhase.CLOSED and self.rng.random() < 0.2:
            return 0
        end = case.closed_on or self.today
        topic_names = topics or [cat.TOPIC_WORK]
        if phase == CasePhase.PLANNING:
            self._plan(case, 1, PlanStatus.DRAFT, None, topic_names, end)
            return 1
        agreed_on = self._day(case.opened_on, min(end, case.opened_on + dt.timedelta(days=60)))
        revision = 1
        if (end - agreed_on).days > 200 and self.rng.random() < 0.5:
            self._plan(case, 1, PlanStatus.SUPERSEDED, agreed_on, topic_names, end)
            agreed_on = self._day(agreed_on + dt.timedelta(days=90), end)
            revision = 2
        self._plan(case, revision, PlanStatus.AGREED, agreed_on, topic_names, end)
        return revision

    def _plan(  # noqa: PLR0917 - one plan's whole description
        self,
        case: Any,
        revision: int,
        status: PlanStatus,
        agreed_on: dt.date | None,
        topic_names: list[str],
        end: dt.date,
    ) -> None:
        rng = self.rng
        closed = case.closed_on is not None
        written_by = {"created_by_id": case.case_manager_id, "updated_by_id": case.case_manager_id}
        plan_id = self._add(
            PLAN,
            {
                "organisation_id": case.organisation_id,
                "case_id": case.id,
                "revision": revision,
                "status": status.value,
                "agreed_on": agreed_on,
                "agreement_form": rng.choice(list(AgreementForm)).value if agreed_on else None,
                "language": rng.choice(LANGUAGES),
                "interpreter_used": rng.random() < 0.4,
                "review_on": default_review_on(agreed_on) if agreed_on else None,
                "notes": None,
                **written_by,
            },
        )
        for topic_name in topic_names[:3]:
            if topic_name not in GOALS:
                continue
            if closed and status != PlanStatus.SUPERSEDED:
                goal_status = rng.choice(FINAL)
            else:
                goal_status = rng.choice(OPEN_GOAL) if rng.random() < 0.8 else rng.choice(FINAL)
            start = agreed_on or case.opened_on
            goal_id = self._add(
                GOAL,
                {
                    "plan_id": plan_id,
                    "organisation_id": case.organisation_id,
                    "case_id": case.id,
                    "topic_id": self.topics[topic_name],
                    "text": rng.choice(GOALS[topic_name]),
                    "target_on": start + dt.timedelta(days=rng.choice((90, 180, 365))),
                    "status": goal_status.value,
                    **written_by,
                },
            )
            for planned_by, description in rng.sample(STEPS, k=rng.randint(1, 3)):
                responsible, partner_id = planned_by, None
                if planned_by == StepResponsible.PARTNER:
                    names = data.TOPIC_PARTNERS.get(topic_name, ())
                    partner_id = self.partners.get(rng.choice(names)) if names else None
                    if partner_id is None:
                        responsible = StepResponsible.CLIENT
                due_on = start + dt.timedelta(days=rng.randint(7, 120))
                finished = closed or goal_status in FINAL_GOAL_STATUSES or due_on < self.today
                done_on = min(due_on, end, self.today) if finished and rng.random() < 0.85 else None
                self._add(
                    STEP,
                    {
                        "goal_id": goal_id,
                        "organisation_id": case.organisation_id,
                        "case_id": case.id,
                        "description": description,
                        "responsible": responsible.value,
                        "partner_id": partner_id,
                        "due_on": due_on,
                        "done_on": done_on,
                        "referral_id": None,
                        **written_by,
                    },
                )

    def manual_tasks(self, case: Any, team: list[int]) -> None:
        """Manual tasks of an open case: overdue, today, ahead, done and cancelled ones."""
        rng = self.rng
        for kind, note in rng.sample(MANUAL_TASKS, k=rng.randint(0, 2)):
            offset = rng.choice((-10, -3, 0, 0, 2, 7, 13, 30))
            state = rng.choice((TaskStatus.OPEN,) * 3 + (TaskStatus.DONE, TaskStatus.CANCELLED))
            due_on = self.today + dt.timedelta(days=offset)
            self._add(
                TASK,
                {
                    "organisation_id": case.organisation_id,
                    "case_id": case.id,
                    "assignee_id": (
                        case.case_manager_id if rng.random() < 0.8 else rng.choice(team)
                    ),
                    "kind": kind.value,
                    "due_on": due_on,
                    "done_on": min(due_on, self.today) if state == TaskStatus.DONE else None,
                    "status": state.value,
                    "note": note,
                    "source_kind": None,
                    "source_id": None,
                    "created_by_id": case.case_manager_id,
                    "updated_by_id": case.case_manager_id,
                },
            )

    def write(self) -> None:
        """The driver's executemany (``seeds.bulk``), parents first; PostgreSQL's
        sequences moved past."""
        for table in (PLAN, GOAL, STEP, TASK):
            rows = self.rows[table.name]
            insert_rows(self.session, table, rows)
            if rows and self.session.get_bind().dialect.name == "postgresql":
                self.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                        f"max(id)) FROM {table.name}"
                    )
                )
            rows.clear()


def seed_plans(session: Session, today: dt.date, seed: int) -> dict[str, Any]:
    """Plans for the seeded cases, then their tasks; flushes, never commits."""
    rng = random.Random(seed * 15 + 1)
    seeder = PlanSeeder(session, rng, today)
    teams: dict[int | None, list[int]] = {}
    for organisation_id, user_id in session.execute(
        select(User.organisation_id, User.id)
        .where(User.role.in_([Role.CASE_MANAGER, Role.ORG_LEAD]))
        .order_by(User.id)
    ):
        teams.setdefault(organisation_id, []).append(user_id)
    topics_of: dict[int, list[str]] = {}
    for case_id, topic_name in session.execute(
        select(case_topic.c.case_id, Topic.name)
        .join(Topic, Topic.id == case_topic.c.topic_id)
        .order_by(case_topic.c.case_id, Topic.sort_order)
    ):
        topics_of.setdefault(case_id, []).append(topic_name)
    cases = session.execute(
        select(
            Case.id,
            Case.organisation_id,
            Case.case_manager_id,
            Case.phase,
            Case.opened_on,
            Case.closed_on,
            Case.archived_at,
        ).order_by(Case.id)
    )
    plans = 0
    for case in cases:
        plans += seeder.plans_of(case, topics_of.get(case.id, []))
        if case.closed_on is None and case.archived_at is None:
            seeder.manual_tasks(case, teams.get(case.organisation_id, [case.case_manager_id]))
    seeder.write()
    # The automatic tasks, by the app's sync's rules; written in bulk like the rest.
    insert_rows(session, TASK, new_automatic_tasks(session, today))
    # Every open case was synced just now; the commit need not sync the touched ones again
    # (a closed or archived case has no open task to cancel: the seed gives it none).
    forget_touched(session)
    return {"plans": plans, "tasks": session.scalar(select(func.count(Task.id))) or 0}
