"""Aufgaben (tasks): what is due, for whom, by when; manual ones and automatic ones.

An automatic task is keyed by its source (``source_kind``, ``source_id``): a plan step, a
plan's review date, a referral's follow-up, a case without contact for the
organisation's ``no_contact_days``, a consent that ends or a residence title that expires
soon (``ExpiryWindows``; these two belong to the client, and go to the client's most
recently opened open case). There is at most one task per source (a unique
constraint); ``sync_case_tasks`` derives from the sources of a case what its automatic
tasks must be and makes them so:

- an open source opens its task (created once; re-opened if it was closed and the source
  is due again), with the source's due date;
- a finished source finishes the task (``done``), a source that no longer exists or no
  longer asks for anything cancels it;
- closing a case cancels every open task of the case, manual ones too.

Automatic tasks belong to the case's case manager and follow them. The sync runs before
every commit that touched a case, a contact, a referral or the plan (``install_task_sync``)
and, for the days that pass without a write, from ``flask tasks sync`` (daily).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    case,
    event,
    func,
    select,
    true,
)
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models.audit import ACTOR_KEY
from models.base import Base, intpk, text10k
from models.case import Case, Contact
from models.choices import CasePhase, PlanStatus, TaskKind, TaskSource, TaskStatus
from models.client import Client
from models.consent import DEFAULT_EXPIRY_WARNING_DAYS as CONSENT_DAYS
from models.consent import Consent
from models.organisation import DEFAULT_NO_CONTACT_DAYS, Organisation
from models.owned import OrgOwned
from models.permissions import Principal
from models.plan import IntegrationPlan, PlanGoal, PlanStep
from models.referral import FINISHED, Referral
from models.rules import FieldErrors, FormValues, check_not_future, check_plausible
from models.status_history import DEFAULT_EXPIRY_WARNING_DAYS as TITLE_DAYS
from models.status_history import StatusPeriod
from models.user import User
from models.visibility import selectable_criteria, visible_criteria

# The start page looks this far ahead, and lists this many tasks per group.
UPCOMING_DAYS = 14
LIST_LIMIT = 10

SOURCE_KIND_OF_TASK = {
    TaskSource.PLAN_STEP: TaskKind.FOLLOW_UP,
    TaskSource.PLAN_REVIEW: TaskKind.PLAN_REVIEW,
    TaskSource.REFERRAL: TaskKind.FOLLOW_UP,
    TaskSource.NO_CONTACT: TaskKind.CALL_BACK,
    TaskSource.CONSENT: TaskKind.CONSENT_EXPIRY,
    TaskSource.RESIDENCE_TITLE: TaskKind.AUTHORITY_DEADLINE,
}


class TaskError(Exception):
    """The task cannot be changed this way; the message says why (German)."""


class Task(OrgOwned, Base):
    __tablename__ = "task"
    __table_args__ = (
        TaskKind.check("kind"),
        TaskStatus.check("status"),
        TaskSource.check("source_kind"),
        UniqueConstraint("organisation_id", "source_kind", "source_id"),
        CheckConstraint(
            "(source_kind IS NULL) = (source_id IS NULL)", name="source_kind_with_source_id"
        ),
        CheckConstraint("status <> 'done' OR done_on IS NOT NULL", name="done_task_has_date"),
        Index("ix_task_assignee_open", "assignee_id", "status", "due_on"),
        Index("ix_task_organisation_open", "organisation_id", "status", "due_on"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    assignee_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30), default=TaskKind.OTHER)
    due_on: Mapped[dt.date]
    done_on: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN)
    note: Mapped[text10k | None] = mapped_column(comment="personal data")
    source_kind: Mapped[str | None] = mapped_column(
        String(20), comment="what created an automatic task; empty for a manual one"
    )
    source_id: Mapped[int | None] = mapped_column(comment="id of the source record")

    case: Mapped[Case | None] = relationship()
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])

    def __str__(self) -> str:
        return f"{TaskKind.label_of(self.kind)} ({self.due_on:%d.%m.%Y})"

    @property
    def is_automatic(self) -> bool:
        return self.source_kind is not None

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        check_not_future(errors, values, "done_on", today)
        for name in ("due_on", "done_on"):
            check_plausible(errors, values, name)
        linked_case = values.get("case")
        if linked_case is not None and getattr(linked_case, "closed_on", None) is not None:
            errors["case"] = _("Für einen abgeschlossenen Fall werden keine Aufgaben angelegt.")
        return errors


def apply_done_on(task: Task) -> None:
    """A done date finishes a task, removing it opens it again."""
    if task.done_on is not None:
        task.status = TaskStatus.DONE
    elif task.status == TaskStatus.DONE:
        task.status = TaskStatus.OPEN


# --- automatic tasks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """What a source asks of its task: open until ``due_on``, or finished."""

    open: bool
    due_on: dt.date | None = None
    note: str = ""


SourceKey = tuple[str, int]


@dataclass(frozen=True)
class ExpiryWindows:
    """How many days ahead a residence title's expiry and a consent's end become tasks."""

    title_days: int = TITLE_DAYS
    consent_days: int = CONSENT_DAYS


@dataclass
class _Sources:
    """The sources of a batch of cases, read with one statement per kind of source
    (not one per case): what ``_wanted_for_case`` derives the tasks from."""

    latest_open_case: dict[int, int] = field(default_factory=dict)  # client id → case id
    consents: dict[int, list[Any]] = field(default_factory=dict)  # rows, by client id
    titles: dict[int, list[tuple[int, dt.date | None, dt.date | None]]] = field(
        default_factory=dict
    )
    steps: dict[int, list[Any]] = field(default_factory=dict)  # rows, by case id
    plans: dict[int, list[tuple[int, str, dt.date | None]]] = field(default_factory=dict)
    referrals: dict[int, list[tuple[int, str, dt.date | None]]] = field(default_factory=dict)
    last_contact: dict[int, dt.date | None] = field(default_factory=dict)
    tasks: dict[int, list[Task]] = field(default_factory=dict)  # by case id
    # The notes of new tasks, translated once per batch rather than once per task.
    notes: dict[str, str] = field(default_factory=dict)
    no_contact_notes: dict[int, str] = field(default_factory=dict)

    def no_contact_note(self, days: int) -> str:
        if days not in self.no_contact_notes:
            self.no_contact_notes[days] = _("Kein Kontakt seit %(days)s Tagen", days=days)
        return self.no_contact_notes[days]

    @classmethod
    def read(cls, session: Session, cases: Sequence[Any] | None) -> _Sources:
        """The sources of ``cases`` (records or rows with ``id`` and ``client_id``); of every
        case and client with ``None`` (then without the tasks: see ``new_automatic_tasks``)."""
        sources = cls(
            notes={
                TaskSource.CONSENT: _("Einwilligung endet: erneuern oder Weitergaben beenden"),
                TaskSource.RESIDENCE_TITLE: _(
                    "Aufenthaltstitel läuft ab: Verlängerung rechtzeitig beantragen"
                ),
                TaskSource.PLAN_REVIEW: _("Integrationsplan überprüfen"),
                TaskSource.REFERRAL: _("Wiedervorlage der Vermittlung"),
            }
        )
        case_ids = None if cases is None else [case_file.id for case_file in cases]
        client_ids = None if cases is None else sorted({row.client_id for row in cases})

        def of_cases(column: Any) -> Any:
            return true() if case_ids is None else column.in_(case_ids)

        def of_clients(column: Any) -> Any:
            return true() if client_ids is None else column.in_(client_ids)

        if case_ids is not None:
            for task in session.scalars(
                select(Task).where(Task.case_id.in_(case_ids)).order_by(Task.id)
            ):
                sources.tasks.setdefault(int(task.case_id or 0), []).append(task)
        # The client's most recently opened open case (ties: the larger id).
        open_cases = session.execute(
            select(Case.client_id, Case.id, Case.opened_on).where(
                of_clients(Case.client_id),
                Case.closed_on.is_(None),
                Case.archived_at.is_(None),
            )
        )
        latest: dict[int, tuple[dt.date, int]] = {}
        for client_id, case_id, opened_on in open_cases:
            if client_id not in latest or (opened_on, case_id) > latest[client_id]:
                latest[client_id] = (opened_on, case_id)
        sources.latest_open_case = {client: key[1] for client, key in latest.items()}
        consents = session.execute(
            select(
                Consent.id,
                Consent.client_id,
                Consent.kind,
                Consent.signed_on,
                Consent.valid_until,
                Consent.withdrawn_on,
            )
            .where(of_clients(Consent.client_id))
            .order_by(Consent.id)
        )
        for consent in consents:
            sources.consents.setdefault(consent.client_id, []).append(consent)
        titles = session.execute(
            select(
                StatusPeriod.client_id,
                StatusPeriod.id,
                StatusPeriod.valid_until,
                StatusPeriod.title_expires_on,
            )
            .where(
                of_clients(StatusPeriod.client_id),
                StatusPeriod.title_expires_on.is_not(None),
            )
            .order_by(StatusPeriod.id)
        )
        for client_id, period_id, valid_until, expires_on in titles:
            sources.titles.setdefault(client_id, []).append((period_id, valid_until, expires_on))
        steps = session.execute(
            select(
                PlanStep.id,
                PlanStep.case_id,
                PlanStep.description,
                PlanStep.due_on,
                PlanStep.done_on,
                IntegrationPlan.status.label("plan_status"),
            )
            .join(PlanGoal, PlanStep.goal_id == PlanGoal.id)
            .join(IntegrationPlan, PlanGoal.plan_id == IntegrationPlan.id)
            .where(of_cases(PlanStep.case_id))
            .order_by(PlanStep.id)
        )
        for step in steps:
            sources.steps.setdefault(step.case_id, []).append(step)
        plans = session.execute(
            select(
                IntegrationPlan.case_id,
                IntegrationPlan.id,
                IntegrationPlan.status,
                IntegrationPlan.review_on,
            )
            .where(of_cases(IntegrationPlan.case_id))
            .order_by(IntegrationPlan.id)
        )
        for case_id, plan_id, status, review_on in plans:
            sources.plans.setdefault(case_id, []).append((plan_id, status, review_on))
        referrals = session.execute(
            select(Referral.case_id, Referral.id, Referral.status, Referral.follow_up_on)
            .where(of_cases(Referral.case_id))
            .order_by(Referral.id)
        )
        for case_id, referral_id, status, follow_up_on in referrals:
            sources.referrals.setdefault(case_id, []).append((referral_id, status, follow_up_on))
        last_contacts = session.execute(
            select(Contact.case_id, func.max(Contact.contact_date))
            .where(of_cases(Contact.case_id))
            .group_by(Contact.case_id)
        )
        sources.last_contact = {row[0]: row[1] for row in last_contacts}
        return sources


def _expiry_wanted(
    sources: _Sources, case_file: Any, today: dt.date, windows: ExpiryWindows
) -> dict[SourceKey, Wanted]:
    """The client's consents that end and residence title that expires, within the windows.

    Open from the day the window reaches the date until the source is settled (then done):
    a consent withdrawn or followed by a later one of the same kind, a title period closed
    (a new status recorded) or its expiry moved out of the window (extended). Only on the
    client's most recently opened open case, so that each source has one task.
    """
    if sources.latest_open_case.get(case_file.client_id) != case_file.id:
        return {}
    wanted: dict[SourceKey, Wanted] = {}
    consents = sources.consents.get(case_file.client_id, [])
    for consent in consents:
        if consent.valid_until is None:
            continue
        followed = any(
            later.kind == consent.kind
            and later.withdrawn_on is None
            and later.signed_on > consent.signed_on
            for later in consents
        )
        within = consent.valid_until <= today + dt.timedelta(days=windows.consent_days)
        settled = consent.withdrawn_on is not None or followed
        wanted[(TaskSource.CONSENT, consent.id)] = Wanted(
            open=within and not settled,
            due_on=consent.valid_until,
            note=sources.notes[TaskSource.CONSENT],
        )
    for period_id, valid_until, expires_on in sources.titles.get(case_file.client_id, []):
        within = bool(expires_on and expires_on <= today + dt.timedelta(days=windows.title_days))
        wanted[(TaskSource.RESIDENCE_TITLE, period_id)] = Wanted(
            open=within and valid_until is None,
            due_on=expires_on,
            note=sources.notes[TaskSource.RESIDENCE_TITLE],
        )
    return wanted


def _wanted_for_case(
    sources: _Sources,
    case_file: Any,  # a Case, or a row of its id, client_id and opened_on
    today: dt.date,
    no_contact_days: int,
    windows: ExpiryWindows,
) -> dict[SourceKey, Wanted]:
    wanted = _expiry_wanted(sources, case_file, today, windows)
    for step in sources.steps.get(case_file.id, []):
        if step.plan_status == PlanStatus.SUPERSEDED or step.due_on is None:
            continue  # gone: a superseded step lives on in the new version
        wanted[(TaskSource.PLAN_STEP, step.id)] = Wanted(
            open=step.done_on is None, due_on=step.due_on, note=step.description
        )
    for plan_id, status, review_on in sources.plans.get(case_file.id, []):
        if status == PlanStatus.AGREED and review_on is not None:
            wanted[(TaskSource.PLAN_REVIEW, plan_id)] = Wanted(
                open=True, due_on=review_on, note=sources.notes[TaskSource.PLAN_REVIEW]
            )
        elif status == PlanStatus.SUPERSEDED:
            wanted[(TaskSource.PLAN_REVIEW, plan_id)] = Wanted(open=False)
    for referral_id, status, follow_up_on in sources.referrals.get(case_file.id, []):
        wanted[(TaskSource.REFERRAL, referral_id)] = Wanted(
            open=status not in FINISHED,
            due_on=follow_up_on,
            note=sources.notes[TaskSource.REFERRAL],
        )
    last_contact = sources.last_contact.get(case_file.id)
    since = max(last_contact or case_file.opened_on, case_file.opened_on)
    silent = (today - since).days >= no_contact_days
    wanted[(TaskSource.NO_CONTACT, case_file.id)] = Wanted(
        open=silent,
        due_on=since + dt.timedelta(days=no_contact_days),
        note=sources.no_contact_note(no_contact_days),
    )
    return wanted


def _is_closed(case_file: Case) -> bool:
    return case_file.closed_on is not None or case_file.phase == CasePhase.CLOSED


HeldKey = tuple[int, str, int]  # organisation id, source kind, source id
SYNC_BATCH = 500  # cases read together


def sync_case_tasks(
    session: Session,
    case_ids: Iterable[int],
    today: dt.date,
    windows: ExpiryWindows = ExpiryWindows(),
    *,
    new_tasks: list[dict[str, Any]] | None = None,
) -> None:
    """Make the automatic tasks of these cases what their sources say (see the module).

    The sources and tasks of all these cases are read first, a statement per kind, then
    each case is made right in turn, as if one after the other. With ``new_tasks`` the
    tasks to be created are appended to it as rows, for the caller to insert in bulk (the
    demo seed, on cases that have no automatic task yet), instead of added to the session.
    """
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), SYNC_BATCH):
        _sync_batch(session, ids[start : start + SYNC_BATCH], today, windows, new_tasks)


def _sync_batch(
    session: Session,
    ids: list[int],
    today: dt.date,
    windows: ExpiryWindows,
    new_tasks: list[dict[str, Any]] | None,
) -> None:
    cases = session.scalars(
        select(Case).where(Case.id.in_(ids)).options(joinedload(Case.organisation))
    ).all()
    sources = _Sources.read(session, cases)
    wanted_of: dict[int, dict[SourceKey, Wanted]] = {}
    for case_file in cases:
        if not (_is_closed(case_file) or case_file.archived_at is not None):
            wanted_of[case_file.id] = _wanted_for_case(
                sources, case_file, today, case_file.organisation.no_contact_days, windows
            )
    # A source id another case's task still holds (its source deleted, the id used
    # again, as SQLite does): the task moves to the case that wants it rather than
    # break the key. Read once for the batch; a task that moves leaves its old case.
    held = _tasks_holding(session, cases, sources, wanted_of)
    for case_file in cases:
        tasks = sources.tasks.get(case_file.id, [])
        wanted = wanted_of.get(case_file.id)
        if wanted is None:
            for task in tasks:
                if task.status == TaskStatus.OPEN:
                    task.status = TaskStatus.CANCELLED
            continue
        _make_right(session, case_file, tasks, wanted, held, sources, today, new_tasks)


def _make_right(  # noqa: PLR0917 - one case's share of the batch
    session: Session,
    case_file: Case,
    tasks: list[Task],
    wanted: dict[SourceKey, Wanted],
    held: dict[HeldKey, Task],
    sources: _Sources,
    today: dt.date,
    new_tasks: list[dict[str, Any]] | None,
) -> None:
    """One open case's automatic tasks made what ``wanted`` says."""
    existing = {
        (task.source_kind, task.source_id): task
        for task in tasks
        if task.source_kind is not None and task.source_id is not None
    }
    for key, task in existing.items():
        _apply(task, wanted.pop(key, None), case_file, today)
    for (source_kind, source_id), want in list(wanted.items()):
        holder = held.get((case_file.organisation_id, source_kind, source_id))
        if not want.open or holder is None or holder.case_id == case_file.id:
            continue
        if holder.case_id is not None and holder in sources.tasks.get(holder.case_id, []):
            sources.tasks[holder.case_id].remove(holder)
        holder.case_id = case_file.id
        _apply(holder, wanted.pop((source_kind, source_id)), case_file, today)
    for row in _new_task_rows(case_file, wanted):
        if new_tasks is not None:
            # A second case wanting this source would break the unique key on insert.
            new_tasks.append(row)
            continue
        task = Task(**row)
        session.add(task)
        held[(case_file.organisation_id, str(row["source_kind"]), int(row["source_id"]))] = task


