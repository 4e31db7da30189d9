"""The generation of the counted data, per organisation, table and column: figures
computed once are served again only as long as nothing they read has been written since.

``statistics_generation`` holds one token per (organisation, what was written) and an
epoch row ``(ANY, "*")`` that the migration inserts. Every flush of the ORM replaces, in
the writer's own transaction (``bump``), for each record it wrote: the token of
(organisation, table) for a row inserted or deleted (and of the tables the database
deletes from with it), of (organisation, ``table.column``) for each column an update
changed. An insert, update or delete run through a session as a statement (ORM or Core,
bulk included: the seed, the archive, the erasure, the retention run) replaces
``(ANY, table)``, which the figures of every organisation read; a write in ``text()``
replaces the epoch. So:

- a reader that sees a token sees the data as of it or later: a write commits its new
  token together with its rows, and a rolled back write takes its token back with it;
- a token never comes back (random, 62 bits), so figures kept under a token are never
  those of another state of the data, also after a rollback;
- writes to the tables no figure counts (``UNCOUNTED_TABLES``) keep every token.

``FiguresMemo`` keeps computed figures together with what they read (``Reads``): the
tables of every statement they ran through the session, found in the statement itself,
and for each the organisation it was restricted to, or every organisation. Figures are
served again while the tokens of what they read are those they were computed at; so a
new contact at one organisation leaves every other organisation's figures, and the
figures of this one that read no contact, as they were. ``organisation_rows`` keeps a
grouped count's rows per organisation (``ORGANISATIONS`` is the statement's list of
organisations; those not kept are counted together in one query) and depends on the
columns the statement names: the coordination's figures after a write at one organisation count
that organisation's rows of what was written again, and an edit of a column no figure
reads (a case's goals) counts nothing again.

This rests on one rule of the data: a row of a case-level table belongs to the
organisation of the case and client it belongs to (``OrgOwned``, stamped by the app).
Without the epoch row (a schema made without the migration) nothing is kept.

A grouped count's rows of one organisation are also stored in the database
(``statistics_rows``, with the digest of the tokens they were counted at), so that another
worker, or this one after a restart, reads them instead of counting them again: the
rows counted in a request are stored when it ends (``store_counted_rows``), in a
transaction of their own and only while nothing they read has been written since.
The coordination's protected covers are stored alike (``FIGURES.get(..., stored=...)``,
with what they read). Stored rows are counts (a screen cuts them as it shows any count);
rows of another state of the data are replaced when counted again, and rows not stored
again for ``STORED_ROWS_DAYS`` are deleted.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
import logging
import secrets
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    String,
    Table,
    Text,
    TextClause,
    bindparam,
    delete,
    event,
    func,
    inspect,
    select,
    true,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.interfaces import Compiled
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnClause

from models.base import Base, upserting_insert
from models.memo import kept
from models.owned import OrgOwned

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

ANY = 0  # the organisation of a write whose organisation is not known: every one
EPOCH = "*"  # the table of the epoch row: every figure reads it
LOCK_SPACE = 0x4B494D  # "KIM": the advisory lock the writers of counted data take in turn

statistics_generation = Table(
    "statistics_generation",
    Base.metadata,
    Column("organisation_id", Integer, primary_key=True, autoincrement=False),
    Column("table_name", String(63), primary_key=True),
    Column(
        "token",
        BigInteger,
        nullable=False,
        comment="replaced by every write of the table's rows of this organisation",
    ),
    comment="the generation of the counted data per organisation and table "
    "(models/statistics/generation.py)",
)

statistics_rows = Table(
    "statistics_rows",
    Base.metadata,
    Column("shape", String(64), primary_key=True, comment="digest of the grouped count's SQL"),
    Column("organisation_id", Integer, primary_key=True, autoincrement=False),
    Column("version", String(64), nullable=False, comment="digest of the tokens counted at"),
    Column("rows", Text, nullable=False, comment="the organisation's rows, as JSON"),
    Column("stored_on", Date, nullable=False),
    comment="grouped counts of one organisation as of their tokens, shared by all workers "
    "(models/statistics/generation.py)",
)
STORED_ROWS_DAYS = 30  # rows of a count nobody asked for since are deleted
log = logging.getLogger(__name__)

# Tables that no figure counts; a statistics section that reads one must take it out.
UNCOUNTED_TABLES = frozenset(
    {
        "audit_event",
        "login_attempt",
        "number_sequence",
        "statistics_generation",
        "statistics_rows",
    }
)

# The organisations a statement of ``organisation_rows`` counts: ``.in_(ORGANISATIONS)``.
ORGANISATIONS: BindParameter[list[int]] = bindparam("statistics_organisations", expanding=True)

Tokens = dict[tuple[int, str], int]


def new_token() -> int:
    return secrets.randbits(62)


# --- writing: the tokens a write replaces ------------------------------------------


def _dependants() -> dict[str, set[str]]:
    """Per table, the tables whose rows the database changes when one of its rows is
    deleted (``ON DELETE CASCADE`` / ``SET NULL``), followed to their end."""
    direct: dict[str, set[str]] = defaultdict(set)
    for table in Base.metadata.tables.values():
        for key in table.foreign_keys:
            if (key.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                direct[key.column.table.name].add(table.name)
    closed: dict[str, set[str]] = {}
    for name in list(direct):
        seen, todo = set(), [name]
        while todo:
            for child in direct.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        closed[name] = seen
    return closed


_DEPENDANTS: dict[str, set[str]] | None = None


def dependants(table: str) -> set[str]:
    global _DEPENDANTS  # noqa: PLW0603 - computed once all models are declared
    if _DEPENDANTS is None:
        _DEPENDANTS = _dependants()
    return _DEPENDANTS.get(table, set())


def bump(session: Session, written: Iterable[tuple[int, str]]) -> None:
    """Fresh tokens for ``(organisation, table)`` pairs, in the session's transaction."""
    pairs = sorted({pair for pair in written if pair[1] not in UNCOUNTED_TABLES})
    if not pairs:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    rows = [{"organisation_id": o, "table_name": t, "token": new_token()} for o, t in pairs]
    if dialect == "postgresql":
        # Writers take their turn here until they commit, one at a time: the token rows
        # of several organisations and tables, taken flush by flush in any order by two
        # writers, could otherwise lock each other (as one row did in round 1).
        connection.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE)))
    # The app runs on SQLite and PostgreSQL, both of which upsert alike.
    insert = upserting_insert(dialect, statistics_generation)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=["organisation_id", "table_name"],
            set_={"token": insert.excluded.token},
        ),
        rows,
    )


