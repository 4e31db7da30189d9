"""One application per test session, one frozen day, and each test rolled back.

Tests run on SQLite by default and on PostgreSQL when ``KIM_TEST_DATABASE_URL`` is set.
The schema comes from the migrations, as in production.

The clock stands still at ``FROZEN_AT``, on the day ``tests.factories.TODAY``
(``KIM_TEST_TODAY``, default 2026-11-25), for the app and the tests alike; a test that
needs time to pass takes the ``clock`` fixture and shifts it.

The app commits for real (stale-edit and constraint checks happen at commit), so each test
runs inside a transaction of its own connection, and every session joins it through a
SAVEPOINT (SQLAlchemy's "Joining a Session into an External Transaction"): the app's
commits release savepoints, and the end of the test rolls everything back. A test that
needs more than one connection (threads, a second app, backups, database faults,
migrations) is marked ``commits``, or asks for ``engine``, which marks it: it commits for
real and its tables are emptied afterwards.

A module marked ``shared_world`` builds the ``world`` once, in a transaction of the module's
own, and runs each test in a SAVEPOINT of it that is rolled back: every test starts from the
same world as before, without building it again (2,100 requests of the permission walk).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from admin_views.paging import LIST_COUNTS
from app.extensions import db
from app.factory import create_app
from models import Base, User
from models.statistics.generation import ANY, EPOCH, new_token, statistics_generation
from tests.factories import PASSWORD, TODAY, World, build_world

# 10:00 in Düsseldorf in winter, 11:00 in summer: the same day there as in UTC.
FROZEN_AT = dt.datetime.combine(TODAY, dt.time(9, 0), tzinfo=dt.UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``engine`` hands out connections of their own, which see only committed rows."""
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.commits)


# --- the clock ---------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _frozen_clock() -> Iterator[Any]:
    """time-machine's traveller: ``date.today``, ``datetime.now``, ``time.time`` stand still."""
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clock(_frozen_clock: Any) -> Iterator[Any]:
    """The frozen clock for a test that lets time pass (``clock.shift(seconds)``).

    Back at ``FROZEN_AT`` after the test.
    """
    if dt.datetime.now(dt.UTC) != FROZEN_AT:
        pytest.fail(
            "another time-machine travel is running on top of the suite's frozen clock "
            "(a fixture whose scope outlives its tests?): shifting the suite's clock is void"
        )
    yield _frozen_clock
    _frozen_clock.move_to(FROZEN_AT, tick=False)


# --- the application and its database ----------------------------------------------------


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KIM_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kim-test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        _drop_everything()
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))
    yield app
    with app.app_context():
        _drop_everything()
        db.engine.dispose()


def _drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        # A streamed download a test never read to its end can hold its transaction open
        # until garbage collection; collect it first, and never let it block the drop.
        gc.collect()
        db.engine.dispose()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        db.engine.dispose()
    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def _engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


@pytest.fixture
def engine(_engine: Engine) -> Engine:
    """The app's engine itself. A test that asks for it commits for real (``commits``)."""
    return _engine


@pytest.fixture(autouse=True)
def _no_kept_list_counts() -> None:
    """Each test starts with no list count kept (``admin_views.paging.LIST_COUNTS``): a
    page runs the statements of a first visit, whichever test ran before."""
    LIST_COUNTS.clear()


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest, app: Flask, _engine: Engine) -> Iterator[Any]:
    """The test's connection, whose transaction is rolled back; None for ``commits`` tests.

    In a module marked ``shared_world`` each test runs in a SAVEPOINT of the module's one
    transaction, which holds the world (built once) and is rolled back after the module.
    """
    shared_world = request.node.get_closest_marker("shared_world")
    if request.node.get_closest_marker("commits"):
        if shared_world:
            # On SQLite its connection could not write past the lock the world's writes hold.
            pytest.fail("a module that shares its world has no tests that commit for real")
        yield None
        _empty_tables(_engine)
        return
    if shared_world:
        request.getfixturevalue("_module_world")  # built before, not inside, the savepoint
        shared = request.getfixturevalue("_module_connection")
        with _rolled_back_savepoint(shared):
            yield shared
        return
    with _rolled_back_transaction(app, _engine) as connection:
        yield connection


