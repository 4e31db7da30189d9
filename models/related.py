"""What belongs to a record, for the screens that connect them, and what happened to it.

Everything is read through the visibility rule: a client's cases, a case's contacts,
barriers and referrals as the user may see them in the working lists, and the history of
a record the user may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models.audit import AuditEvent, record_type_of
from models.barrier import Barrier
from models.case import Case, Contact
from models.client import Client
from models.owned import OrgOwned
from models.permissions import Principal
from models.referral import Referral
from models.search import contains, search_terms
from models.visibility import visible_criteria


@dataclass(frozen=True)
class CaseRecords:
    contacts: list[Contact]
    barriers: list[Barrier]
    referrals: list[Referral]


def cases_of_client(session: Session, user: Principal, client: Client) -> list[Case]:
    statement = (
        select(Case)
        .where(Case.client_id == client.id, *visible_criteria(user, Case))
        .order_by(Case.opened_on.desc(), Case.id.desc())
    )
    return list(session.scalars(statement))


def records_of_case(session: Session, user: Principal, case: Case) -> CaseRecords:
    def of_case(model: Any, newest_first: Any, *options: Any) -> list[Any]:
        statement = (
            select(model)
            .where(model.case_id == case.id, *visible_criteria(user, model))
            .options(*options)
            .order_by(newest_first.desc(), model.id.desc())
        )
        return list(session.scalars(statement))

    return CaseRecords(
        contacts=of_case(Contact, Contact.contact_date),
        barriers=of_case(Barrier, Barrier.observed_on, joinedload(Barrier.category)),
        referrals=of_case(Referral, Referral.referred_on, joinedload(Referral.partner)),
    )


def other_open_cases(
    session: Session, user: Principal, client_id: int, except_case_id: int | None = None
) -> list[Case]:
    """The client's open cases besides this one: a second open case is worth a warning."""
    statement = select(Case).where(
        Case.client_id == client_id, Case.closed_on.is_(None), *visible_criteria(user, Case)
    )
    if except_case_id is not None:
        statement = statement.where(Case.id != except_case_id)
    return list(session.scalars(statement.order_by(Case.opened_on)))


def possible_duplicates(
    session: Session,
    user: Principal,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    *,
    except_client_id: int | None = None,
) -> list[Client]:
    """Own clients with the same birth date whose names hold these names (any case or
    accent, models.search): perhaps the same person."""
    if date_of_birth is None:
        return []
    words = search_terms(f"{first_name} {last_name}")
    statement = select(Client).where(
        Client.date_of_birth == date_of_birth,
        *(contains(Client.search_text, word) for word in words),
        *visible_criteria(user, Client),
    )
    if except_client_id is not None:
        statement = statement.where(Client.id != except_client_id)
    return list(session.scalars(statement))


def record_history(session: Session, record: Any) -> list[AuditEvent]:
    """The audit events about one record, newest first.

    The caller has found ``record`` through the visibility rule; its events belong to the
    same organisation, and hold no personal value (``models.audit``).
    """
    statement = (
        select(AuditEvent)
        .where(
            AuditEvent.record_type == record_type_of(record),
            AuditEvent.record_id == record.id,
            AuditEvent.organisation_id.is_not_distinct_from(
                record.organisation_id if isinstance(record, OrgOwned) else None
            ),
        )
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    return list(session.scalars(statement))
