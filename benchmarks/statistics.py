"""Time ``/admin/statistics/`` on a large database: ``python -m benchmarks.statistics``.

Builds a fresh database per size with the demo seed (``seeds.demo.seed_demo``), logs in as
the coordination and as one organisation's team lead, and prints per page: the time of
each request (best and median of ``--runs``; the first run of the coordination computes
the suppression patterns, the others reuse them), the number of SQL statements and the
size of the HTML. The coordination is timed on grid periods only (``PAGES``). Uses a
temporary SQLite file unless ``--database-url`` names a database, which is emptied first
(never point it at a database you want to keep).

    python -m benchmarks.statistics --cases 10000 100000
    python -m benchmarks.statistics --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, select, text

from app.clock import today
from app.extensions import db
from app.factory import create_app
from models import Base, Case, Client
from seeds.demo import seed_demo

PASSWORD = "benchmark-passwort-2026"  # noqa: S105 - a throwaway benchmark database
COORDINATOR = "koordination@example.org"
ORG_LEAD = "lead.awo@example.org"
# The coordination counts calendar quarters and years only (docs/statistics-suppression.md):
# any other period is refused and the page falls back to the current year, so it gets the
# last quarter, a grid period, where an organisation gets the last twelve months.
PAGES = {
    "coordinator": {
        "statistics, this year": "/admin/statistics/",
        "statistics, last quarter (grid)": "/admin/statistics/?preset=last_quarter",
        "CSV barriers by quarter": "/admin/statistics/csv/barrieren_quartal/",
    },
    "org lead AWO": {
        "statistics, this year": "/admin/statistics/",
        "statistics, last 12 months": "/admin/statistics/?preset=last_12_months",
        "CSV barriers by quarter": "/admin/statistics/csv/barrieren_quartal/",
    },
}
ORGANISATIONS = 8
CASES_PER_CLIENT_GUESS = 1.29


def build_app(database_url: str) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))
    return app


def seed(app: Flask, cases: int) -> dict[str, Any]:
    clients_per_org = max(1, round(cases / ORGANISATIONS / CASES_PER_CLIENT_GUESS))
    with app.app_context():
        started = time.perf_counter()
        seed_demo(db.session, clients_per_org=clients_per_org, password=PASSWORD, today=today())
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        return {
            "seconds": time.perf_counter() - started,
            "clients": db.session.scalar(select(func.count(Client.id))),
            "cases": db.session.scalar(select(func.count(Case.id))),
        }


def time_pages(
    app: Flask, email: str, pages: dict[str, str], runs: int
) -> list[tuple[str, float, float, int, int]]:
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    results = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            client = app.test_client()
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            if response.status_code != 302:
                raise RuntimeError(f"login as {email} failed: {response.status_code}")
            for name, url in pages.items():
                timings = []
                for _run in range(runs):
                    statements = 0
                    started = time.perf_counter()
                    response = client.get(url)
                    body = response.get_data()
                    timings.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise RuntimeError(f"{url} as {email}: {response.status_code}")
                    if b"alert-danger" in body:  # a flashed error: the period was refused
                        raise RuntimeError(f"{url} as {email}: refused")
                results.append(
                    (name, min(timings), statistics.median(timings), statements, len(body))
                )
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url", help="an empty database to fill (default: temporary SQLite)"
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        for cases in options.cases:
            url = options.database_url or f"sqlite:///{Path(directory) / f'bench-{cases}.db'}"
            app = build_app(url)
            built = seed(app, cases)
            print(
                f"\n== {built['cases']:,} cases, {built['clients']:,} clients "
                f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}), "
                f"seeded in {built['seconds']:.1f} s"
            )
            for role, email in (("coordinator", COORDINATOR), ("org lead AWO", ORG_LEAD)):
                timed = time_pages(app, email, PAGES[role], options.runs)
                for name, best, median, statements, size in timed:
                    print(
                        f"{role:<13} {name:<32} best {best * 1000:7.0f} ms  "
                        f"median {median * 1000:7.0f} ms  {statements:3d} SQL  "
                        f"{size / 1024:6.0f} KiB"
                    )
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
