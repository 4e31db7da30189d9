"""Load on the served app: what a person does in the panel, from several threads at once.

A ``Visitor`` is one signed-in browser of one user; ``mixed_steps`` is what they do (lists,
deep pages, searches, details, CSV downloads read fully or abandoned, saving an edit form),
each step with the status it should answer. ``ConnectionSampler`` watches PostgreSQL's
``pg_stat_activity`` for the served database while the load runs.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from app.errors import MESSAGES, TITLES
from tests.served.browser import Answer, Browser, admin_form_fields, with_value

CSV_BOM = b"\xef\xbb\xbf"
DETAIL_ID = re.compile(r"/admin/(clients|cases)/details/\?id=(\d+)")


@dataclass(frozen=True)
class Step:
    """One thing a person does; ``kind`` names it in the figures and in failures."""

    kind: str
    path: str
    expected: int = 200
    first_chunk_only: bool = False


@dataclass
class Outcome:
    """One request's answer, when it started and ended (``time.monotonic``)."""

    kind: str
    answer: Answer
    expected: int
    started: float
    ended: float
    visitor: str

    @property
    def succeeded(self) -> bool:
        if self.answer.error is not None or self.answer.status != self.expected:
            return False
        # A full download is German Excel's CSV, beginning with its byte order mark.
        return self.kind != "export" or self.answer.body.startswith(CSV_BOM)

    @property
    def server_error(self) -> bool:
        return self.answer.status is not None and self.answer.status >= 500

    @property
    def german_503(self) -> bool:
        """The app's own 'please try again' page, as ``app/errors.py`` renders it."""
        return (
            self.answer.status == 503
            and self.answer.error is None
            and TITLES[503] in self.answer.text
            and MESSAGES[503] in self.answer.text
        )

    @property
    def truncated_download(self) -> bool:
        """A CSV whose stream broke off: the browser reports a failed download."""
        return self.answer.status == 200 and self.answer.error is not None

    def __str__(self) -> str:
        return f"[{self.visitor}] {self.kind}: {self.answer} (expected {self.expected})"


@dataclass
class Visitor:
    """One user's signed-in browser, run by one thread."""

    name: str
    email: str
    slot: int
    browser: Browser
    rng: random.Random
    client_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    saves: int = 0

    def record(self, kind: str, answer: Answer, expected: int, started: float) -> Outcome:
        outcome = Outcome(kind, answer, expected, started, time.monotonic(), self.name)
        self.outcomes.append(outcome)
        return outcome

    def sign_in(self) -> None:
        started = time.monotonic()
        page, sent = self.browser.login(self.email)
        self.record("login page", page, 200, started)
        self.record("login", sent, 302, started)

    def discover(self) -> None:
        """The ids this user can open, read from their own lists."""
        for listing, ids in (("clients", self.client_ids), ("cases", self.case_ids)):
            outcome = self.run(Step("list", f"/admin/{listing}/?page_size=100"))
            ids.extend(
                sorted({int(number) for kind, number in DETAIL_ID.findall(outcome.answer.text)})
            )
            if not ids:
                raise AssertionError(f"{self.email} sees no {listing}: {outcome}")

    def run(self, step: Step) -> Outcome:
        started = time.monotonic()
        if step.kind == "save":
            return self.save_edit(step, started)
        answer = self.browser.get(step.path, first_chunk_only=step.first_chunk_only)
        return self.record(step.kind, answer, step.expected, started)

    def save_edit(self, step: Step, started: float) -> Outcome:
        """Open a client's edit page and send the form back with one field changed."""
        page = self.browser.get(step.path)
        opened = self.record("edit page", page, 200, started)
        if not opened.succeeded:
            return opened
        self.saves += 1
        fields = with_value(admin_form_fields(page), "languages", f"Deutsch, Test {self.saves}")
        started = time.monotonic()
        return self.record("save", self.browser.post(step.path, fields), 302, started)


