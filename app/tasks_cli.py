"""``flask tasks sync``: the automatic tasks that come from days passing (daily, by cron)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from app.clock import today
from app.extensions import db
from models.audit import set_actor
from models.permissions import SystemJob
from models.tasks import ExpiryWindows, sync_organisation_tasks

tasks_cli = AppGroup("tasks", help="Aufgaben.")
TASKS_JOB = SystemJob("tasks")


@tasks_cli.command("sync")
def sync_tasks_command() -> None:
    """Create, finish and cancel the automatic tasks of every open case (e.g. no contact)."""
    session = db.session()
    set_actor(session, TASKS_JOB)
    cases = sync_organisation_tasks(session, None, today(), expiry_windows(current_app.config))
    session.commit()
    click.echo(f"Aufgaben von {cases} offenen Fällen abgeglichen.")


def expiry_windows(config: Mapping[str, Any]) -> ExpiryWindows:
    return ExpiryWindows(
        title_days=int(config["KIM_RESIDENCE_EXPIRY_DAYS"]),
        consent_days=int(config["KIM_CONSENT_EXPIRY_DAYS"]),
    )