def _new_task_rows(case_file: Any, wanted: dict[SourceKey, Wanted]) -> Iterator[dict[str, Any]]:
    """The tasks to create for the sources ``wanted`` open (``case_file``: a record or row)."""
    for (source_kind, source_id), want in wanted.items():
        if not (want.open and want.due_on is not None):
            continue
        yield {
            "organisation_id": case_file.organisation_id,
            "case_id": case_file.id,
            "assignee_id": case_file.case_manager_id,
            "kind": str(SOURCE_KIND_OF_TASK[TaskSource(source_kind)]),
            "due_on": want.due_on,
            "done_on": None,
            "status": str(TaskStatus.OPEN),
            "note": want.note,
            "source_kind": str(source_kind),
            "source_id": source_id,
        }


def new_automatic_tasks(
    session: Session, today: dt.date, windows: ExpiryWindows = ExpiryWindows()
) -> list[dict[str, Any]]:
    """The automatic tasks of every open case, as rows to insert, on a database that has
    none yet (the demo seed): what ``sync_organisation_tasks`` would create, by the same
    rules (``_wanted_for_case``), with the sources of all cases read in one statement per
    kind rather than per batch of 500 cases, and the cases read as rows, not records."""
    if session.scalar(select(Task.id).where(Task.source_kind.is_not(None)).limit(1)):
        raise ValueError("new_automatic_tasks: the database has automatic tasks already")
    cases = session.execute(
        select(
            Case.id,
            Case.client_id,
            Case.organisation_id,
            Case.case_manager_id,
            Case.opened_on,
            Organisation.no_contact_days,
        )
        .join(Organisation, Case.organisation_id == Organisation.id)
        .where(
            Case.closed_on.is_(None),
            Case.phase != CasePhase.CLOSED,
            Case.archived_at.is_(None),
        )
        .order_by(Case.id)
    ).all()
    sources = _Sources.read(session, None)
    return [
        row
        for case_file in cases
        for row in _new_task_rows(
            case_file,
            _wanted_for_case(sources, case_file, today, case_file.no_contact_days, windows),
        )
    ]