def replace_epoch(connection: Connection) -> None:
    """Every figure counted again, as after SQL text through a session: for writes that
    no session sees, such as a migration's (``migrations/env.py``). A schema without the
    epoch row (before the migration that makes it) keeps nothing anyway."""
    inspector = inspect(connection)
    name = statistics_generation.name
    if not inspector.has_table(name):
        return
    if "table_name" not in {column["name"] for column in inspector.get_columns(name)}:
        return
    connection.execute(
        statistics_generation.update()
        .where(
            statistics_generation.c.organisation_id == ANY,
            statistics_generation.c.table_name == EPOCH,
        )
        .values(token=new_token())
    )


def tokens(session: Any) -> Tokens | None:
    """Every token the session's transaction sees, after its own pending writes are
    flushed (as a query would); None without the epoch row."""
    if getattr(session, "autoflush", False):
        session.flush()
    found: Tokens = {
        (int(org), name): int(token)
        for org, name, token in session.connection().execute(select(statistics_generation))
    }
    return found if (ANY, EPOCH) in found else None


def _organisation_of(record: Any) -> list[int]:
    """The organisations whose rows a flushed record wrote: its own, before and after,
    for a case-level record (``OrgOwned``); any other (a partner linked to a KIM
    organisation, a user) is read by every organisation's figures."""
    if not isinstance(record, OrgOwned):
        return [ANY]
    state = inspect(record)
    history = state.attrs.organisation_id.history
    found = {value for value in (*history.added, *history.deleted, *history.unchanged) if value}
    if not found:
        found = {state.dict.get("organisation_id") or ANY}
    return sorted(found)