def mixed_steps(visitor: Visitor, count: int) -> list[Step]:
    """``count`` steps in a random order, every eighth a save of an edit form.

    The two threads (slots) of one user edit different clients, so that no save is refused
    as stale.
    """
    rng, slot = visitor.rng, visitor.slot
    clients, cases = visitor.client_ids, visitor.case_ids
    pool: list[Step] = [
        Step("start", "/admin/"),
        Step("referral tracking", "/admin/referral-tracking/"),
        Step("list", "/admin/clients/"),
        Step("list", "/admin/cases/"),
        Step("list", "/admin/referrals/"),
        Step("deep page", "/admin/clients/?page_size=20&page=0&sort=1"),
        Step("deep page", "/admin/cases/?page_size=20&page=1&sort=0&desc=1"),
        Step("deep page", "/admin/referrals/?page_size=20&page=1"),
        Step("search", "/admin/clients/?search=a"),
        Step("search", "/admin/clients/?search=M%C3%BCller"),
        Step("search", "/admin/cases/?search=e"),
        Step("search", "/admin/referrals/?search=an"),
        Step("export", "/admin/clients/export/csv/"),
        Step("export", "/admin/clients/export/csv/?search=a"),
        Step("export", "/admin/cases/export/csv/"),
        Step("export abandoned", "/admin/clients/export/csv/", first_chunk_only=True),
        Step("export abandoned", "/admin/cases/export/csv/", first_chunk_only=True),
        Step("health", "/healthz"),
    ]
    steps: list[Step] = []
    own_clients = clients[slot::2] or clients
    for number in range(count):
        if number % 8 == 7:
            client_id = own_clients[(number // 8) % len(own_clients)]
            steps.append(Step("save", f"/admin/clients/edit/?id={client_id}&url=/admin/clients/"))
        elif number % 8 in {2, 5}:
            if rng.random() < 0.5:
                steps.append(Step("details", f"/admin/clients/details/?id={rng.choice(clients)}"))
            else:
                steps.append(Step("details", f"/admin/cases/details/?id={rng.choice(cases)}"))
        else:
            steps.append(rng.choice(pool))
    return steps


def run_threads(visitors: list[Visitor], work: Callable[[Visitor], None]) -> list[Exception]:
    """``work(visitor)`` in one thread per visitor; the exceptions the threads ended with."""
    failures: list[Exception] = []
    lock = threading.Lock()

    def guarded(visitor: Visitor) -> None:
        try:
            work(visitor)
        except Exception as error:  # noqa: BLE001 - reported by the test, not lost in the thread
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=guarded, args=(visitor,)) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def all_outcomes(visitors: list[Visitor]) -> list[Outcome]:
    return sorted(
        (outcome for visitor in visitors for outcome in visitor.outcomes),
        key=lambda outcome: outcome.started,
    )


# --- PostgreSQL's view of the served database ----------------------------------------------

ACTIVITY = text(
    "SELECT count(*) AS connections, "
    "count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS idle_in_transaction "
    "FROM pg_stat_activity WHERE datname = :name AND backend_type = 'client backend' "
    "AND pid <> pg_backend_pid()"
)
IDLE_IN_TRANSACTION = text(
    "SELECT pid, state, left(query, 120) AS query, now() - state_change AS since "
    "FROM pg_stat_activity WHERE datname = :name AND state LIKE 'idle in transaction%'"
)


def activity(engine: Engine, database: str) -> tuple[int, int]:
    """Connections to ``database`` now, and how many of them are idle in a transaction."""
    with engine.connect() as connection:
        row = connection.execute(ACTIVITY, {"name": database}).one()
    return int(row.connections), int(row.idle_in_transaction)


def idle_in_transaction(engine: Engine, database: str) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(IDLE_IN_TRANSACTION, {"name": database}).all()
    return [f"pid {row.pid} {row.state} for {row.since}: {row.query}" for row in rows]


def settled_idle_in_transaction(engine: Engine, database: str, within: float = 5.0) -> int:
    """Connections idle in a transaction once the load has ended, after at most ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        _connections, idle = activity(engine, database)
        if idle == 0 or time.monotonic() >= deadline:
            return idle
        time.sleep(0.2)


class ConnectionSampler:
    """Samples the served database's connections in a thread of its own while load runs."""

    def __init__(self, engine: Engine, database: str, interval: float = 0.02) -> None:
        self.engine = engine
        self.database = database
        self.interval = interval
        self.peak_connections = 0
        self.peak_idle_in_transaction = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._error: Exception | None = None

    def _sample(self) -> None:
        try:
            while not self._stop.is_set():
                connections, idle = activity(self.engine, self.database)
                self.peak_connections = max(self.peak_connections, connections)
                self.peak_idle_in_transaction = max(self.peak_idle_in_transaction, idle)
                self.samples += 1
                self._stop.wait(self.interval)
        except Exception as error:  # noqa: BLE001 - raised in the test when sampling ends
            self._error = error

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