def _tasks_holding(
    session: Session,
    cases: Sequence[Case],
    sources: _Sources,
    wanted_of: dict[int, dict[SourceKey, Wanted]],
) -> dict[HeldKey, Task]:
    """The tasks that hold a source some case of the batch wants open and has no task for."""
    organisation_of = {case_file.id: case_file.organisation_id for case_file in cases}
    by_kind: dict[str, set[int]] = {}
    for case_id, wanted in wanted_of.items():
        own = {(task.source_kind, task.source_id) for task in sources.tasks.get(case_id, [])}
        for (source_kind, source_id), want in wanted.items():
            if want.open and (source_kind, source_id) not in own:
                by_kind.setdefault(source_kind, set()).add(source_id)
    organisation_ids = sorted(set(organisation_of.values()))
    held: dict[HeldKey, Task] = {}
    for source_kind, source_ids in by_kind.items():
        for task in session.scalars(
            select(Task).where(
                Task.organisation_id.in_(organisation_ids),
                Task.source_kind == source_kind,
                Task.source_id.in_(sorted(source_ids)),
            )
        ):
            held[(task.organisation_id, str(task.source_kind), int(task.source_id or 0))] = task
    return held


def _apply(task: Task, want: Wanted | None, case_file: Case, today: dt.date) -> None:
    if want is None:
        if task.status == TaskStatus.OPEN:
            task.status = TaskStatus.CANCELLED
        return
    if want.open and want.due_on is not None:
        if task.status != TaskStatus.OPEN:
            task.status, task.done_on = TaskStatus.OPEN, None
        if task.due_on != want.due_on:
            task.due_on = want.due_on
        if task.assignee_id != case_file.case_manager_id:
            task.assignee_id = case_file.case_manager_id
        if want.note and task.note != want.note:
            task.note = want.note
    elif task.status == TaskStatus.OPEN:
        task.status, task.done_on = TaskStatus.DONE, today


