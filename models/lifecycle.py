"""Archive, restore and erase clients and cases: nothing is lost by one click.

Archiving hides a record everywhere (lists, select boxes, look-ups, exports); restoring
brings it back; only an archived record can be erased for good. A client is archived,
restored and erased together with the cases archived with it.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.barrier import Barrier
from models.base import utcnow
from models.case import Case
from models.client import Client
from models.referral import Referral

Archivable = Client | Case


class LifecycleError(Exception):
    """The step is not possible for this record; the message says why (German)."""


def archive(session: Session, record: Archivable, now: dt.datetime | None = None) -> None:
    if record.archived_at is not None:
        return
    now = now or utcnow()
    record.archived_at = now
    if isinstance(record, Client):
        for case in session.scalars(
            select(Case).where(Case.client_id == record.id, Case.archived_at.is_(None))
        ):
            case.archived_at = now


def restore(session: Session, record: Archivable) -> None:
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
        for case in session.scalars(
            select(Case).where(Case.client_id == record.id, Case.archived_at == record.archived_at)
        ):
            case.archived_at = None
    record.archived_at = None


def erase(session: Session, record: Archivable) -> None:
    """Delete an archived record for good, with everything that belongs to it."""
    if record.archived_at is None:
        raise LifecycleError(_("Nur archivierte Datensätze können endgültig gelöscht werden."))
    if isinstance(record, Client):
        cases = list(session.scalars(select(Case).where(Case.client_id == record.id)))
        if any(case.archived_at is None for case in cases):
            raise LifecycleError(
                _("Die Person hat noch nicht archivierte Fälle; bitte diese zuerst archivieren.")
            )
        for case in cases:
            _erase_case(session, case)
        session.delete(record)
    else:
        _erase_case(session, record)


def _erase_case(session: Session, case: Case) -> None:
    # Deleted one by one (not by the database's cascade) so that each gets an audit event.
    for child_model in (Referral, Barrier):
        for child in session.scalars(select(child_model).where(child_model.case_id == case.id)):
            session.delete(child)
    session.delete(case)
