"""Reminders on the start page: residence titles and consents about to expire.

A list read from the status periods and consents each time, beside the tasks the same
deadlines make (``models.tasks``: the task list is per case and assignee, this glance is
per client, and a lead sees the whole team's).
Case managers see the clients of their own open cases, leads their whole team's. A glance:
the ``SHOWN`` soonest of each list and how many there are in all (a caseload of thousands
made a start page of 1,000 names, 250 KB, rendered in 100 ms and more).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models.case import Case
from models.caseload import default_case_manager_filter
from models.client import Client
from models.consent import DEFAULT_EXPIRY_WARNING_DAYS as CONSENT_DAYS
from models.consent import Consent, ExpiringConsent, expiring_consent_criteria, expiring_consents
from models.status_history import DEFAULT_EXPIRY_WARNING_DAYS as TITLE_DAYS
from models.status_history import (
    ExpiringTitle,
    StatusPeriod,
    expiring_title_criteria,
    expiring_titles,
)
from models.user import User
from models.visibility import visible_criteria

SHOWN = 10  # of each list; every one of them is also a task (models/tasks.py)


@dataclass(frozen=True)
class Reminders:
    title_days: int
    consent_days: int
    titles: list[ExpiringTitle]  # the soonest SHOWN
    consents: list[ExpiringConsent]
    titles_in_all: int
    consents_in_all: int


def _my_clients(user: User) -> list[ColumnElement[bool]]:
    criteria = visible_criteria(user, Client)
    manager_id = default_case_manager_filter(user)
    open_cases = select(Case.client_id).where(
        *visible_criteria(user, Case), Case.closed_on.is_(None)
    )
    if manager_id is not None:
        open_cases = open_cases.where(Case.case_manager_id == manager_id)
    return [*criteria, Client.id.in_(open_cases)]


def reminders(
    session: Session,
    user: User,
    today: dt.date,
    title_days: int = TITLE_DAYS,
    consent_days: int = CONSENT_DAYS,
) -> Reminders:
    criteria = _my_clients(user)
    titles = expiring_titles(session, criteria, today, title_days, SHOWN)
    consents = expiring_consents(session, criteria, today, consent_days, SHOWN)
    return Reminders(
        title_days,
        consent_days,
        titles,
        consents,
        titles_in_all=_in_all(
            session, titles, StatusPeriod, [*expiring_title_criteria(today, title_days), *criteria]
        ),
        consents_in_all=_in_all(
            session, consents, Consent, [*expiring_consent_criteria(today, consent_days), *criteria]
        ),
    )


def _in_all(
    session: Session, shown: list[Any], model: type[Consent | StatusPeriod], criteria: list[Any]
) -> int:
    """How many records of clients (with their client) ``criteria`` select: those
    ``shown`` when they are fewer than ``SHOWN``, else counted."""
    if len(shown) < SHOWN:
        return len(shown)
    statement = (
        select(func.count())
        .select_from(model)
        .join(Client, model.client_id == Client.id)
        .where(*criteria)
    )
    return session.execute(statement).scalar_one()
