"""The app served as deployed: gunicorn with several workers over a database of its own.

One server per test session. Its database is prepared as a deployment prepares it
(``flask --app wsgi db upgrade``, then the demo seed), in a database apart from the one the
rest of the suite uses: PostgreSQL ``kim_served`` on the server of ``KIM_TEST_DATABASE_URL``
when that points to PostgreSQL, otherwise a SQLite file in a temporary folder. Then
``gunicorn -c gunicorn.conf.py wsgi:app`` starts as the README tells a deployment to, with
``SECRET_KEY`` and ``DATABASE_URL`` set, on a port the kernel picks on 127.0.0.1, and is
stopped at the end. The tests speak plain HTTP to it, so ``KIM_SECURE_COOKIES`` is unset.

The fixtures of ``tests/conftest.py`` still run around these tests (its ``app`` and its
rolled-back transaction on the suite's own database); the served app never sees them.
"""

from __future__ import annotations

import ctypes
import inspect
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import URL, Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import QueuePool

from app.config import load_config
from tests.served.browser import Browser

ROOT = Path(__file__).resolve().parents[2]
SERVED_DATABASE = "kim_served"
WORKERS = 3
DEMO_CLIENTS_PER_ORGANISATION = 15
HOST = "127.0.0.1"
START_SECONDS = 60
LISTENING = re.compile(rb"Listening at: http://[\d.]+:(\d+)")
BOOTED = re.compile(rb"Booting worker with pid: (\d+)")
# A session-level advisory lock on the maintenance database: "KIMSERVE" as a number.
LOCK_KEY = int.from_bytes(b"KIMSERVE", "big")
LOCK_WAIT_SECONDS = 180
TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
UNLOCK = text("SELECT pg_advisory_unlock(:key)")
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Settings of the test runner's environment that must not reach the served app.
NOT_PASSED_ON = ("KIM_", "DATABASE_URL", "SECRET_KEY", "FLASK_")

FIGURES: list[str] = []


@dataclass
class ServedDatabase:
    """Where the served app keeps its data; ``admin`` watches it (PostgreSQL only)."""

    url: str
    dialect: str
    name: str
    admin: Engine | None = None

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"