@pytest.fixture(scope="module")
def _module_connection(app: Flask, _engine: Engine) -> Iterator[Connection]:
    with _rolled_back_transaction(app, _engine) as connection:
        yield connection


@pytest.fixture(scope="module")
def _module_world(_module_connection: Connection) -> World:
    with Session(
        _module_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as builder:
        return build_world(builder)


@contextmanager
def _rolled_back_savepoint(connection: Connection) -> Iterator[Connection]:
    savepoint = connection.begin_nested()
    try:
        yield connection
    finally:
        intact = savepoint.is_active
        savepoint.rollback()
    if not intact:
        pytest.fail("the test's savepoint ended early: a commit or rollback on the connection")


def _empty_tables(engine: Engine) -> None:
    """Every row gone, but the migration's epoch of the statistics (without it no figure
    is kept, and the tests after this one would not see the figures kept)."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(
            statistics_generation.insert().values(
                organisation_id=ANY, table_name=EPOCH, token=new_token()
            )
        )


@contextmanager
def _rolled_back_transaction(app: Flask, engine: Engine) -> Iterator[Connection]:
    connection = engine.connect()
    driver = connection.connection.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite begins and ends transactions on its own and so breaks SAVEPOINTs; the
        # workaround SQLAlchemy documents: no driver transactions, BEGIN emitted by us.
        legacy_isolation = driver.isolation_level
        driver.isolation_level = None
        event.listen(connection, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    transaction = connection.begin()
    # Always inside a savepoint: every Session(connection) then joins with one of its own.
    connection.begin_nested()
    with app.app_context():
        engines = db.engines
    try:
        with pytest.MonkeyPatch.context() as patch:
            # Flask-SQLAlchemy's sessions and the export's own session ask db.engine(s).
            patch.setitem(engines, None, connection)  # type: ignore[index]
            patch.setitem(
                db.session.session_factory.kw, "join_transaction_mode", "create_savepoint"
            )
            yield connection
    finally:
        intact = transaction.is_active
        transaction.rollback()
        if sqlite:
            driver.isolation_level = legacy_isolation
        connection.close()
    if not intact:
        pytest.fail("the test's transaction ended early: a commit or rollback on the connection")


@pytest.fixture
def connection(_isolated: Connection | None) -> Connection:
    """The test's connection: what the test and the app write is rolled back at the end.

    ``Session(connection)`` commits and rolls back like a session of its own.
    """
    if _isolated is None:
        pytest.fail("a test that commits for real reads through `engine`, not `connection`")
    return _isolated


@pytest.fixture
def session(_isolated: Connection | None, _engine: Engine) -> Iterator[Session]:
    """A session of the test's own, apart from the ones the requests use."""
    if _isolated is None:
        own = Session(_engine, expire_on_commit=False)
    else:
        own = Session(_isolated, join_transaction_mode="create_savepoint", expire_on_commit=False)
    with own:
        yield own


@pytest.fixture
def world(request: pytest.FixtureRequest, session: Session) -> World:
    """Two organisations with a record of each kind; built once per module where the module
    is marked ``shared_world`` (a tenth of a second of each test's time on PostgreSQL)."""
    if request.node.get_closest_marker("shared_world"):
        world: World = request.getfixturevalue("_module_world")
        return world
    return build_world(session)


# --- browsers ----------------------------------------------------------------------------


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    """Signing in and out through the login form, as a browser does."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        response = self._client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def login_as(self, user: User, password: str = PASSWORD) -> TestResponse:
        return self.login(user.email, password)

    def logout(self) -> TestResponse:
        return self._client.post("/logout")

    def browser(self, email: str | None = None) -> FlaskClient:
        """A second browser (cookies of its own), signed in as ``email`` if given."""
        other = self._client.application.test_client()
        if email is not None:
            AuthActions(other).login(email)
        return other


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """``auth.login(email)``, ``auth.login_as(user)``, ``auth.logout()`` for ``client``."""
    return AuthActions(client)
