"""Time and memory of the client CSV export: ``python -m benchmarks.export``.

Builds a fresh database per size (a temporary SQLite file unless ``--database-url`` names
one, which is emptied first), bulk-inserts N clients for one organisation, logs in as that
organisation's case manager and downloads ``/admin/clients/export/csv/`` completely. Prints
the wall time of one download, the Python heap peak during another (tracemalloc, which
would slow the timed one) and the file size.
The claim to check: the peak stays flat while the row count grows a hundredfold.

    python -m benchmarks.export --rows 1000 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert
from werkzeug.security import generate_password_hash

from app.extensions import db
from benchmarks.statistics import build_app
from models import Client, Organisation, User
from models.base import utcnow
from models.choices import Role
from models.user import PASSWORD_HASH_METHOD

PASSWORD = "benchmark-passwort-2026"  # noqa: S105 - a throwaway benchmark database
EMAIL = "cm.bench@example.org"
BATCH = 5000


def fill(app: Flask, rows: int) -> None:
    with app.app_context():
        organisation = Organisation(slug="bench", name="Benchmark e. V.")
        user = User(
            email=EMAIL,
            full_name="Benchmark",
            role=Role.CASE_MANAGER,
            organisation=organisation,
            password_hash=generate_password_hash(PASSWORD, PASSWORD_HASH_METHOD),
        )
        db.session.add_all([organisation, user])
        db.session.flush()
        now = utcnow()
        for start in range(0, rows, BATCH):
            db.session.execute(
                insert(Client.__table__),
                [
                    {
                        "organisation_id": organisation.id,
                        "file_number": f"BENCH-2026-{number:06d}",
                        "first_name": f"Vorname {number}",
                        "last_name": f"Nachname {number}",
                        "gender": "unspecified",
                        "needs_interpreter": number % 3 == 0,
                        "residence_status": "toleration",
                        "country_of_origin": "SY",
                        "consent_given_on": dt.date(2026, 1, 1),
                        "notes": "Notiz; mit Semikolon und =Formel",
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                    for number in range(start, min(start + BATCH, rows))
                ],
            )
        db.session.commit()


def measure(app: Flask) -> tuple[float, int, int]:
    """Seconds of one download, then the heap peak of another: tracemalloc records every
    allocation, which makes the download it watches twice as slow or more."""
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    started = time.perf_counter()
    size = _downloaded(client)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    _downloaded(client)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, size


def _downloaded(client: Any) -> int:
    response = client.get("/admin/clients/export/csv/", buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--database-url", help="emptied first; default: a temporary SQLite file")
    arguments = parser.parse_args()
    print(f"{'rows':>8} {'seconds':>8} {'peak MiB':>9} {'file MiB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for rows in arguments.rows:
            url = arguments.database_url or f"sqlite:///{Path(folder) / f'export-{rows}.db'}"
            app = build_app(url)
            fill(app, rows)
            elapsed, peak, size = measure(app)
            print(f"{rows:>8} {elapsed:>8.2f} {peak / 2**20:>9.1f} {size / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