@dataclass
class ServedApp:
    """The running gunicorn: its address, its workers, its database and its log."""

    host: str
    port: int
    workers: int
    database: ServedDatabase
    log_path: Path
    process: subprocess.Popen[bytes]
    worker_pids: set[int] = field(default_factory=set)

    def browser(self) -> Browser:
        return Browser(self.host, self.port)

    def log_offset(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def connection_limit(self) -> int:
        """workers × (pool_size + max_overflow) of the engine each worker builds."""
        options = load_config({"TESTING": True, "SQLALCHEMY_DATABASE_URI": self.database.url})[
            "SQLALCHEMY_ENGINE_OPTIONS"
        ]
        defaults = inspect.signature(QueuePool.__init__).parameters
        pool_size = int(options.get("pool_size", defaults["pool_size"].default))
        max_overflow = int(options.get("max_overflow", defaults["max_overflow"].default))
        return self.workers * (pool_size + max_overflow)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures of the served tests, also without ``-s``."""
    if FIGURES:
        terminalreporter.write_sep("-", "served app figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def figures() -> list[str]:
    """Lines for the figures summary: ``figures.append(...)`` (also printed for ``-s``)."""
    return FIGURES


def _postgresql_url(url: str) -> str | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def served_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDatabase]:
    """A fresh, empty database for the served app, removed at the end."""
    suite_url = _postgresql_url(os.environ.get("KIM_TEST_DATABASE_URL") or "sqlite://")
    if suite_url is None:
        path = tmp_path_factory.mktemp("served") / "kim-served.db"
        yield ServedDatabase(f"sqlite:///{path}", "sqlite", str(path))
        return
    if make_url(suite_url).database == SERVED_DATABASE:
        pytest.fail(f"KIM_TEST_DATABASE_URL must name another database than {SERVED_DATABASE}")
    served_url = make_url(suite_url).set(database=SERVED_DATABASE)
    # The maintenance database: creates and drops kim_served, and watches its connections
    # without being one of them.
    admin = create_engine(
        make_url(suite_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as lock, _served_database_lock(lock):
            yield from _fresh_postgresql_database(admin, served_url)
    finally:
        admin.dispose()


def _fresh_postgresql_database(admin: Engine, served_url: URL) -> Iterator[ServedDatabase]:
    drop = text(f"DROP DATABASE IF EXISTS {SERVED_DATABASE} WITH (FORCE)")
    with admin.connect() as connection:
        connection.execute(drop)
        connection.execute(text(f"CREATE DATABASE {SERVED_DATABASE}"))
    try:
        yield ServedDatabase(
            served_url.render_as_string(hide_password=False), "postgresql", SERVED_DATABASE, admin
        )
    finally:
        with admin.connect() as connection:
            connection.execute(drop)


@contextmanager
def _served_database_lock(connection: Connection) -> Iterator[None]:
    """One test run at a time owns kim_served on a server; another waits, then is skipped.

    Without it a second run's ``DROP DATABASE … WITH (FORCE)`` would end the first run's
    served app in the middle of its test.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not connection.execute(TRY_LOCK, {"key": LOCK_KEY}).scalar_one():
        if time.monotonic() > deadline:
            pytest.skip(
                f"{SERVED_DATABASE} is in use by another test run on this server for more "
                f"than {LOCK_WAIT_SECONDS} s"
            )
        time.sleep(1)
    try:
        yield
    finally:
        connection.execute(UNLOCK, {"key": LOCK_KEY})


def served_environment(database: ServedDatabase) -> dict[str, str]:
    """The environment of a deployment: the same SECRET_KEY and DATABASE_URL for everyone."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(NOT_PASSED_ON)
    }
    environment.update(
        {
            "SECRET_KEY": "served-test-secret-the-same-for-every-worker",
            "DATABASE_URL": database.url,
            "KIM_WORKERS": str(WORKERS),
            # The kernel picks a free port; gunicorn's log tells which.
            "KIM_BIND": f"{HOST}:0",
            "KIM_ACCESS_LOG": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return environment


def _flask(*arguments: str, environment: dict[str, str]) -> None:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *arguments]
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"`flask {' '.join(arguments)}` failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def served_app(
    served_database: ServedDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedApp]:
    """gunicorn with ``WORKERS`` workers, healthy; skipped with the reason if it cannot start."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable} (pip install -e .)")
    environment = served_environment(served_database)
    _flask("db", "upgrade", environment=environment)
    _flask("seed", "demo", "--clients", str(DEMO_CLIENTS_PER_ORGANISATION), environment=environment)
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    child_setup = _end_with_the_test_process if sys.platform == "linux" else None
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - the README's command line
            [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Runs before any thread of the test is started.
            preexec_fn=child_setup,  # noqa: PLW1509
        )
    try:
        served = _wait_until_serving(process, log_path, served_database)
        yield served
    finally:
        _stop(process)


def _end_with_the_test_process() -> None:
    """In the child before exec: gunicorn gets SIGTERM should pytest die without its teardown.

    A run stopped by a timeout or a second Ctrl-C would otherwise leave the server running.
    """
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_until_serving(
    process: subprocess.Popen[bytes], log_path: Path, database: ServedDatabase
) -> ServedApp:
    deadline = time.monotonic() + START_SECONDS
    served: ServedApp | None = None
    while time.monotonic() < deadline:
        log = log_path.read_bytes()
        if process.poll() is not None:
            pytest.skip(f"gunicorn could not start (exit {process.returncode}):\n{log[-3000:]!r}")
        port = LISTENING.search(log)
        if port and served is None:
            served = ServedApp(HOST, int(port.group(1)), WORKERS, database, log_path, process)
        if served is not None:
            served.worker_pids = {int(pid) for pid in BOOTED.findall(log)}
            health = served.browser().get("/healthz")
            if health.status == 200 and len(served.worker_pids) >= WORKERS:
                return served
        time.sleep(0.2)
    log = log_path.read_bytes()
    _stop(process)
    pytest.skip(f"gunicorn did not answer /healthz within {START_SECONDS} s:\n{log[-3000:]!r}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful: workers finish their request), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
