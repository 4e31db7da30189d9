"""The seed command on SQLite builds the bulk tables' indexes last; the schema is the migrations'.

Each test has SQLite files of its own, migrated by ``db upgrade``'s own function, so it
runs the same on the PostgreSQL lane (the deferral is SQLite's only).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.factory import create_app
from app.seed_cli import _seed_pragmas, _sqlite_pragmas, seed_cli
from models import Client, User
from seeds.bulk import create_indexes, drop_secondary_indexes
from seeds.demo import WRITTEN_IN_BULK

pytestmark = pytest.mark.commits

Schema = list[tuple[str, str, str, str | None]]


@pytest.fixture
def migrated(app: Flask, tmp_path: Path) -> Iterator[Callable[[str], Flask]]:
    """A factory of apps, each on a SQLite file of its own at the migrations' head."""
    apps: list[Flask] = []

    def make(name: str) -> Flask:
        other = create_app(
            {**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}"}
        )
        with other.app_context():
            upgrade(directory=str(Path(app.root_path).parent / "migrations"))
            db.session.remove()
            # A fresh connection, as the command has in a process of its own (SQLite will
            # not change its temp storage on one whose temp database the migrations used).
            db.engine.dispose()
        apps.append(other)
        return other

    yield make
    for other in apps:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _schema(other: Flask) -> Schema:
    """Every table, index and trigger as SQLite keeps it: the text of its SQL, by name."""
    with other.app_context(), db.engine.connect() as connection:
        return [
            (row.type, row.name, row.tbl_name, row.sql)
            for row in connection.execute(
                text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            )
        ]


def test_the_seed_command_leaves_the_schema_the_migrations_made(
    migrated: Callable[[str], Flask],
) -> None:
    seeded = migrated("seeded.db")
    # Its own schema before the seed: two runs of the migrations need not give the same
    # text (a batch migration lists a rebuilt table's constraints in no fixed order).
    migrations_made = _schema(seeded)
    result = seeded.test_cli_runner().invoke(seed_cli, args=["demo", "--clients", "3"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Client.id))) == 3 * 8
        assert db.session.scalar(select(func.count(User.id))) == 18
    schema = _schema(seeded)
    assert any(kind == "index" and sql for kind, _name, _table, sql in schema)
    assert schema == migrations_made
    # The seed's own journal mode ended with it: the file is in the app's write-ahead log.
    path = seeded.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_seed_pragmas_reach_the_seed_connection(migrated: Callable[[str], Flask]) -> None:
    """Sent through the session they did not: its statement listener took them for writes
    and began a transaction, inside which SQLite kept the write-ahead log."""
    other = migrated("pragmas.db")
    with other.app_context():
        _seed_pragmas()
        cursor = db.session.connection().connection.cursor()
        assert cursor.execute("PRAGMA journal_mode").fetchone() == ("truncate",)
        assert cursor.execute("PRAGMA cache_size").fetchone() == (-1048576,)
        db.session.rollback()
        _sqlite_pragmas("journal_mode = WAL")


def test_the_deferred_indexes_are_the_migrations_own_and_come_back(
    migrated: Callable[[str], Flask],
) -> None:
    other = migrated("deferred.db")
    before = _schema(other)
    with other.app_context():
        session: Session = db.session()
        statements = drop_secondary_indexes(session, WRITTEN_IN_BULK)
        names = {table.name for table in WRITTEN_IN_BULK}
        dropped = [
            sql for kind, _name, table, sql in before if kind == "index" and sql and table in names
        ]
        assert sorted(statements) == sorted(dropped)
        assert "CREATE INDEX ix_referral_case_id ON referral (case_id)" in statements
        left = session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        ).all()
        assert not any(name.startswith(("ix_referral_", "ix_task_")) for name in left)
        create_indexes(session, statements)
        session.commit()
    assert _schema(other) == before