def sync_organisation_tasks(
    session: Session,
    organisation_id: int | None,
    today: dt.date,
    windows: ExpiryWindows = ExpiryWindows(),
    batch: int = 500,
    *,
    new_tasks: list[dict[str, Any]] | None = None,
) -> int:
    """Sync every open case (of one organisation, or all): the days that pass count too."""
    statement = select(Case.id).where(Case.closed_on.is_(None), Case.archived_at.is_(None))
    if organisation_id is not None:
        statement = statement.where(Case.organisation_id == organisation_id)
    case_ids = list(session.scalars(statement.order_by(Case.id)))
    for start in range(0, len(case_ids), batch):
        sync_case_tasks(
            session, case_ids[start : start + batch], today, windows, new_tasks=new_tasks
        )
        session.flush()
    return len(case_ids)


# Which writes touch a case's automatic tasks, and how to find the case.
_WATCHED: dict[type[Any], Callable[[Any], int | None]] = {
    Case: lambda record: record.id,
    Contact: lambda record: record.case_id,
    Referral: lambda record: record.case_id,
    IntegrationPlan: lambda record: record.case_id,
    PlanGoal: lambda record: record.case_id,
    PlanStep: lambda record: record.case_id,
}
# Records of a client itself: their tasks go with the client's latest open case.
_WATCHED_CLIENT: dict[type[Any], Callable[[Any], int | None]] = {
    Consent: lambda record: record.client_id,
    StatusPeriod: lambda record: record.client_id,
}
_TOUCHED_KEY = "kim_task_cases"
_TOUCHED_CLIENTS_KEY = "kim_task_clients"
_SYNCING_KEY = "kim_task_syncing"


