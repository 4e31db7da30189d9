"""A database of a test's own, beside the test database: for a second app that migrates."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def database_of_its_own(tmp_path: Path, name: str) -> Iterator[str]:
    """The URL of an empty database named after ``name``: a SQLite file in ``tmp_path``,
    or a sibling PostgreSQL database of the test one, dropped afterwards (one URL)."""
    base = os.environ.get("KIM_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    url = make_url(base)
    database = f"{url.database}_{name}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
