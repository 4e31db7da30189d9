"""The generation of the counted data: a token that every write replaces, in its own
transaction, so that figures computed once can be served again only as long as no
write has happened since.

``statistics_generation`` holds one row. Every flush of the ORM and every insert, update
or delete run through a session (ORM or Core, bulk included: the seed, the archive, the
erasure, the retention run) sets its token to a fresh random number in the same
transaction as the write (``bump``, from session events). So:

- a reader that sees token T sees the data as of T or later: a write commits its new
  token together with its rows, and a rolled back write takes its token back with it;
- a token never comes back (random, 62 bits), so figures kept under a token are never
  those of another state of the data, also after a rollback;
- writes to the tables no figure counts (``UNCOUNTED_TABLES``: the audit trail, login
  attempts, number sequences) keep the token: a refused request still changes nothing.

``FiguresMemo`` keeps computed figures under (database, token, what was asked). Without
the row (a schema made without the migration), ``current`` is None and nothing is kept.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Column, Integer, Table, TextClause, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from models.base import Base

T = TypeVar("T")

statistics_generation = Table(
    "statistics_generation",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column(
        "token",
        BigInteger,
        nullable=False,
        comment="replaced by every write of counted data; statistics are kept per token",
    ),
    comment="one row: the generation of the counted data (models/statistics/generation.py)",
)

# Tables that no figure counts; a statistics section that reads one must take it out.
UNCOUNTED_TABLES = frozenset(
    {"audit_event", "login_attempt", "number_sequence", "statistics_generation"}
)
WRITE_VERBS = ("insert", "update", "delete", "replace", "merge", "truncate")


def new_token() -> int:
    return secrets.randbits(62)


def bump(session: Session) -> None:
    """A fresh token, in the session's current transaction (none without the row)."""
    session.connection().execute(
        update(statistics_generation)
        .where(statistics_generation.c.id == 1)
        .values(token=new_token())
    )


def current(session: Any) -> int | None:
    """The token the session's transaction sees; None without the row."""
    token: int | None = (
        session.connection()
        .execute(select(statistics_generation.c.token).where(statistics_generation.c.id == 1))
        .scalar()
    )
    return token


def _table_name(target: Any) -> str | None:
    return getattr(target, "name", None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    """Inserts, updates and deletes of the ORM (still listed after the flush)."""
    changed = [*session.new, *session.dirty, *session.deleted]
    tables = {_table_name(getattr(record, "__table__", None)) for record in changed}
    if tables - UNCOUNTED_TABLES:
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    """Statements run through a session: bulk ORM and Core writes, and text."""
    statement = state.statement
    if isinstance(statement, TextClause):
        verb = statement.text.lstrip().split(None, 1)[:1]
        if verb and verb[0].lower() in WRITE_VERBS:
            bump(state.session)
        return
    if state.is_insert or state.is_update or state.is_delete:
        name = _table_name(getattr(statement, "table", None))
        if name not in UNCOUNTED_TABLES:
            bump(state.session)


class FiguresMemo:
    """Figures kept per (database, token, question), the least recently used dropped."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.enabled = True

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def get(self, session: Any, question: Hashable, compute: Callable[[], T]) -> T:
        """The figures of ``question`` as of the session's token: kept, or computed now."""
        token = current(session) if self.enabled else None
        if token is None:
            return compute()
        bind = session.get_bind()
        key = (str(getattr(bind, "engine", bind).url), token, question)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                found: T = self._kept[key]
                return found
        value = compute()
        # Kept only if no write of this transaction came in between (then the token moved).
        if current(session) == token:
            with self._lock:
                self._kept[key] = value
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return value


FIGURES = FiguresMemo()