def touched_cases(session: Session) -> set[int]:
    touched: set[int] = session.info.setdefault(_TOUCHED_KEY, set())
    return touched


def _collect(session: Session, flush_context: Any) -> None:
    """The cases and clients whose records this flush wrote (``flush_context.states``:
    what the flush wrote, not every record the session holds, which a long job or the
    seed holds by the hundred thousand)."""
    touched = touched_cases(session)
    clients: set[int] = session.info.setdefault(_TOUCHED_CLIENTS_KEY, set())
    for state in flush_context.states:
        record = state.obj()
        if record is None:
            continue
        case_of = _WATCHED.get(type(record))
        if case_of is not None and (case_id := case_of(record)) is not None:
            touched.add(case_id)
        client_of = _WATCHED_CLIENT.get(type(record))
        if client_of is not None and (client_id := client_of(record)) is not None:
            clients.add(client_id)


def _cases_touched(session: Session) -> set[int]:
    """The cases touched, and the open cases of the clients whose own records were."""
    case_ids: set[int] = session.info.pop(_TOUCHED_KEY, set())
    client_ids = session.info.pop(_TOUCHED_CLIENTS_KEY, set())
    if client_ids:
        case_ids |= set(
            session.scalars(
                select(Case.id).where(Case.client_id.in_(client_ids), Case.closed_on.is_(None))
            )
        )
    return case_ids


