"""Everything issue 13 measures, in one table: ``python -m benchmarks run --clients 12500``.

On a fresh database (a temporary SQLite file, or ``--database-url``, which is emptied
first: never point it at a database you keep) seeded with ``seed demo --clients N``, or on
an already seeded one with ``--reuse``, in this process (Flask's test client, no HTTP):

- the list pages as the case manager of AWO (page 1, a deep page, a search, a filter of
  clients, cases and referrals): p50/p95 of ``--requests`` GETs, SQL statements per page,
  and the page's own SQL alone (its statements replayed on the bare driver); the same for
  the start page and the referral tracking of AWO's case manager and team lead;
- the statistics page for the coordination and for a team lead: the first request after
  a write (the figures computed) and the following ones (the figures of this generation
  kept), p50/p95, statements, SQL alone;
- the client CSV export: seconds, the growth of this process's RSS while it streams, and
  the rows written;
- the seed's seconds, and the process's RSS once every page has been served (a warmed
  worker serves the same).

The process acts as a sync worker of ``gunicorn.conf.py`` (``SyncWorker``): it freezes the
loaded app and, after each response, untimed, collects (and freezes during the warm-up)
as that worker's hooks do; without them a full collection over the figures kept for the
coordination lands inside a later request (30-35 ms of a team lead's page).

``--django-harness DIR`` (the comparison harness, see its README) also runs its
``bench_lists.py`` against the same database (gunicorn, one sync worker per app,
interleaved requests) and prints its KIM/Django table; it needs ``--django-python``, the
python of the harness's venv. Ratios, not milliseconds, travel between machines.

    python -m benchmarks run --clients 12500
    python -m benchmarks run --reuse --database-url postgresql+psycopg://postgres@127.0.0.1/big
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import runpy
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select, text

from app.clock import today
from app.extensions import db
from app.factory import create_app
from benchmarks.served import served_statistics
from benchmarks.statistics import build_app
from models import Barrier, Case, Client, Contact, Organisation
from models.statistics.generation import ANY, EPOCH, FIGURES, bump
from seeds.demo import DEFAULT_PASSWORD, seed_demo

CASE_MANAGER = "cm.awo@example.org"
COORDINATOR = "koordination@example.org"
LEAD = "lead.awo@example.org"
TRACKING = "/admin/referral-tracking/"
DEEP_PAGE = 199  # rows 9,951-10,000 at 50 a page (Flask-Admin counts pages from 0)
LISTS = {
    "clients": (
        "/admin/clients/",
        "search=Ibrahim",
        "flt0_aufenthaltsstatus_equals=temporary_protection",
    ),
    "cases": ("/admin/cases/", "search=Ibrahim", "flt0_phase_equals=monitoring"),
    "referrals": ("/admin/referrals/", "search=Integrationskurs", "flt0_status_equals=sent"),
}


def list_pages() -> dict[str, str]:
    pages = {}
    for name, (path, search, filtered) in LISTS.items():
        pages[f"{name}, page 1"] = f"{path}?page=0"
        pages[f"{name}, deep page"] = f"{path}?page={DEEP_PAGE}"
        pages[f"{name}, search"] = f"{path}?{search}"
        pages[f"{name}, filter"] = f"{path}?{filtered}"
    return pages


def rss_mib() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = share * (len(ordered) - 1)
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


class Recorder:
    """The statements of the requests in between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, bool]] = []

    def __call__(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        self.statements.append((statement, parameters, many))


@contextmanager
def recording(app: Flask) -> Iterator[Recorder]:
    recorder = Recorder()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", recorder)
        try:
            yield recorder
        finally:
            event.remove(db.engine, "before_cursor_execute", recorder)


def replay_seconds(app: Flask, statements: list[tuple[str, Any, bool]]) -> float:
    """The statements of one request on the bare driver (each result read to its end;
    its writes, such as the statistics it stores for every worker, rolled back)."""
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            started = time.perf_counter()
            for statement, parameters, many in statements:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            elapsed = time.perf_counter() - started
            connection.rollback()
        finally:
            connection.close()
    return elapsed


class SyncWorker:
    """The hooks of ``gunicorn.conf.py`` as they run in one of its sync workers: once the
    app is loaded (``post_worker_init``), and after each response is written
    (``post_request``, which the client does not wait for). This process freezes what it
    holds then, the seed's leftovers included, which a worker never has: its collections
    may pass over fewer objects than a worker's (``benchmarks.served`` measures one)."""

    def __init__(self) -> None:
        self.hooks = runpy.run_path(
            str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")
        )
        self.worker = SimpleNamespace(nr=0, cfg=SimpleNamespace(worker_class_str="sync"))
        self.hooks["post_worker_init"](self.worker)

    def responded(self) -> None:
        self.worker.nr += 1
        self.hooks["post_request"](self.worker, None, None, None)


def logged_in(app: Flask, email: str) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"login as {email}: {response.status_code}")
    return client


