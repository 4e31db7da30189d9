"""A locked or dropped database gives the German 503 page; nothing is half-saved; the next
request works."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from models import Case, Client
from tests.factories import OPENED_ON, World
from tests.lifecycle_helpers import client_form, count_rows, events

if TYPE_CHECKING:
    from tests.conftest import AuthActions

RETRY_TITLE = "Bitte erneut versuchen"
# Locks held by other connections, failing and terminated connections: real commits.
pytestmark = pytest.mark.commits


def body(response: Any) -> str:
    return response.get_data(as_text=True)


# --- SQLite: another connection holds the write lock --------------------------------------


@pytest.fixture
def short_busy_timeout(app: Flask, engine: Engine) -> Iterator[None]:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite write locks; PostgreSQL locks rows, not the database")
    app.config["KIM_SQLITE_BUSY_TIMEOUT_MS"] = 200
    engine.dispose()  # new connections read the shorter wait
    yield
    app.config.pop("KIM_SQLITE_BUSY_TIMEOUT_MS")
    engine.dispose()


@pytest.fixture
def write_lock(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A second sqlite3 connection that holds the database's write lock until released."""
    holder = sqlite3.connect(engine.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def test_the_busy_timeout_is_configurable(short_busy_timeout: None, engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 200
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_locked_database_gives_503_then_the_normal_page_after_release(  # noqa: PLR0917 - pytest passes fixtures
    short_busy_timeout: None,
    client: FlaskClient,
    auth: AuthActions,
    engine: Engine,
    world: World,
    write_lock: sqlite3.Connection,
) -> None:
    # Signing in writes too, so it happens before the lock is taken.
    write_lock.execute("ROLLBACK")
    auth.login(world.a.case_manager_email)
    write_lock.execute("BEGIN IMMEDIATE")
    clients_before = count_rows(engine, Client)

    locked = client.post("/admin/clients/new/", data=client_form())

    assert locked.status_code == 503
    assert RETRY_TITLE in body(locked)
    assert "nichts gespeichert" in body(locked)
    assert client.get("/admin/clients/").status_code == 200  # readers are not blocked (WAL)

    write_lock.execute("ROLLBACK")
    saved = client.post("/admin/clients/new/", data=client_form())

    assert saved.status_code == 302
    assert count_rows(engine, Client) == clients_before + 1
    assert len(events(engine, record_type="Client")) == 1  # only the save that went through


def test_locked_database_during_an_edit_gives_503_and_keeps_the_case(  # noqa: PLR0917 - pytest passes fixtures
    short_busy_timeout: None,
    client: FlaskClient,
    auth: AuthActions,
    engine: Engine,
    world: World,
    write_lock: sqlite3.Connection,
) -> None:
    write_lock.execute("ROLLBACK")
    auth.login(world.a.case_manager_email)
    form = {
        "client": str(world.a.client_id),
        "case_manager": str(world.a.case_manager_id),
        "opened_on": OPENED_ON.isoformat(),
        "phase": "planning",
        "row_version": "1",
    }
    write_lock.execute("BEGIN IMMEDIATE")

    locked = client.post(f"/admin/cases/edit/?id={world.a.case_id}", data=form)

    assert locked.status_code == 503
    write_lock.execute("ROLLBACK")
    assert count_rows(engine, Case, Case.phase == "planning") == 0
    saved = client.post(f"/admin/cases/edit/?id={world.a.case_id}", data=form)
    assert saved.status_code == 302
    assert count_rows(engine, Case, Case.phase == "planning") == 1


# --- any database: the connection fails in the middle of a save ---------------------------


@pytest.fixture
def fail_next_insert_into(engine: Engine) -> Iterator[list[str]]:
    """Let the next INSERT into the listed table fail like a dropped connection."""
    tables: list[str] = []

    def fail(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        for table in list(tables):
            if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
                tables.remove(table)
                raise OperationalError(statement, None, Exception("server closed the connection"))

    event.listen(engine, "before_cursor_execute", fail)
    yield tables
    event.remove(engine, "before_cursor_execute", fail)


def test_connection_failure_during_create_gives_503_and_nothing_half_saved(
    client: FlaskClient,
    auth: AuthActions,
    engine: Engine,
    world: World,
    fail_next_insert_into: list[str],
) -> None:
    auth.login(world.a.case_manager_email)
    clients_before = count_rows(engine, Client)
    fail_next_insert_into.append("client")

    failed = client.post("/admin/clients/new/", data=client_form())

    assert failed.status_code == 503
    assert RETRY_TITLE in body(failed)
    assert count_rows(engine, Client) == clients_before
    assert len(events(engine)) == 0
    saved = client.post("/admin/clients/new/", data=client_form())
    assert saved.status_code == 302
    assert count_rows(engine, Client) == clients_before + 1


def test_connection_failure_while_writing_the_audit_event_rolls_back_the_change(
    client: FlaskClient,
    auth: AuthActions,
    engine: Engine,
    world: World,
    fail_next_insert_into: list[str],
) -> None:
    auth.login(world.a.case_manager_email)
    fail_next_insert_into.append("audit_event")

    failed = client.post("/admin/clients/new/", data=client_form())

    assert failed.status_code == 503
    assert count_rows(engine, Client, Client.last_name == "Y\u0131lmaz") == 0
    assert len(events(engine)) == 0


def test_terminated_postgresql_connections_are_replaced_on_the_next_request(
    client: FlaskClient, auth: AuthActions, engine: Engine, world: World
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    auth.login(world.a.case_manager_email)
    assert client.get("/admin/clients/").status_code == 200

    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        connection.commit()

    assert client.get("/admin/clients/").status_code == 200
    assert client.post("/admin/clients/new/", data=client_form()).status_code == 302