def forget_touched(session: Session) -> None:
    """The cases touched so far need no sync at commit: the caller has just synced them
    all (the demo seed, after ``sync_organisation_tasks`` over every case)."""
    _forget(session, None)


def _forget(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_TOUCHED_KEY, None)
    session.info.pop(_TOUCHED_CLIENTS_KEY, None)


def install_task_sync(
    today: Callable[[], dt.date],
    windows: ExpiryWindows = ExpiryWindows(),
) -> None:
    """Sync the automatic tasks of every case a transaction touched, before it commits."""

    def sync_before_commit(session: Session) -> None:
        if session.info.get(_SYNCING_KEY):
            return
        session.info[_SYNCING_KEY] = True
        try:
            session.flush()
            case_ids = _cases_touched(session)
            if case_ids:
                # What the sync derives is not audited: the trail has the change of its source.
                actor = session.info.pop(ACTOR_KEY, None)
                try:
                    sync_case_tasks(session, case_ids, today(), windows)
                    session.flush()
                finally:
                    if actor is not None:
                        session.info[ACTOR_KEY] = actor
                _forget(session, None)
        finally:
            session.info.pop(_SYNCING_KEY, None)

    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_soft_rollback", _forget)
    global _installed_before_commit  # noqa: PLW0603 - one listener per process
    if _installed_before_commit is not None:
        event.remove(Session, "before_commit", _installed_before_commit)
    event.listen(Session, "before_commit", sync_before_commit)
    _installed_before_commit = sync_before_commit


