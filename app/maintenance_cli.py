"""Maintenance commands: ``backup PATH``, ``restore PATH`` and ``retention [--dry-run]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.backup import BackupError, backup_database, restore_database
from app.clock import today
from app.extensions import db
from models.audit import set_actor
from models.retention import RETENTION_JOB, anonymise_due_clients


def _database_url() -> str:
    return str(current_app.config["SQLALCHEMY_DATABASE_URI"])


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database to PATH while the app keeps running."""
    try:
        written = backup_database(_database_url(), path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Sicherung geschrieben: {written} ({written.stat().st_size} Bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Restore PATH into the configured, empty database (stop the app first)."""
    try:
        restore_database(_database_url(), path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Wiederhergestellt aus {path}.")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Nur auflisten, nichts ändern.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Anonymise clients whose retention period has passed (KIM_RETENTION_YEARS)."""
    years = int(current_app.config["KIM_RETENTION_YEARS"])
    set_actor(db.session(), RETENTION_JOB)
    report = anonymise_due_clients(db.session(), today(), years, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines():
        click.echo(line)