def time_page(
    app: Flask,
    client: Any,
    url: str,
    requests: int,
    *,
    before: Any = None,
    worker: SyncWorker | None = None,
) -> dict[str, Any]:
    """p50/p95 of ``requests`` GETs (``before`` runs ahead of each, untimed; ``worker``'s
    hook after each, untimed), the statements of the last one and their time on the bare
    driver."""
    timings: list[float] = []
    for _number in range(requests):
        if before is not None:
            before()
        with recording(app) as recorder:
            started = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        if worker is not None:
            worker.responded()
    sql = statistics.median(replay_seconds(app, recorder.statements) for _ in range(3))
    return {
        "p50": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "statements": len(recorder.statements),
        "sql": sql,
        "kib": len(body) / 1024,
    }


def _awo_case(session: Any) -> Case:
    """An open case of AWO, the organisation of the case manager and the team lead."""
    return session.scalars(
        select(Case)
        .join(Organisation, Case.organisation_id == Organisation.id)
        .where(Organisation.slug == "awo", Case.closed_on.is_(None))
        .order_by(Case.id)
        .limit(1)
    ).one()


def new_contact(session: Any) -> None:
    """A case manager of AWO records a contact (no figure counts contacts)."""
    case = _awo_case(session)
    session.add(
        Contact(case=case, organisation_id=case.organisation_id, contact_date=today(), minutes=30)
    )


def barrier_edited(session: Any) -> None:
    """A case manager of AWO changes a barrier's status (barrier figures change)."""
    barrier = session.scalars(
        select(Barrier)
        .where(Barrier.organisation_id == _awo_case(session).organisation_id)
        .order_by(Barrier.id)
        .limit(1)
    ).one()
    barrier.status = "solved" if barrier.status != "solved" else "open"


def case_goals_edited(session: Any) -> None:
    """A case manager of AWO writes a case's goals (a column no figure reads)."""
    case = _awo_case(session)
    case.goals = f"Deutschkurs B1, Stand {time.perf_counter_ns()}"


def case_edited(session: Any) -> None:
    """A case manager of AWO moves a case's opening day (every case figure of AWO)."""
    case = _awo_case(session)
    case.opened_on = case.opened_on - dt.timedelta(days=1 if case.opened_on.day > 1 else -1)


def every_figure(session: Any) -> None:
    """A write no figure can follow in detail (SQL text: the epoch): all counted again."""
    bump(session, [(ANY, EPOCH)])


WRITES = {
    "a new contact at AWO": new_contact,
    "a case's goals edited at AWO": case_goals_edited,
    "a barrier edited at AWO": barrier_edited,
    "a case edited at AWO": case_edited,
    "any write (the epoch)": every_figure,
}


def write(app: Flask, change: Any) -> None:
    """One write, committed, as a request of the app makes it (its tokens replaced)."""
    with app.app_context():
        change(db.session)
        db.session.commit()


def time_export(app: Flask) -> dict[str, Any]:
    client = logged_in(app, CASE_MANAGER)
    peak = rss_mib()
    start_rss = peak
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    response = client.get("/admin/clients/export/csv/", buffered=False)
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    response.close()
    return {"seconds": elapsed, "rss_growth": peak - start_rss, "mib": size / 2**20, "lines": lines}


