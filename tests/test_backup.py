"""Backups taken while the app writes restore into an empty database with identical content."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from app.backup import BackupError, backup_database, non_empty_tables, restore_database
from models import Base, Organisation
from tests.factories import World

ALL_TABLES = [*Base.metadata.sorted_tables]
# A backup reads through connections of its own and sees only what is committed.
pytestmark = pytest.mark.commits


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the models, in a stable order."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in ALL_TABLES
        }


@pytest.fixture
def restore_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """An empty database elsewhere to restore into."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    name = f"kim_restore_{uuid.uuid4().hex[:8]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class Writer(threading.Thread):
    """Keeps adding organisations, one committed transaction each, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set() or self.written < 5:
                with self.engine.begin() as connection:
                    connection.execute(
                        insert(Organisation.__table__).values(
                            slug=f"w{self.written}", name=f"Schreibtest {self.written}"
                        )
                    )
                self.written += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.engine.dispose()


def test_backup_while_writing_then_restore_elsewhere_has_identical_content(
    engine: Engine, world: World, tmp_path: Path, restore_url: str
) -> None:
    source_url = database_url(engine)
    seeded = contents(engine)
    writer = Writer(source_url)
    writer.start()
    try:
        during = backup_database(source_url, tmp_path / "during.backup")
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None
    assert writer.written >= 5

    # The backup taken during writes is a consistent snapshot: everything seeded, and only
    # whole organisations written meanwhile.
    restore_database(restore_url, during)
    restored_engine = create_engine(restore_url)
    try:
        snapshot = contents(restored_engine)
        for name, rows in seeded.items():
            if name != "organisation":
                assert snapshot[name] == rows, name
        assert set(seeded["organisation"]) <= set(snapshot["organisation"])
        assert set(snapshot["organisation"]) <= set(contents(engine)["organisation"])
    finally:
        restored_engine.dispose()

    # With the writes done, a second backup restores to exactly the same content.
    final = backup_database(source_url, tmp_path / "final.backup")
    _empty(restore_url)
    restore_database(restore_url, final)
    restored_engine = create_engine(restore_url)
    try:
        assert contents(restored_engine) == contents(engine)
        with restored_engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one()
    finally:
        restored_engine.dispose()


def _empty(url: str) -> None:
    """Make the restore target empty again (a fresh file, or no rows in PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    target = create_engine(url)
    try:
        with target.begin() as connection:
            for table in reversed(ALL_TABLES):
                connection.execute(table.delete())
    finally:
        target.dispose()


def test_restore_refuses_a_database_with_data(engine: Engine, world: World, tmp_path: Path) -> None:
    source_url = database_url(engine)
    backup = backup_database(source_url, tmp_path / "kim.backup")

    with pytest.raises(BackupError, match="nicht leer"):
        restore_database(source_url, backup)

    assert "client" in non_empty_tables(source_url)


def test_backup_file_is_readable_by_its_owner_only(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    backup = backup_database(database_url(engine), tmp_path / "kim.backup")
    assert backup.stat().st_mode & 0o077 == 0
    assert not (tmp_path / "kim.backup.partial").exists()


def test_sqlite_restore_refuses_a_file_that_is_not_a_database(
    engine: Engine, tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore_database(f"sqlite:///{tmp_path / 'target.db'}", bogus)


def test_cli_backup_writes_a_file_and_restore_refuses_the_running_database(
    app: Flask, world: World, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    target = tmp_path / "cli.backup"

    written = runner.invoke(args=["backup", str(target)])
    refused = runner.invoke(args=["restore", str(target)])

    assert written.exit_code == 0, written.output
    assert target.stat().st_size > 0
    assert refused.exit_code != 0
    assert "nicht leer" in refused.output
