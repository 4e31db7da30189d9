"""The statistics are served from figures kept per generation of the data: never stale.

A property test over random sequences of writes (new clients, cases, barriers and
referrals, edits, closings, bulk updates), archives, erasures, retention runs and rolled
back savepoints: after every step, every figure of every table the page, the drill-down,
a CSV table and the start page show, for the coordination (all organisations, one) and
for each organisation's own figures, is exactly what the direct aggregate queries give
computed afresh, also when served by another worker from the rows stored for every
worker; and the six client tables, counted in one pass, are exactly the
one-query-per-table counts of before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import (
    String,
    cast,
    column,
    delete,
    event,
    exists,
    func,
    insert,
    join,
    literal_column,
    or_,
    select,
    table,
    text,
    update,
)

from models import Barrier, Case, Client, NumberSequence, Organisation, Partner, Referral, User
from models.choices import BarrierStatus, ClosureReason, ReferralStatus, ResidenceStatus, Role
from models.lifecycle import archive, erase
from models.retention import anonymise_due_clients
from models.statistics import TABLES, Period, Statistics, coordination, generation, load_scope
from models.statistics.generation import (
    ANY,
    EPOCH,
    FIGURES,
    ORGANISATIONS,
    STORED_ROWS_DAYS,
    StoredRows,
    columns_of,
    dependants,
    organisation_rows,
    statistics_generation,
    statistics_rows,
    store_counted_rows,
    tables_of,
    tokens,
)
from models.statistics.queries import StatisticsQueries, age_band
from models.statistics.transitions import TransitionStatistics
from tests.factories import (
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_contact,
    make_referral,
    make_topic,
)

TODAY = dt.date(2026, 11, 25)
YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
QUARTER = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
LAST_YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
CLIENT_COLUMNS = {
    "residence_status": Client.residence_status,
    "benefits_domain": Client.benefits_domain,
    "gender": Client.gender,
    "district": cast(Client.district, String),  # as the counts hold it: text, as the others
    "country_of_origin": Client.country_of_origin,
}


@pytest.fixture(autouse=True)
def _generation_row(session):
    """The migration's epoch row (a test that committed for real may have emptied the table)."""
    if tokens(session) is None:
        session.execute(
            insert(statistics_generation).values(organisation_id=ANY, table_name=EPOCH, token=1)
        )
        session.commit()
    FIGURES.clear()
    yield
    FIGURES.clear()


def codes(choice: Any) -> list[str]:
    return [code for code, _label in choice.choices()]