_installed_before_commit: Callable[[Session], None] | None = None


# --- finishing and reassigning -----------------------------------------------------------


def finish_task(session: Session, user: Principal, task: Task, today: dt.date) -> None:
    """Done: a manual task directly, a step's task by its step; other sources finish theirs."""
    if task.status != TaskStatus.OPEN:
        raise TaskError(_("Die Aufgabe ist nicht mehr offen."))
    if task.source_kind is None:
        task.status, task.done_on = TaskStatus.DONE, today
        return
    if task.source_kind == TaskSource.PLAN_STEP:
        step = session.execute(
            select(PlanStep).where(PlanStep.id == task.source_id, *visible_criteria(user, PlanStep))
        ).scalar_one_or_none()
        if step is None:
            raise TaskError(_("Der Schritt dieser Aufgabe ist nicht mehr vorhanden."))
        step.done_on = today
        step.stamp(user)  # type: ignore[arg-type]
        task.status, task.done_on = TaskStatus.DONE, today
        return
    raise TaskError(
        _(
            "Diese Aufgabe wird mit ihrer Quelle erledigt (%(source)s); bitte dort weiterarbeiten.",
            source=TaskSource.label_of(task.source_kind),
        )
    )


@dataclass(frozen=True)
class Reassigned:
    cases: int
    tasks: int


def reassign_open_work(
    session: Session, lead: Principal, leaving: User, successor: User
) -> Reassigned:
    """All open cases and open tasks of ``leaving`` go to ``successor`` (a colleague)."""
    if leaving.id == successor.id:
        raise TaskError(_("Bitte eine andere Person wählen."))
    allowed = session.execute(
        select(func.count()).where(User.id == successor.id, *selectable_criteria(lead, User))
    ).scalar_one()
    if not allowed or successor.organisation_id != leaving.organisation_id:
        raise TaskError(_("Die Arbeit kann nur an eine aktive Kollegin oder einen Kollegen gehen."))
    cases = session.scalars(
        select(Case).where(
            Case.case_manager_id == leaving.id,
            Case.closed_on.is_(None),
            *visible_criteria(lead, Case),
        )
    ).all()
    for case_file in cases:
        case_file.case_manager_id = successor.id
        case_file.stamp(lead)  # type: ignore[arg-type]
    tasks = session.scalars(
        select(Task).where(
            Task.assignee_id == leaving.id,
            Task.status == TaskStatus.OPEN,
            *visible_criteria(lead, Task),
        )
    ).all()
    for task in tasks:
        task.assignee_id = successor.id
        task.stamp(lead)  # type: ignore[arg-type]
    return Reassigned(cases=len(cases), tasks=len(tasks))


def open_work_of(session: Session, lead: Principal, user_id: int) -> Reassigned:
    """How many open cases and tasks ``user_id`` holds (what a deactivation leaves behind)."""
    cases = session.execute(
        select(func.count()).where(
            Case.case_manager_id == user_id,
            Case.closed_on.is_(None),
            *visible_criteria(lead, Case),
        )
    ).scalar_one()
    tasks = session.execute(
        select(func.count()).where(
            Task.assignee_id == user_id,
            Task.status == TaskStatus.OPEN,
            *visible_criteria(lead, Task),
        )
    ).scalar_one()
    return Reassigned(cases=cases, tasks=tasks)