def seed(app: Flask, clients: int) -> float:
    with app.app_context():
        started = time.perf_counter()
        seed_demo(
            db.session,
            clients_per_org=clients,
            password=DEFAULT_PASSWORD,
            today=today(),
            build_indexes_last=db.engine.dialect.name == "sqlite",
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    return elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def row(name: str, figures: dict[str, Any]) -> str:
    ratio = figures["p50"] / figures["sql"] if figures["sql"] else float("nan")
    return (
        f"| {name} | {ms(figures['p50'])} | {ms(figures['p95'])} | {figures['statements']} | "
        f"{ms(figures['sql'])} | {ratio:.1f} | {figures['kib']:.0f} |"
    )


def run(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        seeded = None
        if options.reuse:
            app = create_app(
                {
                    "SECRET_KEY": "benchmark",
                    "SQLALCHEMY_DATABASE_URI": url,
                    "WTF_CSRF_ENABLED": False,
                }
            )
        else:
            app = build_app(url)
            seeded = seed(app, options.clients)
        with app.app_context():
            clients = db.session.scalar(select(func.count(Client.id)))
            cases = db.session.scalar(select(func.count(Case.id)))
            dialect = db.engine.dialect.name
        load = os.getloadavg()[0]
        print(f"\n## {dialect}: {clients:,} clients, {cases:,} cases; load average {load:.2f}")
        if seeded is not None:
            print(f"seed demo --clients {options.clients}: {seeded:.1f} s")
        print(
            "\n| page | p50 ms | p95 ms | statements | SQL alone ms | page/SQL | KiB |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        )
        worker = None if options.bare else SyncWorker()
        case_manager = logged_in(app, CASE_MANAGER)
        for name, page in list_pages().items():
            case_manager.get(page)  # warm
            timed = time_page(app, case_manager, page, options.requests, worker=worker)
            print(row(name, timed), flush=True)
        # The pages a case worker opens every day, over a caseload of ~6,000 open cases.
        for role, email in (("case manager AWO", CASE_MANAGER), ("team lead AWO", LEAD)):
            signed_in = logged_in(app, email)
            for name, page in (("start page", "/admin/"), ("referral tracking", TRACKING)):
                signed_in.get(page)  # warm
                timed = time_page(app, signed_in, page, options.requests, worker=worker)
                print(row(f"{name}, {role}", timed), flush=True)
        for role, email in (("coordination", COORDINATOR), ("team lead AWO", LEAD)):
            client = logged_in(app, email)
            client.get("/admin/statistics/")  # warm
            for name, change in WRITES.items():
                cold = time_page(
                    app,
                    client,
                    "/admin/statistics/",
                    options.cold_requests,
                    before=lambda change=change: write(app, change),
                    worker=worker,
                )
                print(row(f"statistics, {role}, after {name}", cold), flush=True)
            # A worker that has kept nothing (just started, or another one): it reads
            # the rows stored for every worker, counting nothing again.
            first = time_page(
                app,
                client,
                "/admin/statistics/",
                options.cold_requests,
                before=FIGURES.clear,
                worker=worker,
            )
            print(row(f"statistics, {role}, a worker's first view", first), flush=True)
            warm = time_page(app, client, "/admin/statistics/", options.requests, worker=worker)
            print(row(f"statistics, {role}, again", warm), flush=True)
        warmed = rss_mib()
        exported = time_export(app)
        print(
            f"\nclient export ({CASE_MANAGER}): {exported['lines'] - 1:,} rows, "
            f"{exported['mib']:.1f} MiB in {exported['seconds']:.2f} s; "
            f"RSS +{exported['rss_growth']:.1f} MiB while streaming"
        )
        print(f"RSS of this process after every page once warmed: {warmed:.0f} MiB")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        with app.app_context():
            db.engine.dispose()
        if options.served:  # while the temporary database is still there
            users = {"coordination": COORDINATOR, "team lead AWO": LEAD}
            served_statistics(url, options.cold_requests, users, WRITES, percentile)
        if options.django_harness:
            compare_with_django(options, url)


def compare_with_django(options: argparse.Namespace, url: str) -> None:
    """The harness's interleaved KIM/Django list timings on the same database."""
    harness = Path(options.django_harness).resolve()
    out = Path(options.out or tempfile.mkdtemp(prefix="kim-vs-django-"))
    environment = {
        **os.environ,
        "KIM_DIR": str(Path(__file__).resolve().parent.parent),
        "KIM_PYTHON": sys.executable,
        "KIM_DATABASE_URL": url,
        "DJ_PYTHON": options.django_python,
        "DJ_AUTH_DB": str(out / "djauth.sqlite3"),
        "OUT": str(out),
        "DJ_VENV": str(Path(options.django_python).parent.parent),
        "STEPS": "setup",
    }
    if not (out / "djauth.sqlite3").exists():
        subprocess.run(["bash", str(harness / "run_all.sh")], env=environment, check=True)
    subprocess.run(
        [
            options.django_python,
            str(harness / "bench_lists.py"),
            "--out",
            str(out),
            "--requests",
            str(options.requests),
            "--floor",
        ],
        cwd=harness,
        env=environment,
        check=True,
    )


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--clients", type=int, default=12_500, help="clients per organisation")
    parser.add_argument(
        "--database-url", help="emptied and seeded (or, with --reuse, used as it is)"
    )
    parser.add_argument("--reuse", action="store_true", help="an already seeded database")
    parser.add_argument("--requests", type=int, default=20, help="timed GETs per page")
    parser.add_argument("--cold-requests", type=int, default=3, help="statistics after a write")
    parser.add_argument(
        "--bare",
        action="store_true",
        help="without the hooks of gunicorn.conf.py's sync worker (no collection in between)",
    )
    parser.add_argument(
        "--served",
        action="store_true",
        help="also the statistics served by gunicorn (benchmarks.served)",
    )
    parser.add_argument("--django-harness", help="the comparison harness's folder")
    parser.add_argument("--django-python", help="the python of the harness's venv")
    parser.add_argument("--out", help="the harness's results folder")
    options = parser.parse_args(arguments)
    if options.reuse and not options.database_url:
        parser.error("--reuse needs --database-url")
    if options.django_harness and not options.django_python:
        parser.error("--django-harness needs --django-python")
    run(options)
