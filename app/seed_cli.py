"""``flask --app wsgi seed demo``: organisations, catalogues, demo users and clients.

A command of the installed package (the ``flask.commands`` entry point in
``pyproject.toml``), not registered by ``create_app``: a web worker never loads the demo
seed and its data (a worker starts 1.5 MiB smaller without it).
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from models import User
from seeds.demo import DEFAULT_PASSWORD, SeedRefused, seed_demo

seed_cli = AppGroup("seed", help="Fill the database with data.")


@seed_cli.command("demo")
@click.option("--clients", default=30, show_default=True, help="Demo clients per organisation.")
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Password of all demo users."
)
@click.option("--if-empty", is_flag=True, help="Skip quietly when the database has users.")
def seed_demo_command(clients: int, password: str, if_empty: bool) -> None:
    """Organisations, catalogues, demo users and demo clients; refuses a database with users."""
    if if_empty and db.session.execute(select(User.id).limit(1)).first():
        click.echo("Die Datenbank enthält bereits Benutzer*innen; kein Demo-Seed.")
        return
    started = time.perf_counter()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        _seed_pragmas()
    try:
        summary = seed_demo(
            db.session(), clients_per_org=clients, password=password, build_indexes_last=sqlite
        )
        db.session.commit()
        if not sqlite:
            _vacuum_analyze()
    except SeedRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    finally:
        if sqlite:
            db.session.rollback()  # nothing is left to end; the modes change only outside
            _sqlite_pragmas("journal_mode = WAL")  # the app's mode again
    click.echo(f"{summary} in {time.perf_counter() - started:.1f} s")


def _vacuum_analyze() -> None:
    """On PostgreSQL, what autovacuum does to the tables just filled, now: a PostgreSQL
    whose autovacuum is off or not round yet plans every list as for empty tables (the
    consents of a client page read in a scan of the whole table), and, with no visibility
    map, reads a list's first page along the primary key past the other organisations'
    rows instead of the list's own index (12 ms instead of 0.03 at 100,000 clients).
    VACUUM runs outside a transaction (two to three seconds at that size)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def _seed_pragmas() -> None:
    """For the seed's connection only, on SQLite: the one big transaction goes through a
    rollback journal instead of the write-ahead log (whose index every page read searches,
    the longer the log the slower), with a page cache that holds the whole database being
    filled (1 GiB instead of 2 MiB: at 100,000 clients it outgrows 256 MiB, and each page
    the cache spills is written out and read back). The commit still waits for the disk
    (not waiting saved 0.3 s at 100,000 clients, and a crash then could leave a broken
    file). The app's modes are set again after the seed; every new connection of the app
    sets them anyway (``app.factory``)."""
    db.session.commit()  # the modes change only outside a transaction
    _sqlite_pragmas(
        "journal_mode = TRUNCATE",
        "cache_size = -1048576",
        "temp_store = MEMORY",
    )


def _sqlite_pragmas(*pragmas: str) -> None:
    """The pragmas on the session's connection, past the session's statement listener (which
    takes SQL text for a write of every table and would begin a transaction for it, inside
    which SQLite does not change the journal mode)."""
    cursor = db.session.connection().connection.cursor()
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
