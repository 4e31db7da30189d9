"""Archive, restore and erase clients and cases: nothing is lost by one click.

Archiving hides a record everywhere (lists, select boxes, look-ups, exports); restoring
brings it back; only an archived record can be erased for good. A client is archived,
restored and erased together with the cases archived with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.barrier import Barrier
from models.base import utcnow
from models.case import Case, Contact
from models.client import Client
from models.consent import Consent
from models.permissions import Principal
from models.plan import IntegrationPlan, PlanGoal, PlanStep
from models.referral import Referral
from models.status_history import StatusPeriod
from models.tasks import Task
from models.visibility import Shelf, visible_criteria

Archivable = Client | Case


class LifecycleError(Exception):
    """The step is not possible for this record; the message says why (German)."""


@dataclass(frozen=True)
class ArchivePreview:
    """What goes into the archive with a record (and comes back with it)."""

    cases: list[Case]
    contacts: int
    barriers: int
    referrals: int


def archive_preview(session: Session, user: Principal, record: Archivable) -> ArchivePreview:
    cases = _cases_of(session, user, record, Shelf.WORKING) if isinstance(record, Client) else []
    case_ids = [case.id for case in cases] if isinstance(record, Client) else [record.id]

    def count(model: Any) -> int:
        statement = select(func.count()).where(
            model.case_id.in_(case_ids), *visible_criteria(user, model)
        )
        return session.execute(statement).scalar_one() if case_ids else 0

    return ArchivePreview(cases, count(Contact), count(Barrier), count(Referral))


def _cases_of(
    session: Session, user: Principal, client: Client, shelf: Shelf, *criteria: Any
) -> list[Case]:
    statement = select(Case).where(
        Case.client_id == client.id, *visible_criteria(user, Case, shelf=shelf), *criteria
    )
    return list(session.scalars(statement))


def archive(
    session: Session, user: Principal, record: Archivable, now: dt.datetime | None = None
) -> None:
    """Archive a record ``user`` sees in the working lists; a client with its cases."""
    if record.archived_at is not None:
        return
    now = now or utcnow()
    if isinstance(record, Client):
        for case in _cases_of(session, user, record, Shelf.WORKING):
            case.archived_at = now
    record.archived_at = now


def restore(session: Session, user: Principal, record: Archivable) -> None:
    """Bring a record back from the archive; a client with the cases archived with it."""
    if record.archived_at is None:
        return
    if isinstance(record, Case) and record.client.archived_at is not None:
        raise LifecycleError(
            _(
                "Der Fall %(case)s gehört zu einer archivierten Person; bitte zuerst die Person "
                "wiederherstellen.",
                case=record.case_number,
            )
        )
    if isinstance(record, Client):
        archived_with_client = Case.archived_at == record.archived_at
        for case in _cases_of(session, user, record, Shelf.ARCHIVE, archived_with_client):
            case.archived_at = None
    record.archived_at = None


def erase(session: Session, user: Principal, record: Archivable) -> None:
    """Delete an archived record for good, with everything that belongs to it."""
    if record.archived_at is None:
        raise LifecycleError(_("Nur archivierte Datensätze können endgültig gelöscht werden."))
    if isinstance(record, Client):
        cases = _cases_of(session, user, record, Shelf.ANY)
        if any(case.archived_at is None for case in cases):
            raise LifecycleError(
                _("Die Person hat noch nicht archivierte Fälle; bitte diese zuerst archivieren.")
            )
        for case in cases:
            _erase_case(session, user, case)
        # The client's own records, one by one for their audit events (not by cascade).
        for own_model in (Consent, StatusPeriod):
            owned = select(own_model).where(
                own_model.client_id == record.id,
                *visible_criteria(user, own_model, shelf=Shelf.ANY),
            )
            for own in session.scalars(owned):
                session.delete(own)
        session.delete(record)
    else:
        _erase_case(session, user, record)


def _erase_case(session: Session, user: Principal, case: Case) -> None:
    # Deleted one by one (not by the database's cascade) so that each gets an audit event.
    for child_model in (Task, PlanStep, PlanGoal, IntegrationPlan, Referral, Barrier):
        children = select(child_model).where(
            child_model.case_id == case.id, *visible_criteria(user, child_model, shelf=Shelf.ANY)
        )
        for child in session.scalars(children):
            session.delete(child)
    session.delete(case)
