"""Consistent backups while the app runs, and a restore that never overwrites data.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies one consistent
snapshot although other connections keep writing. PostgreSQL: ``pg_dump -Fc``, which is
consistent under concurrent use, and ``pg_restore`` in a single transaction. The
restore refuses a database that already holds rows: it is meant for an empty instance.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url

# Bookkeeping of the migrations: present in every migrated, still empty database.
IGNORED_TABLES = frozenset({"alembic_version"})


class BackupError(RuntimeError):
    """Backup or restore refused or failed; the message says why (German, for the CLI)."""


def backup_database(database_url: str, target: Path) -> Path:
    """Write a backup of the database to ``target`` (readable by the owner only)."""
    url = make_url(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(Path(_sqlite_path(url)), partial)
            _sqlite_check(partial)
        elif url.get_backend_name() == "postgresql":
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    f"--file={partial}",
                    f"--dbname={_libpq_url(url)}",
                ],
                url,
            )
        else:
            raise BackupError(f"Keine Sicherung für {url.get_backend_name()} möglich.")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)  # only a complete backup gets the final name
    return target


def restore_database(database_url: str, source: Path) -> None:
    """Restore ``source`` into the (empty) database at ``database_url``."""
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Sicherungsdatei {source} nicht gefunden.")
    filled = non_empty_tables(database_url)
    if filled:
        raise BackupError(
            "Die Zieldatenbank ist nicht leer (Tabellen mit Daten: "
            f"{', '.join(sorted(filled))}); Wiederherstellung abgebrochen."
        )
    if url.get_backend_name() == "sqlite":
        _sqlite_check(source)
        target = Path(_sqlite_path(url))
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
    elif url.get_backend_name() == "postgresql":
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={_libpq_url(url)}",
                str(source),
            ],
            url,
        )
    else:
        raise BackupError(f"Keine Wiederherstellung für {url.get_backend_name()} möglich.")


def non_empty_tables(database_url: str) -> list[str]:
    """Tables that hold at least one row (the migrations' bookkeeping does not count)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(_sqlite_path(url)).exists():
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = [
                name for name in inspect(connection).get_table_names() if name not in IGNORED_TABLES
            ]
            return [
                name
                for name in names
                if connection.execute(select(func.count()).select_from(table(name))).scalar()
            ]
    finally:
        engine.dispose()


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("Eine SQLite-Datenbank im Speicher kann nicht gesichert werden.")
    return url.database


def _sqlite_copy(source: Path, target: Path) -> None:
    source_connection = sqlite3.connect(source)
    target_connection = sqlite3.connect(target)
    try:
        # One step: a single consistent snapshot, writers go on meanwhile (WAL).
        source_connection.execute("PRAGMA busy_timeout = 15000")
        source_connection.backup(target_connection, pages=-1)
    finally:
        target_connection.close()
        source_connection.close()


def _sqlite_check(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} ist keine lesbare SQLite-Datenbank: {error}") from error
    finally:
        connection.close()
    if not result or result[0] != "ok":
        raise BackupError(f"{path} ist beschädigt: {result}")


def _libpq_url(url: URL) -> str:
    """The URL for libpq tools, without password (that goes in the environment)."""
    plain = url.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False)


def _run(arguments: list[str], url: URL) -> None:
    program = shutil.which(arguments[0])
    if program is None:
        raise BackupError(f"{arguments[0]} ist nicht installiert (PostgreSQL-Client-Programme).")
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    completed = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell
        [program, *arguments[1:]], env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BackupError(f"{arguments[0]} ist fehlgeschlagen: {completed.stderr.strip()[:2000]}")
