"""Command-line tasks: ``flask --app wsgi seed demo`` and ``flask --app wsgi users create``."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select, text

from app.extensions import db
from models import Organisation, User
from models.choices import Role
from models.passwords import password_problem
from seeds.demo import DEFAULT_PASSWORD, SeedRefused, seed_demo

seed_cli = AppGroup("seed", help="Fill the database with data.")
users_cli = AppGroup("users", help="Manage staff accounts.")


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
            # The planner's statistics of the tables just filled: a PostgreSQL whose
            # autovacuum is off or not round yet plans every list as for empty tables
            # (the consents of a client page read in a scan of the whole table).
            db.session.connection().exec_driver_sql("ANALYZE")
            db.session.commit()
    except SeedRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    finally:
        if sqlite:
            db.session.rollback()  # nothing is left to end; the mode changes only outside
            db.session.execute(text("PRAGMA journal_mode = WAL"))  # the app's mode again
    click.echo(f"{summary} in {time.perf_counter() - started:.1f} s")


def _seed_pragmas() -> None:
    """For the seed's connection only, on SQLite: the one big transaction goes through a
    rollback journal instead of the write-ahead log (whose index every page read searches,
    the longer the log the slower), with a page cache that holds the whole database being
    filled (1 GiB instead of 2 MiB: at 100,000 clients it outgrows 256 MiB, and each page
    the cache spills is written out and read back). WAL is set again after the seed; every
    new connection of the app sets it anyway (``app.factory``)."""
    db.session.commit()  # the journal mode changes only outside a transaction
    db.session.execute(text("PRAGMA journal_mode = TRUNCATE"))
    db.session.execute(text("PRAGMA cache_size = -1048576"))
    db.session.execute(text("PRAGMA temp_store = MEMORY"))


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--organisation", "organisation_slug", help="Slug, for case_manager and org_lead.")
@click.password_option()
def create_user_command(
    email: str, full_name: str, role: str, organisation_slug: str | None, password: str
) -> None:
    """Create a staff account."""
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    organisation = None
    if Role(role).is_case_level:
        if not organisation_slug:
            raise click.BadParameter("needed for this role", param_hint="--organisation")
        organisation = db.session.execute(
            select(Organisation).where(Organisation.slug == organisation_slug)
        ).scalar_one_or_none()
        if organisation is None:
            raise click.BadParameter(f"unknown organisation {organisation_slug!r}")
    elif organisation_slug:
        raise click.BadParameter("coordinators and admins belong to no organisation")
    if db.session.execute(select(User.id).where(User.email == email.strip().lower())).first():
        raise click.BadParameter("an account with this e-mail exists", param_hint="--email")
    user = User(email=email, full_name=full_name, role=role, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {user.email} ({role})")