def figures(value: Any) -> Any:
    """Tables as plain data, to compare every cell, label and header."""
    if isinstance(value, list):
        return [figures(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {key: figures(item) for key, item in value.items()}
    return value


def everything(session, scopes, category_id) -> list[Any]:
    """What the page (with the transitions), its drill-down, a CSV table and the start page
    show, per scope."""
    shown = []
    for scope, period in scopes:
        report = Statistics(session, scope, period, TODAY)
        shown.append(figures(report.main_tables()))
        shown.append(figures(report.category_tables(category_id)))
        shown.append(figures(report.table("barrieren_quartal")))
        shown.append(figures(report.summary()))
        shown.append(figures(TransitionStatistics(session, scope, period, TODAY).tables()))
    return shown


def fresh(session, scopes, category_id) -> list[Any]:
    FIGURES.enabled = False
    try:
        return everything(session, scopes, category_id)
    finally:
        FIGURES.enabled = True


def one_query_per_client_table(session, scope, period) -> dict[str, list[tuple[Any, ...]]]:
    """The client tables as counted before: one query per dimension."""
    with_open_case = select(Case.client_id).where(
        Case.organisation_id.in_(scope.ids),
        Case.opened_on <= period.end,
        or_(Case.closed_on.is_(None), Case.closed_on >= period.start),
    )
    dimensions = {**CLIENT_COLUMNS, "age": age_band(Client.date_of_birth, period.end)}
    found = {}
    for name, dimension in dimensions.items():
        inner = (
            select(Client.organisation_id.label("org"), dimension.label("value"))
            .where(Client.organisation_id.in_(scope.ids), Client.id.in_(with_open_case))
            .subquery()
        )
        statement = select(inner.c.org, inner.c.value, func.count()).group_by(
            inner.c.org, inner.c.value
        )
        found[name] = sorted(map(tuple, session.execute(statement)), key=repr)
    return found


class Steps:
    """Random writes on two organisations, as the screens and jobs make them."""

    def __init__(self, session, world, rng: random.Random) -> None:
        self.session = session
        self.rng = rng
        self.organisations = [
            session.get(Organisation, org.organisation_id) for org in (world.a, world.b)
        ]
        self.managers = [
            session.execute(select(User).where(User.email == org.case_manager_email)).scalar_one()
            for org in (world.a, world.b)
        ]
        self.categories = [session.get(type(c), c.id) for c in self._categories(world)]
        self.partner_ids = [world.partner_id, None]

    def _categories(self, world):
        from_world = self.session.execute(
            select(Barrier).where(Barrier.id == world.a.barrier_id)
        ).scalar_one()
        return [from_world.category, make_category(self.session, "Wohnen")]

    def day(self, start: dt.date = dt.date(2024, 1, 1)) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((TODAY - start).days + 1))

    def cases(self, archived: bool | None = None) -> list[Case]:
        statement = select(Case).order_by(Case.id)
        if archived is not None:
            statement = statement.where(
                Case.archived_at.is_not(None) if archived else Case.archived_at.is_(None)
            )
        return list(self.session.scalars(statement))

    def new_client_with_cases(self) -> None:
        index = self.rng.randrange(2)
        organisation, manager = self.organisations[index], self.managers[index]
        client = make_client(
            self.session,
            organisation,
            manager,
            last_name=f"Zufall-{self.rng.randrange(10**6)}",
            date_of_birth=self.rng.choice([None, dt.date(1950, 5, 5), dt.date(2001, 2, 3)]),
            gender=self.rng.choice(["female", "male", "diverse", "unspecified"]),
            residence_status=self.rng.choice([None, *codes(ResidenceStatus)]),
            district=self.rng.choice([None, 1, 4, 10]),
            country_of_origin=self.rng.choice([None, "SY", "UA", "TR"]),
            benefits_domain=self.rng.choice([None, "sgb2", "asylblg"]),
        )
        for _ in range(self.rng.randrange(1, 3)):
            opened = self.day(dt.date(2021, 1, 1))
            values: dict[str, Any] = {"opened_on": opened}
            if self.rng.random() < 0.5:
                values.update(
                    closed_on=min(TODAY, opened + dt.timedelta(days=self.rng.randrange(400))),
                    closure_reason=self.rng.choice(codes(ClosureReason)),
                    phase="closed",
                )
            make_case(self.session, client, manager, **values)

    def new_barrier(self) -> None:
        case = self.rng.choice(self.cases())
        partner_id = self.rng.choice(self.partner_ids)
        make_barrier(
            self.session,
            case,
            self.rng.choice(self.categories),
            observed_on=max(case.opened_on, self.day(dt.date(2025, 1, 1))),
            status=self.rng.choice(codes(BarrierStatus)),
            partner_id=partner_id,
        )

    def new_referral(self) -> None:
        case = self.rng.choice(self.cases())
        referred = max(case.opened_on, self.day(dt.date(2025, 1, 1)))
        status = self.rng.choice(codes(ReferralStatus))
        answered = status in ("accepted", "declined", "completed")
        make_referral(
            self.session,
            case,
            self.session.get(Partner, self.partner_ids[0]),
            referred_on=referred,
            status=status,
            responded_on=referred + dt.timedelta(days=self.rng.randrange(30)) if answered else None,
        )

    def edit_client(self) -> None:
        client = self.rng.choice(list(self.session.scalars(select(Client).order_by(Client.id))))
        client.residence_status = self.rng.choice([None, *codes(ResidenceStatus)])
        client.date_of_birth = self.rng.choice([None, dt.date(1999, 12, 31), dt.date(1960, 1, 1)])
        client.district = self.rng.choice([None, 2, 7])
        client.benefits_domain = self.rng.choice([None, "sgb2", "sgb12", "asylblg"])  # a transition

    def edit_a_case_as_a_case_manager_does(self) -> None:
        """Columns no figure reads (the goals, the phase of an open case)."""
        case = self.rng.choice(self.cases())
        case.goals = f"Ziele {self.rng.randrange(1000)}"
        if case.closed_on is None:
            case.phase = self.rng.choice(["intake", "planning", "monitoring"])

    def close_a_case(self) -> None:
        open_cases = [case for case in self.cases() if case.closed_on is None]
        if open_cases:
            case = self.rng.choice(open_cases)
            case.closed_on = max(case.opened_on, self.day(dt.date(2025, 6, 1)))
            case.closure_reason = self.rng.choice(codes(ClosureReason))
            case.phase = "closed"

    def move_barrier(self) -> None:
        barrier = self.rng.choice(list(self.session.scalars(select(Barrier).order_by(Barrier.id))))
        barrier.status = self.rng.choice(codes(BarrierStatus))
        barrier.observed_on = max(barrier.case.opened_on, self.day(dt.date(2025, 1, 1)))

    def bulk_update(self) -> None:
        """A Core update through the session, no record loaded."""
        self.session.execute(
            update(Client)
            .where(Client.id % 2 == self.rng.randrange(2))
            .values(district=self.rng.choice([None, 3, 9]))
        )

    def archive_a_client(self) -> None:
        clients = list(
            self.session.scalars(
                select(Client).where(Client.archived_at.is_(None)).order_by(Client.id)
            )
        )
        if clients:
            client = self.rng.choice(clients)
            archive(self.session, self._manager_of(client), client)

    def erase_an_archived_client(self) -> None:
        clients = list(
            self.session.scalars(
                select(Client).where(Client.archived_at.is_not(None)).order_by(Client.id)
            )
        )
        if clients:
            client = self.rng.choice(clients)
            erase(self.session, self._manager_of(client), client)

    def retention_run(self) -> None:
        anonymise_due_clients(self.session, TODAY, years=1)

    def _manager_of(self, client: Client) -> User:
        return self.managers[[o.id for o in self.organisations].index(client.organisation_id)]

    def all(self) -> list[Any]:
        return [
            self.new_client_with_cases,
            self.new_barrier,
            self.new_referral,
            self.edit_client,
            self.edit_a_case_as_a_case_manager_does,
            self.close_a_case,
            self.move_barrier,
            self.bulk_update,
            self.archive_a_client,
            self.erase_an_archived_client,
            self.retention_run,
        ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_figure_is_the_direct_aggregate_after_every_random_write(session, world, seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, no secret
    steps = Steps(session, world, rng)
    for _ in range(4):
        steps.new_client_with_cases()
    session.commit()
    every = load_scope(session, None, True)
    one = load_scope(session, [world.a.organisation_id], True)
    scopes = [
        (every, YEAR),
        (every, QUARTER),
        (dataclasses.replace(one, covered=every.organisations), YEAR),
        (load_scope(session, [world.a.organisation_id], False), YEAR),
        (load_scope(session, [world.b.organisation_id], False), LAST_YEAR),
    ]
    category_id = world.category_id
    assert everything(session, scopes, category_id) == fresh(session, scopes, category_id)
    for number in range(12):
        step = rng.choice(steps.all())
        token = tokens(session)
        if rng.random() < 0.2:
            # A write rolled back: the figures are those from before it, also when they
            # were computed and kept while the write was there.
            before = fresh(session, scopes, category_id)
            savepoint = session.begin_nested()
            step()
            session.flush()
            assert everything(session, scopes, category_id) == fresh(session, scopes, category_id)
            savepoint.rollback()
            assert tokens(session) == token
            assert everything(session, scopes, category_id) == before
            continue
        step()
        if rng.random() < 0.5:
            session.commit()
        else:
            session.flush()
        if rng.random() < 0.5:
            FIGURES.clear()  # another worker: only the rows stored for every worker
        kept = everything(session, scopes, category_id)
        assert kept == fresh(session, scopes, category_id), (number, step.__name__)
        # Asked again, from what was kept: still the same.
        assert everything(session, scopes, category_id) == kept
        # ... and by another worker, from the rows stored for every worker.
        store_counted_rows(session, TODAY)
        FIGURES.clear()
        assert everything(session, scopes, category_id) == kept
    for scope, period in scopes[:1] + scopes[3:]:
        queries = StatisticsQueries(
            session, dataclasses.replace(scope, across_organisations=False), period, TODAY
        )
        reference = one_query_per_client_table(session, scope, period)
        for name, counts in reference.items():
            assert sorted(map(tuple, queries._client_counts(name)), key=repr) == counts, name


def test_a_write_replaces_the_token_and_a_read_keeps_it(session, world):
    token = tokens(session)
    Statistics(session, load_scope(session, None, True), YEAR, TODAY).main_tables()
    assert tokens(session) == token  # reading the figures writes nothing
    client = session.get(Client, world.a.client_id)
    client.district = 5
    session.flush()
    assert tokens(session) != token


def test_a_write_of_an_uncounted_table_keeps_the_token(session, world):
    token = tokens(session)
    session.execute(update(NumberSequence).where(NumberSequence.year == -1).values(last_value=1))
    assert tokens(session) == token
    session.execute(update(User).where(User.role == Role.ADMIN).values(full_name="Admin"))
    assert tokens(session) != token  # any other table may be counted by some figure


def test_every_table_of_the_registry_is_kept(session, world):
    report = Statistics(session, load_scope(session, None, True), YEAR, TODAY)
    assert len(report.main_tables()) == sum(not spec.per_category for spec in TABLES.values())


def test_kept_tables_are_shared_and_frozen_but_each_page_has_its_own_list(session, world):
    report = Statistics(session, load_scope(session, None, True), YEAR, TODAY)
    first = report.main_tables()
    first += TransitionStatistics(session, report.scope, YEAR, TODAY).tables()  # as the page
    again = report.main_tables()
    assert len(again) < len(first)
    assert all(kept is shown for kept, shown in zip(again, first, strict=False))
    with pytest.raises(dataclasses.FrozenInstanceError):
        again[0].rows = []


# --- kept per organisation and table -----------------------------------------------------


class Statements:
    """The statements a block runs on the session's connection."""

    def __init__(self, session) -> None:
        self.engine = session.get_bind()
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, parameters, *_args) -> None:
        self.seen.append(statement)

    @property
    def counts(self) -> list[str]:
        """The statements that count figures (not the reads of the tokens or of the rows
        stored for every worker, nor the list of organisations a report of the
        coordination starts from)."""
        return [
            s
            for s in self.seen
            if "statistics_generation" not in s
            and "statistics_rows" not in s
            and not s.startswith("SELECT organisation.id")
        ]


def shown(session, scope) -> Any:
    return figures(Statistics(session, scope, YEAR, TODAY).main_tables())


def fresh_shown(session, scope) -> Any:
    FIGURES.enabled = False
    try:
        return shown(session, scope)
    finally:
        FIGURES.enabled = True


def test_a_write_at_one_organisation_keeps_the_figures_of_the_other(session, world):
    a = load_scope(session, [world.a.organisation_id], False)
    b = load_scope(session, [world.b.organisation_id], False)
    shown(session, a), shown(session, b)
    barrier = session.get(Barrier, world.a.barrier_id)
    barrier.status = "solved" if barrier.status != "solved" else "open"
    session.flush()
    with Statements(session) as other:
        figures_of_b = shown(session, b)
    with Statements(session) as own:
        figures_of_a = shown(session, a)
    assert figures_of_a == fresh_shown(session, a)
    assert figures_of_b == fresh_shown(session, b)
    assert other.counts == []  # served as kept: nothing of B was written
    assert own.counts  # counted again: a barrier of A changed
    # ... and only what reads barriers: the cases, clients and referrals of A are kept.
    assert all("barrier" in statement for statement in own.counts)


def organisations_counted(monkeypatch) -> list[list[int]]:
    """The organisations of each grouped count run from now on, one list per query."""
    counted: list[list[int]] = []
    rows_of = generation._rows_of

    def spy(session, statement, parameter, organisations):
        counted.append(list(organisations))
        return rows_of(session, statement, parameter, organisations)

    monkeypatch.setattr(generation, "_rows_of", spy)
    return counted


def test_the_coordination_counts_again_only_the_organisation_written(session, world, monkeypatch):
    every = load_scope(session, None, True)
    shown(session, every)
    case = session.get(Case, world.b.case_id)
    case.opened_on = case.opened_on - dt.timedelta(days=1)
    session.flush()
    counted = organisations_counted(monkeypatch)
    kept = shown(session, every)
    assert kept == fresh_shown(session, every)
    counted_after_the_write = counted[
        : counted.index([world.a.organisation_id, world.b.organisation_id])
    ]
    assert counted_after_the_write  # what reads cases, counted again ...
    assert all(orgs == [world.b.organisation_id] for orgs in counted_after_the_write)  # ... for B


def test_a_count_that_a_cover_and_a_table_share_runs_once_after_a_write(
    session, world, monkeypatch
):
    every = load_scope(session, None, True)
    shown(session, every)
    barrier = session.get(Barrier, world.a.barrier_id)
    barrier.status = "solved" if barrier.status != "solved" else "open"
    session.flush()
    counted: list[tuple[str, str, tuple[int, ...]]] = []
    rows_of = generation._rows_of

    def spy(session, statement, parameter, organisations):
        compiled = statement.compile(dialect=session.get_bind().dialect)
        counted.append((str(compiled), repr(sorted(compiled.params.items())), (*organisations,)))
        return rows_of(session, statement, parameter, organisations)

    monkeypatch.setattr(generation, "_rows_of", spy)
    kept = shown(session, every)
    after_the_write = list(counted)
    assert kept == fresh_shown(session, every)
    assert after_the_write  # the barrier figures of A, counted again ...
    assert {orgs for _s, _p, orgs in after_the_write} == {(world.a.organisation_id,)}
    assert len(after_the_write) == len(set(after_the_write))  # ... each count once


def another_worker_reads_what_was_counted(session) -> None:
    """The end of a request that counted figures, and a worker that has kept none."""
    store_counted_rows(session, TODAY)
    FIGURES.clear()


def test_a_counts_stored_rows_are_named_alike_in_every_process(session):
    """Named by its SQL and values, an ``IN`` list in any order (one made from a set
    has the order of its process's string hashes), its SQL compiled once per process."""

    def named(statuses: list[str]) -> str:
        statement = (
            select(Referral.organisation_id, func.count())
            .where(Referral.organisation_id.in_(ORGANISATIONS), Referral.status.in_(statuses))
            .group_by(Referral.organisation_id)
        )
        return StoredRows(session, statement, None, {}, {}).shape

    assert named(["sent", "declined"]) == named(["declined", "sent"])
    assert named(["sent"]) != named(["declined"])


def test_counts_of_one_sql_with_their_values_in_other_places_are_named_apart(session):
    """Each value is named by the parameter it fills, not by its place in the statement
    as built (two statements built alike differently give one SQL)."""
    rows = table("t", column("x"), column("y"))

    def built(first: int, second: int, joined_from: bool) -> Any:
        one = select(rows.c.x).where(rows.c.y == first).cte("c1")
        two = select(rows.c.x).where(rows.c.y == second).cte("c2")
        counted = select(literal_column("1"))
        if joined_from:
            counted = counted.join_from(one, rows, one.c.x == rows.c.x)
        else:
            counted = counted.select_from(join(one, rows, one.c.x == rows.c.x))
        return counted.where(exists(select(two.c.x)))

    first, second = built(1, 2, joined_from=False), built(2, 1, joined_from=True)
    dialect = session.get_bind().dialect
    assert str(first.compile(dialect=dialect)) == str(second.compile(dialect=dialect))
    named = [StoredRows(session, statement, None, {}, {}).shape for statement in (first, second)]
    assert named[0] != named[1]


def test_another_worker_reads_the_stored_rows_instead_of_counting(session, world):
    every = load_scope(session, None, True)
    a = load_scope(session, [world.a.organisation_id], False)
    shown(session, every), shown(session, a)
    another_worker_reads_what_was_counted(session)
    assert session.scalar(select(func.count()).select_from(statistics_rows)) > 0
    with Statements(session) as other:
        figures_of_every, figures_of_a = shown(session, every), shown(session, a)
    assert other.counts == []
    assert figures_of_every == fresh_shown(session, every)
    assert figures_of_a == fresh_shown(session, a)


def test_stored_rows_hold_years_and_months_as_whole_numbers_on_either_database(session, world):
    """PostgreSQL's EXTRACT gives a numeric (a Decimal in Python); stored as such, every
    year and month of a count's rows is an object to decode again on every first view."""
    shown(session, load_scope(session, None, True))
    another_worker_reads_what_was_counted(session)
    stored = list(session.scalars(select(statistics_rows.c.rows)))
    assert stored
    assert not [rows for rows in stored if "decimal" in rows]


def test_another_worker_reads_the_coordinations_protected_covers_instead_of_cutting_them(
    session, world, monkeypatch
):
    every = load_scope(session, None, True)
    shown(session, every)
    another_worker_reads_what_was_counted(session)
    with monkeypatch.context() as cutting:
        cutting.setattr(coordination, "protect", lambda *_a, **_k: pytest.fail("cut again"))
        figures_of_every = shown(session, every)
    assert figures_of_every == fresh_shown(session, every)


def test_stored_rows_of_another_state_of_the_data_are_counted_again(session, world):
    a = load_scope(session, [world.a.organisation_id], False)
    b = load_scope(session, [world.b.organisation_id], False)
    shown(session, a), shown(session, b)
    another_worker_reads_what_was_counted(session)
    barrier = session.get(Barrier, world.a.barrier_id)
    barrier.status = "solved" if barrier.status != "solved" else "open"
    session.flush()
    with Statements(session) as other:
        figures_of_b = shown(session, b)
    with Statements(session) as own:
        figures_of_a = shown(session, a)
    assert other.counts == []
    assert own.counts
    assert all("barrier" in statement for statement in own.counts)
    assert figures_of_a == fresh_shown(session, a)
    assert figures_of_b == fresh_shown(session, b)


def test_rows_are_stored_only_while_nothing_they_read_was_written_since(session, world):
    a = load_scope(session, [world.a.organisation_id], False)
    shown(session, a)
    counted = len(session.info["statistics_rows_to_store"])
    barrier = session.get(Barrier, world.a.barrier_id)
    barrier.status = "solved" if barrier.status != "solved" else "open"
    session.flush()  # written after the rows were counted, before they are stored
    another_worker_reads_what_was_counted(session)
    stored = session.scalar(select(func.count()).select_from(statistics_rows))
    assert 0 < stored < counted
    with Statements(session) as own:
        figures_of_a = shown(session, a)
    assert figures_of_a == fresh_shown(session, a)
    assert own.counts
    assert all("barrier" in statement for statement in own.counts)


def test_rows_nobody_stored_again_for_a_month_are_deleted(session, world):
    shown(session, load_scope(session, [world.a.organisation_id], False))
    store_counted_rows(session, TODAY - dt.timedelta(days=STORED_ROWS_DAYS + 1))
    old = session.scalar(select(func.count()).select_from(statistics_rows))
    shown(session, load_scope(session, [world.b.organisation_id], False))
    store_counted_rows(session, TODAY)
    organisations = set(session.scalars(select(statistics_rows.c.organisation_id)))
    assert old > 0
    assert organisations == {world.b.organisation_id}


def test_an_erasure_leaves_no_stored_count_of_its_organisation(session, world):
    a = load_scope(session, [world.a.organisation_id], False)
    b = load_scope(session, [world.b.organisation_id], False)
    shown(session, a), shown(session, b)
    store_counted_rows(session, TODAY)
    stored = set(session.scalars(select(statistics_rows.c.organisation_id)))
    assert stored == {world.a.organisation_id, world.b.organisation_id}
    steps = Steps(session, world, random.Random(4))  # noqa: S311 - test data
    client = session.get(Client, world.a.client_id)
    archive(session, steps._manager_of(client), client)
    erase(session, steps._manager_of(client), client)
    session.flush()
    organisations = set(session.scalars(select(statistics_rows.c.organisation_id)))
    assert organisations == {world.b.organisation_id}


def test_a_request_that_counted_figures_stores_them_when_it_ends(client, auth, session, world):
    session.execute(delete(statistics_rows))
    auth.login(world.coordinator_email)
    assert client.get("/admin/statistics/").status_code == 200
    assert session.scalar(select(func.count()).select_from(statistics_rows)) > 0


def test_a_new_contact_changes_no_kept_figure(session, world):
    every = load_scope(session, None, True)
    a = load_scope(session, [world.a.organisation_id], False)
    shown(session, every), shown(session, a)
    before = tokens(session)
    make_contact(session, session.get(Case, world.a.case_id))
    session.flush()
    assert {key for key, token in tokens(session).items() if before.get(key) != token} == {
        (world.a.organisation_id, "contact")
    }
    with Statements(session) as after:
        shown(session, every), shown(session, a)
    assert after.counts == []  # no figure counts contacts


def test_a_text_write_or_a_bulk_write_counts_every_organisation_again(session, world):
    before = tokens(session)
    session.execute(update(Client).where(Client.id == world.a.client_id).values(district=3))
    after_bulk = tokens(session)
    assert after_bulk[(ANY, "client")] != before.get((ANY, "client"))
    session.execute(
        text("UPDATE client SET district = 4 WHERE id = :id"), {"id": world.b.client_id}
    )
    assert tokens(session)[(ANY, EPOCH)] != after_bulk[(ANY, EPOCH)]


def test_the_tables_of_a_statement_include_its_subqueries():
    inner = select(Case.client_id).where(Case.organisation_id.in_(ORGANISATIONS))
    statement = select(func.count()).select_from(Client).where(Client.id.in_(inner))
    assert tables_of(statement) == {"client", "case_file"}


def test_deleting_a_row_replaces_the_tokens_of_what_the_database_deletes_with_it():
    assert {"consent", "status_period"} <= dependants("client")
    assert {"contact", "barrier", "referral", "task"} <= dependants("case_file")


def test_the_rows_of_each_organisation_add_up_to_the_direct_query(session, world, monkeypatch):
    """Grouped counts kept per organisation, added up, are the one query over all of
    them; those not kept are counted in one query, not one per organisation."""
    statement = (
        select(Case.organisation_id, Barrier.status, func.count())
        .select_from(Barrier)
        .join(Case, Barrier.case_id == Case.id)
        .where(Case.organisation_id.in_(ORGANISATIONS))
        .group_by(Case.organisation_id, Barrier.status)
    )
    organisations = [world.a.organisation_id, world.b.organisation_id]
    counted = organisations_counted(monkeypatch)
    kept = sorted(organisation_rows(session, statement, organisations, by_organisation=False))
    assert counted == [organisations]
    FIGURES.enabled = False
    try:
        direct = organisation_rows(session, statement, organisations, by_organisation=False)
    finally:
        FIGURES.enabled = True
    assert kept == sorted(direct)
    assert {status for status, _n in kept} == {b.status for b in session.scalars(select(Barrier))}


def test_an_edit_of_columns_no_figure_reads_keeps_every_figure(session, world):
    every = load_scope(session, None, True)
    a = load_scope(session, [world.a.organisation_id], False)
    shown(session, every), shown(session, a)
    case = session.get(Case, world.a.case_id)
    case.goals = "Deutschkurs B1, dann Ausbildung"
    session.flush()
    with Statements(session) as after:
        kept = shown(session, every), shown(session, a)
    assert after.counts == []
    assert kept == (fresh_shown(session, every), fresh_shown(session, a))
    case.opened_on = case.opened_on - dt.timedelta(days=1)  # a column figures read
    session.flush()
    with Statements(session) as counted:
        again = shown(session, a)
    assert counted.counts
    assert again == fresh_shown(session, a)


def test_the_columns_of_a_statement_are_those_of_its_tables():
    inner = select(Case.client_id.label("person")).where(Case.opened_on > dt.date(2026, 1, 1))
    statement = select(func.count()).select_from(inner.subquery())
    assert columns_of(statement) == {"case_file.client_id", "case_file.opened_on"}


def test_a_partner_linked_to_an_organisation_is_read_by_every_organisation(session, world):
    """A partner's ``organisation_id`` names the KIM organisation it is, not an owner:
    renaming it counts again the figures of every organisation that names it."""
    partner = session.get(Partner, world.partner_id)
    partner.organisation_id = world.b.organisation_id
    session.flush()
    before = tokens(session)
    partner.name = "Jobcenter Düsseldorf (neu)"
    session.flush()
    changed = {key for key, token in tokens(session).items() if before.get(key) != token}
    assert changed == {(ANY, "partner.name")}


def test_a_changed_many_to_many_collection_replaces_its_link_table(session, world):
    case = session.get(Case, world.a.case_id)
    before = tokens(session)
    case.topics.append(make_topic(session, "Wohnen und Umzug"))
    session.flush()
    changed = {key for key, token in tokens(session).items() if before.get(key) != token}
    assert (world.a.organisation_id, "case_topic") in changed


def test_sql_text_that_is_not_a_plain_select_replaces_the_epoch(session, world):
    before = tokens(session)
    session.execute(text("/* Korrektur */ UPDATE client SET district = 5 WHERE id = 0"))
    assert tokens(session)[(ANY, EPOCH)] != before[(ANY, EPOCH)]