def _table_name(target: Any) -> str | None:
    return getattr(target, "name", None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Inserts, updates and deletes of the ORM: the records this flush wrote (not the
    whole session's, which a long seed or job holds by the hundred thousand)."""
    written: set[tuple[int, str]] = set()
    erased: set[int] = set()
    new = session.new  # still the records before the flush, kept by identity
    for state, (deleted, list_only) in flush_context.states.items():
        record = state.obj()
        if list_only or record is None:
            continue
        name = _table_name(getattr(record, "__table__", None))
        if name is None:
            continue
        if deleted:
            names = {name, *dependants(name)}
        elif record in new:
            names = {name}  # a new row
        else:
            # An update: the columns it changed (none, for a record only "dirty" by a
            # changed collection, such as a case with a new contact), and the link tables
            # of its changed many-to-many collections (a case's topics).
            names = {f"{name}.{column}" for column in _changed_columns(state)}
            names |= _changed_links(state)
        organisations = _organisation_of(record)
        written.update((org, table) for org in organisations for table in names)
        if deleted:
            erased.update(organisations)
    bump(session, written)
    if erased:
        # An erasure leaves no count of the erased in the database, not even stored
        # counts of the state before it (which no figure would read again).
        stored = statistics_rows.c.organisation_id.in_([*erased, ANY])
        session.connection().execute(
            delete(statistics_rows).where(true() if ANY in erased else stored)
        )


def _changed_links(state: Any) -> set[str]:
    return {
        relationship.secondary.name
        for relationship in state.mapper.relationships
        if isinstance(relationship.secondary, Table)
        and state.attrs[relationship.key].history.has_changes()
    }


def _changed_columns(state: Any) -> set[str]:
    changed: set[str] = set()
    for attribute in state.mapper.column_attrs:
        if state.attrs[attribute.key].history.has_changes():
            changed.update(column.name for column in attribute.columns)
    return changed


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    """Statements run through a session: bulk ORM and Core writes, and text; and what
    the figures being computed read."""
    statement = state.statement
    if isinstance(statement, TextClause):
        # Only a plain SELECT is taken for a read; anything else (a comment first, a
        # WITH that may write) replaces the epoch.
        verb = statement.text.lstrip().split(None, 1)[:1]
        if verb and verb[0].lower() == "select":
            _record(Reads(frozenset({EPOCH}), None))
        else:
            bump(state.session, [(ANY, EPOCH)])
        return
    if state.is_insert or state.is_update or state.is_delete:
        name = _table_name(getattr(statement, "table", None))
        if name is not None:
            names = {name, *(dependants(name) if state.is_delete else ())}
            bump(state.session, [(ANY, table) for table in names])
        else:
            bump(state.session, [(ANY, EPOCH)])
        return
    if state.is_select and _recording() is not None:  # tables found only for a computation
        _record(Reads(tables_of(statement), None))


# --- reading: what figures read, and keeping them --------------------------------


def tables_of(statement: Any) -> frozenset[str]:
    """The tables a statement reads, subqueries included."""
    return frozenset(
        element.name for element in visitors.iterate(statement) if isinstance(element, Table)
    )


def columns_of(statement: Any) -> frozenset[str]:
    """The columns a statement reads, as ``table.column`` of their tables (through
    aliases and subqueries)."""
    found = set()
    for element in visitors.iterate(statement):
        if isinstance(element, ColumnClause):
            for base in element.base_columns:
                table = getattr(base, "table", None)
                if isinstance(table, Table):
                    found.add(f"{table.name}.{base.name}")
    return frozenset(found)


@dataclass(frozen=True)
class Reads:
    """Tables that figures read: of one organisation (with ``ANY``), or of every one.

    With ``columns`` (``table.column``), only those columns of the rows that stay: an
    update of other columns of these tables leaves them as they were. Without, every
    column."""

    tables: frozenset[str]
    organisation: int | None
    columns: frozenset[str] | None = None

    def _depends_on(self, written: str) -> bool:
        table, _dot, column = written.partition(".")
        if table not in self.tables:
            return written == EPOCH
        return not column or self.columns is None or written in self.columns

    def version(self, found: Tokens) -> Hashable:
        """The tokens these reads depend on, as found."""
        if EPOCH in self.tables:  # read from text: any table
            return frozenset(found.items())
        if self.organisation is None or self.columns is None:
            return frozenset(
                (key, token)
                for key, token in found.items()
                if key[0] in (ANY, self.organisation) or self.organisation is None
                if self._depends_on(key[1])
            )
        return tuple(
            found.get((org, written))
            for written in (EPOCH, *sorted(self.tables), *sorted(self.columns))
            for org in (self.organisation, ANY)
        )


@dataclass
class _Kept:
    value: Any
    versions: tuple[tuple[Reads, Hashable], ...]

    @classmethod
    def of(cls, value: Any, reads: Iterable[Reads], found: Tokens) -> _Kept:
        return cls(value, tuple((r, r.version(found)) for r in reads))

    def valid(self, found: Tokens) -> bool:
        return all(reads.version(found) == version for reads, version in self.versions)


@dataclass
class _Computing:
    """One computation of figures: the tokens seen at its start and what it read."""

    found: Tokens
    reads: set[Reads] = field(default_factory=set)
    # What it computed so far, by key, as of ``found``: served to its later parts too.
    done: dict[Hashable, _Kept] = field(default_factory=dict)
    # The caller names what it reads (``get_many``): its statements record nothing.
    explicit: bool = False
    # The computation this one is part of (``found`` is the outermost's).
    parent: _Computing | None = None

    def computed(self, key: Hashable) -> _Kept | None:
        """What this computation or one it is part of has computed under ``key``."""
        computing: _Computing | None = self
        while computing is not None:
            if key in computing.done:
                return computing.done[key]
            computing = computing.parent
        return None


_computing: contextvars.ContextVar[_Computing | None] = contextvars.ContextVar(
    "statistics_computing", default=None
)


def _recording() -> _Computing | None:
    """The computation whose statements record what they read, if one runs."""
    computing = _computing.get()
    return computing if computing is not None and not computing.explicit else None


def _record(reads: Reads) -> None:
    computing = _recording()
    if computing is not None:
        computing.reads.add(reads)


class FiguresMemo:
    """Figures kept per (database, question) with what they read, the least recently
    used dropped."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self.enabled = True

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def get(
        self,
        session: Any,
        question: Hashable,
        compute: Callable[[], T],
        stored: Stored | None = None,
    ) -> T:
        """The figures of ``question`` as of the tokens the session sees: kept, or
        computed now (what they read is recorded from the statements ``compute`` runs).
        With ``stored``, also stored for every worker (``statistics_rows``) and read
        from there before they are computed."""
        outer, found = self._tokens(session)
        if found is None:
            return compute()
        key = (self._database(session), question)
        with self._lock:
            kept = self._served(key, found, outer)
        if kept is not None:
            return kept.value
        if stored is not None and (kept := _read_stored(session, question, found, stored)):
            self._settle(session, found, outer, {key: kept}, [r for r, _v in kept.versions])
            return kept.value
        computing = _Computing(found, parent=outer)
        started = _computing.set(computing)
        try:
            value = compute()
        finally:
            _computing.reset(started)
        done = {**computing.done, key: _Kept.of(value, computing.reads, found)}
        if stored is not None:
            _to_store(session, question, done[key], stored)
        self._settle(session, found, outer, done, computing.reads)
        return value

    def get_many(
        self,
        session: Any,
        questions: Mapping[K, tuple[Hashable, Reads]],
        compute: Callable[[list[K]], Mapping[K, Any]],
    ) -> dict[K, Any]:
        """``get`` for several questions at once, each with what it reads: those not kept
        computed together by one call of ``compute`` (with the names of the missing)."""
        outer, found = self._tokens(session)
        if found is None:
            return dict(compute(list(questions)))
        database = self._database(session)
        answers: dict[K, Any] = {}
        with self._lock:
            for name, (question, _reads) in questions.items():
                kept = self._served((database, question), found, outer)
                if kept is not None:
                    answers[name] = kept.value
        missing = [name for name in questions if name not in answers]
        if not missing:
            return answers
        started = _computing.set(_Computing(found, explicit=True, parent=outer))
        try:
            computed = compute(missing)
        finally:
            _computing.reset(started)
        done: dict[Hashable, _Kept] = {}
        for name in missing:
            question, reads = questions[name]
            answers[name] = computed[name]
            done[database, question] = _Kept.of(computed[name], {reads}, found)
        self._settle(session, found, outer, done, {questions[name][1] for name in missing})
        return answers

    def _tokens(self, session: Any) -> tuple[_Computing | None, Tokens | None]:
        """The computation this one is part of, and the tokens it goes by (those seen
        at the start of the outermost; None: nothing is kept)."""
        outer = _computing.get()
        if outer is not None:
            return outer, outer.found
        return None, tokens(session) if self.enabled else None

    @staticmethod
    def _database(session: Any) -> str:
        bind = session.get_bind()
        return str(getattr(bind, "engine", bind).url)

    def _served(self, key: Hashable, found: Tokens, outer: _Computing | None) -> _Kept | None:
        """What is kept under ``key`` and still valid, or what the computation this one
        is part of has computed under it already (its reads passed to ``outer``)."""
        kept = self._kept.get(key)
        if kept is not None and kept.valid(found):
            self._kept.move_to_end(key)
        elif outer is not None and (pending := outer.computed(key)) is not None:
            kept = pending  # as of the same tokens: figures that a cover and a table share
        else:
            return None
        if outer is not None:
            outer.reads.update(reads for reads, _version in kept.versions)
        return kept

    def _settle(
        self,
        session: Any,
        found: Tokens,
        outer: _Computing | None,
        done: dict[Hashable, _Kept],
        reads: Iterable[Reads],
    ) -> None:
        """What was computed: passed to the computation it is part of, or kept."""
        if outer is not None:
            outer.reads.update(reads)
            outer.done.update(done)
        else:
            self._keep(session, done)

    def _keep(self, session: Any, done: dict[Hashable, _Kept]) -> None:
        """Kept only what no write changed while it was computed (a write of this
        transaction, or, on PostgreSQL, one committed in between)."""
        after = tokens(session) or {}
        with self._lock:
            for key, kept in done.items():
                if kept.valid(after):
                    self._kept[key] = kept
                    self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


FIGURES = FiguresMemo()


def organisation_rows(
    session: Any,
    statement: Any,
    organisations: Sequence[int],
    fold: Callable[[list[Any]], list[Any]] | None = None,
    *,
    by_organisation: bool = True,
) -> list[Any]:
    """The rows of a grouped count whose organisations are ``ORGANISATIONS`` and whose
    first column is the organisation: kept per organisation, those not kept counted in
    one query (every column but the last is a group; the last is a count, or a count of
    rows that belong to one organisation each, such as distinct cases).

    Each organisation's rows are added up to one per group when they are counted, so
    the rows by organisation are those of every organisation one after the other: after
    a write at one organisation only its rows are counted and added up again.

    ``fold``: one organisation's rows to fewer rows of the same kind, before they are kept.
    ``by_organisation=False``: the rows without their first column, added up over the
    organisations. With nothing kept (``FIGURES.enabled`` off), the one direct query."""
    parameter = ORGANISATIONS.key
    if not FIGURES.enabled:
        rows = _rows_of(session, statement, parameter, list(organisations))
        return _added_up(fold(rows) if fold is not None else rows, by_organisation)
    shape, values, (tables, columns) = statement_name(session, statement, parameter)
    questions = {
        org: (
            ("rows", shape, values, org, fold and fold.__qualname__),
            Reads(tables, org, columns),
        )
        for org in organisations
    }

    def count(missing: list[int]) -> dict[int, list[Any]]:
        computing = _computing.get()
        found = computing.found if computing is not None else {}
        stored = StoredRows(
            session, statement, fold, found, {org: questions[org][1] for org in missing}
        )
        answers = stored.read()
        to_count = [org for org in missing if org not in answers]
        if not to_count:
            return answers
        per_organisation: dict[int, list[Any]] = {org: [] for org in to_count}
        for row in _rows_of(session, statement, parameter, to_count):
            per_organisation[row[0]].append(row)
        for org, rows in per_organisation.items():
            answers[org] = _added_up(fold(rows) if fold is not None else rows, True)
        stored.to_store({org: answers[org] for org in to_count})
        return answers

    found = FIGURES.get_many(session, questions, count)
    rows = [row for org in organisations for row in found[org]]
    return rows if by_organisation else _added_up(rows, False)


_READS_OF_SHAPE: dict[Hashable, tuple[frozenset[str], frozenset[str]]] = {}
SHAPES_KEPT = 4096  # some dozens in use: one per grouped count, a few per list and filter


def statement_name(
    session: Any, statement: Any, parameter: str | None = None
) -> tuple[Hashable, tuple[Any, ...], tuple[frozenset[str], frozenset[str]]]:
    """A count as a memo names it (the statistics' grouped counts, a list's count): its
    shape, its values but ``parameter``, and the tables and columns it reads (found once
    per shape). The shape is SQLAlchemy's cache key of the statement, what its own cache
    of compiled SQL goes by: no compiling (a millisecond or more per count, each time a
    page is put together again)."""
    cache_key = statement._generate_cache_key()
    if cache_key is None:  # a statement SQLAlchemy does not cache: named by its SQL
        compiled = statement.compile(dialect=session.get_bind().dialect)
        shape: Hashable = compiled.string
        named = sorted((k, v) for k, v in compiled.params.items() if k != parameter)
        values = tuple(_hashable(value) for _name, value in named)
    else:
        shape = cache_key.key
        values = tuple(
            _hashable(bound.effective_value)
            for bound in cache_key.bindparams
            if bound.key != parameter
        )
    reads = kept(
        _READS_OF_SHAPE,
        shape,
        lambda: (tables_of(statement), columns_of(statement)),
        SHAPES_KEPT,
    )
    return shape, values, reads


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _added_up(rows: Iterable[Sequence[Any]], by_organisation: bool) -> list[Any]:
    """One row per group, its count the sum of the rows of that group (``False``: the
    group without the organisation, the first column)."""
    start = 0 if by_organisation else 1
    summed: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        group = tuple(row[start:-1])
        summed[group] = summed[group] + row[-1] if group in summed else row[-1]
    return [(*group, n) for group, n in summed.items()]


def _rows_of(session: Any, statement: Any, parameter: str, organisations: list[int]) -> list[Any]:
    return [tuple(row) for row in session.execute(statement, {parameter: organisations})]


# --- the rows of grouped counts, shared by every worker through the database --------


@dataclass
class StoredRows:
    """One grouped count's rows per organisation in ``statistics_rows``: read if stored
    as of the tokens the computation goes by, and, when counted, stored at the end of the
    request (``store_counted_rows``)."""

    session: Any
    statement: Any
    fold: Callable[[list[Any]], list[Any]] | None
    found: Tokens
    reads: dict[int, Reads]

    def read(self) -> dict[int, list[Any]]:
        if not self.found:
            return {}
        versions = self.versions
        stored = self.session.connection().execute(
            select(
                statistics_rows.c.organisation_id,
                statistics_rows.c.version,
                statistics_rows.c.rows,
            ).where(
                statistics_rows.c.shape == self.shape,
                statistics_rows.c.organisation_id.in_(list(versions)),
            )
        )
        return {
            org: [tuple(row) for row in json.loads(rows, object_hook=_decoded)]
            for org, version, rows in stored
            if versions.get(org) == version
        }

    def to_store(self, counted: dict[int, list[Any]]) -> None:
        if not self.found:
            return
        pending = self.session.info.setdefault(_PENDING, [])
        for org, rows in counted.items():
            if all(isinstance(value, _STORABLE) for row in rows for value in row):
                payload = json.dumps(rows, separators=(",", ":"), default=_encoded)
                read = ((self.reads[org], self.versions[org]),)
                pending.append(_ToStore(self.shape, org, read, payload))

    @cached_property
    def versions(self) -> dict[int, str]:
        """Per organisation, the digest of the tokens its rows are counted at."""
        return {org: _digest(reads.version(self.found)) for org, reads in self.reads.items()}

    @cached_property
    def shape(self) -> str:
        """The count's SQL and values, named alike in every worker (SQLAlchemy's cache
        key, which names it within one process, holds objects of that process). As when
        SQLAlchemy executes it, the statement is compiled once per cache key in this
        process (``_SHAPES_COMPILED``) and the values of this one are put into that."""
        dialect = self.session.get_bind().dialect
        cache_key = self.statement._generate_cache_key()
        if cache_key is None or cache_key.params:  # no cache key, or values of .params()
            compiled = self.statement.compile(dialect=dialect)
            params = compiled.params
        else:
            compiled = kept(
                _SHAPES_COMPILED,
                (dialect, cache_key.key),
                lambda: self.statement.compile(dialect=dialect, cache_key=cache_key),
                SHAPES_KEPT,
            )
            params = compiled.construct_params(
                {ORGANISATIONS.key: []},
                extracted_parameters=cache_key.bindparams,
                escape_names=False,
            )
        values = sorted(
            (key, _value_text(value, getattr(compiled.binds.get(key), "expanding", False)))
            for key, value in params.items()
            if key != ORGANISATIONS.key
        )
        fold = self.fold.__qualname__ if self.fold is not None else None
        return _digest((compiled.string, values, fold))


_SHAPES_COMPILED: dict[tuple[Dialect, Hashable], Compiled] = {}


def _value_text(value: Any, expanding: bool) -> str:
    """A bound value as text, alike in every process: the values of an ``IN`` list sorted
    (a list made from a set has the order of this process's string hashes)."""
    if expanding and isinstance(value, list | tuple):
        return repr(sorted(repr(item) for item in value))
    return repr(value)


@dataclass(frozen=True)
class Stored:
    """How figures of one kind are stored for every worker: as JSON's values (``encode``
    gives None for figures that cannot be), and back."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


@dataclass(frozen=True)
class _ToStore:
    """Counted in this request, stored at its end while each of ``versions`` (what was
    read, the digest of its tokens then) still holds."""

    shape: str
    organisation: int
    versions: tuple[tuple[Reads, str], ...]
    payload: str

    def holds(self, now: Tokens) -> bool:
        return all(_digest(reads.version(now)) == digest for reads, digest in self.versions)

    @property
    def version(self) -> str:
        if len(self.versions) == 1:
            return self.versions[0][1]
        return _digest([digest for _reads, digest in self.versions])


def _figures_shape(question: Hashable) -> str:
    return _digest(("figures", question))


def _to_store(session: Any, question: Hashable, kept: _Kept, stored: Stored) -> None:
    value = stored.encode(kept.value)
    if value is None:
        return
    versions = tuple((reads, _digest(version)) for reads, version in kept.versions)
    described = [
        [
            sorted(reads.tables),
            reads.organisation,
            sorted(reads.columns) if reads.columns is not None else None,
            digest,
        ]
        for reads, digest in versions
    ]
    payload = json.dumps(
        {"reads": described, "value": value}, separators=(",", ":"), default=_encoded
    )
    entry = _ToStore(_figures_shape(question), ANY, versions, payload)
    session.info.setdefault(_PENDING, []).append(entry)


def _read_stored(session: Any, question: Hashable, found: Tokens, stored: Stored) -> _Kept | None:
    """The figures of ``question`` stored by any worker, if nothing they read changed."""
    text = (
        session.connection()
        .execute(
            select(statistics_rows.c.rows).where(
                statistics_rows.c.shape == _figures_shape(question),
                statistics_rows.c.organisation_id == ANY,
            )
        )
        .scalar_one_or_none()
    )
    if text is None:
        return None
    payload = json.loads(text, object_hook=_decoded)
    versions = []
    for tables, organisation, columns, digest in payload["reads"]:
        reads = Reads(
            frozenset(tables), organisation, frozenset(columns) if columns is not None else None
        )
        version = reads.version(found)
        if _digest(version) != digest:
            return None
        versions.append((reads, version))
    return _Kept(stored.decode(payload["value"]), tuple(versions))


_PENDING = "statistics_rows_to_store"
# What a stored row may hold: JSON's own values, and numbers PostgreSQL gives as NUMERIC
# (EXTRACT, sums), kept as their exact text (a row never holds a JSON object otherwise).
_STORABLE = (int, float, str, type(None), Decimal)


def _encoded(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    raise TypeError(f"not stored: {type(value).__name__}")


def _decoded(value: dict[str, Any]) -> Any:
    return Decimal(value["decimal"]) if value.keys() == {"decimal"} else value


def _digest(value: Any) -> str:
    """A name of ``value`` that is the same in every process (a frozenset's order is not)."""
    if isinstance(value, frozenset):
        value = sorted(value, key=repr)
    return hashlib.sha256(repr(value).encode()).hexdigest()


def store_counted_rows(session: Any, today: dt.date, *, end_reading: bool = False) -> None:
    """The rows a request counted, stored for every worker: in a transaction of their own,
    each only while the tokens of what it read are still those it was counted at. A
    database that cannot take them now (another writer's lock) is left as it is: the
    rows are counted again when next asked for.

    ``end_reading``: the session is closed first, as the end of a request closes it (its
    snapshot is not held while the rows are stored)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if end_reading:
        session.close()
    own = Session(session.get_bind(), join_transaction_mode="create_savepoint")
    try:
        if own.get_bind().dialect.name == "postgresql":
            # Stored rows are counted again if lost: their commit need not wait for the
            # disk (PostgreSQL still commits them whole or not at all).
            own.execute(select(func.set_config("synchronous_commit", "off", true())))
        now = tokens(own) or {}
        latest = {(entry.shape, entry.organisation): entry for entry in pending}
        rows = [
            {
                "shape": entry.shape,
                "organisation_id": entry.organisation,
                "version": entry.version,
                "rows": entry.payload,
                "stored_on": today,
            }
            for _key, entry in sorted(latest.items())
            if now and entry.holds(now)
        ]  # in one order: two workers storing the same rows wait for each other
        if rows:
            connection = own.connection()
            insert = upserting_insert(connection.dialect.name, statistics_rows)
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["shape", "organisation_id"],
                    set_={
                        "version": insert.excluded.version,
                        "rows": insert.excluded.rows,
                        "stored_on": insert.excluded.stored_on,
                    },
                ),
                rows,
            )
            connection.execute(
                delete(statistics_rows).where(
                    statistics_rows.c.stored_on < today - dt.timedelta(days=STORED_ROWS_DAYS)
                )
            )
        own.commit()
    except DBAPIError:
        own.rollback()
        log.warning("counted statistics rows not stored", exc_info=True)
    finally:
        own.close()