# --- what the start page and the team view show ------------------------------------------


@dataclass(frozen=True)
class MyTasks:
    overdue: int
    today: int
    upcoming: int
    overdue_tasks: list[Task] = field(default_factory=list)
    today_tasks: list[Task] = field(default_factory=list)
    upcoming_tasks: list[Task] = field(default_factory=list)


def my_tasks(session: Session, user: User, today: dt.date) -> MyTasks:
    """The user's open tasks: counted in one query, the first few of each group listed."""
    mine = [
        *visible_criteria(user, Task),
        Task.assignee_id == user.id,
        Task.status == TaskStatus.OPEN,
    ]
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)
    overdue = Task.due_on < today
    due_today = Task.due_on == today
    upcoming = and_(Task.due_on > today, Task.due_on <= horizon)
    counts = session.execute(
        select(
            func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
            func.coalesce(func.sum(case((due_today, 1), else_=0)), 0),
            func.coalesce(func.sum(case((upcoming, 1), else_=0)), 0),
        ).where(*mine, Task.due_on <= horizon)
    ).one()

    def first(condition: Any) -> list[Task]:
        statement = (
            select(Task)
            .where(*mine, condition)
            .options(joinedload(Task.case).joinedload(Case.client))
            .order_by(Task.due_on, Task.id)
            .limit(LIST_LIMIT)
        )
        return list(session.scalars(statement))

    return MyTasks(
        overdue=int(counts[0]),
        today=int(counts[1]),
        upcoming=int(counts[2]),
        overdue_tasks=first(overdue) if counts[0] else [],
        today_tasks=first(due_today) if counts[1] else [],
        upcoming_tasks=first(upcoming) if counts[2] else [],
    )


@dataclass(frozen=True)
class TeamRow:
    user_id: int
    name: str
    active: bool
    open_tasks: int
    overdue_tasks: int
    open_cases: int
    silent_cases: int


def team_overview(session: Session, lead: User, today: dt.date) -> list[TeamRow]:
    """Per colleague: open and overdue tasks, open cases, cases without contact for N days."""
    organisation = session.get(Organisation, lead.organisation_id)
    days = organisation.no_contact_days if organisation else DEFAULT_NO_CONTACT_DAYS
    people = session.execute(
        select(User.id, User.full_name, User.active)
        .where(*visible_criteria(lead, User))
        .order_by(User.full_name, User.id)
    ).all()
    task_counts = {
        assignee_id: (open_count, overdue_count)
        for assignee_id, open_count, overdue_count in session.execute(
            select(
                Task.assignee_id,
                func.count(),
                func.coalesce(func.sum(case((Task.due_on < today, 1), else_=0)), 0),
            )
            .where(*visible_criteria(lead, Task), Task.status == TaskStatus.OPEN)
            .group_by(Task.assignee_id)
        )
    }
    last_contact = (
        select(Contact.case_id, func.max(Contact.contact_date).label("last_on"))
        .where(*visible_criteria(lead, Contact))
        .group_by(Contact.case_id)
        .subquery()
    )
    since = func.coalesce(last_contact.c.last_on, Case.opened_on)
    case_counts = {
        manager_id: (open_count, silent_count)
        for manager_id, open_count, silent_count in session.execute(
            select(
                Case.case_manager_id,
                func.count(),
                func.coalesce(
                    func.sum(case((since <= today - dt.timedelta(days=days), 1), else_=0)), 0
                ),
            )
            .outerjoin(last_contact, last_contact.c.case_id == Case.id)
            .where(*visible_criteria(lead, Case), Case.closed_on.is_(None))
            .group_by(Case.case_manager_id)
        )
    }
    return [
        TeamRow(
            user_id=user_id,
            name=name,
            active=active,
            open_tasks=int(task_counts.get(user_id, (0, 0))[0]),
            overdue_tasks=int(task_counts.get(user_id, (0, 0))[1]),
            open_cases=int(case_counts.get(user_id, (0, 0))[0]),
            silent_cases=int(case_counts.get(user_id, (0, 0))[1]),
        )
        for user_id, name, active in people
    ]


def client_name(task: Task) -> str:
    client: Client | None = task.case.client if task.case else None
    return f"{client.last_name}, {client.first_name}" if client else ""
