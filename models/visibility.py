"""Which rows a user may see: the one rule every path of the app goes through.

Every list, count, look-up by id, select box, ajax look-up, export, service (referral
workflow, incoming referrals, start page and partner counts, subject access, archive,
retention) and statistic asks ``visible_criteria`` or ``visible_one``. A model the rule
does not know is invisible; a record of another organisation, a missing, malformed or
archived id all look the same: nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session, aliased

from models.audit import AuditEvent
from models.case import Case
from models.catalogue import BarrierCategory, Partner, Topic
from models.choices import Role
from models.client import Client
from models.organisation import Organisation
from models.owned import OrgOwned, parse_id
from models.permissions import Principal, SystemJob
from models.referral import Referral
from models.structural import OPEN, AgendaItem, Measure, Meeting, StructuralIssue, WorkingGroup
from models.user import User

# Configuration every signed-in role may read (SPEC §3: partners, categories, topics).
SHARED_CATALOGUES: tuple[type[Any], ...] = (BarrierCategory, Topic, Partner, WorkingGroup)
# The system level's register (models.structural): no persons, no organisation; read by
# the case level and the coordination, not by admins (they configure working groups).
SYSTEM_LEVEL: tuple[type[Any], ...] = (StructuralIssue, Measure, Meeting, AgendaItem)
SYSTEM_LEVEL_ROLES = frozenset({Role.CASE_MANAGER, Role.ORG_LEAD, Role.COORDINATOR})

RecordT = TypeVar("RecordT")


class Shelf(enum.Enum):
    """Where a record stands in its lifecycle, as far as a look-up cares."""

    WORKING = "working"  # the working lists: archived records and their children hidden
    ARCHIVE = "archive"  # the archive lists: only the archived records themselves
    ANY = "any"  # both: an Art. 15 answer covers every stored record


def visible_criteria(  # noqa: PLR0911 - one answer per kind of model
    user: Principal, model: type[Any], *, shelf: Shelf = Shelf.WORKING
) -> list[ColumnElement[bool]]:
    """WHERE criteria that restrict ``model`` to the rows ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return [false()]
    if isinstance(user, SystemJob):
        return _lifecycle_criteria(model, shelf, None) if issubclass(model, OrgOwned) else [false()]
    role = Role(user.role)
    if issubclass(model, AuditEvent):
        return [false()] if shelf is Shelf.ARCHIVE else _visible_audit_events(user, role)
    if issubclass(model, OrgOwned):
        organisation_id = visible_organisation(user, model)
        if organisation_id is None:
            return [false()]
        return [
            model.organisation_id == organisation_id,
            *_lifecycle_criteria(model, shelf, organisation_id),
        ]
    if shelf is Shelf.ARCHIVE:
        return [false()]
    if issubclass(model, User):
        return _visible_users(user, role)
    if issubclass(model, Organisation):
        return [Organisation.id == user.organisation_id] if role.is_case_level else []
    if issubclass(model, SYSTEM_LEVEL):
        return [] if role in SYSTEM_LEVEL_ROLES else [false()]
    return [] if issubclass(model, SHARED_CATALOGUES) else [false()]


def visible_organisation(user: Principal, model: type[Any]) -> int | None:
    """The one organisation to whose rows ``visible_criteria`` restricts ``model`` for
    ``user`` (its first criterion; a case-level user's own), or None where it does not
    restrict to one."""
    if not user.is_authenticated or not user.is_active or isinstance(user, SystemJob):
        return None
    if issubclass(model, AuditEvent) or not issubclass(model, OrgOwned):
        return None
    return user.organisation_id if Role(user.role).is_case_level else None


def visible_one(
    session: Session,
    user: Principal,
    model: type[RecordT],
    raw_id: object,
    *,
    shelf: Shelf = Shelf.WORKING,
    for_update: bool = False,
) -> RecordT | None:
    """The row with this (untrusted) id if ``user`` may see it; None for any other id."""
    record_id = parse_id(raw_id)
    if record_id is None:
        return None
    statement = select(model).where(
        model.id == record_id,  # type: ignore[attr-defined]
        *visible_criteria(user, model, shelf=shelf),
    )
    if for_update:
        statement = statement.with_for_update(of=model)
    return session.execute(statement).scalar_one_or_none()


def _lifecycle_criteria(
    model: type[Any], shelf: Shelf, organisation_id: int | None
) -> list[ColumnElement[bool]]:
    """Archived rows, and the contacts, barriers and referrals of an archived case, apart."""
    archived_at = getattr(model, "archived_at", None)
    if shelf is Shelf.ANY:
        return []
    if shelf is Shelf.ARCHIVE:
        return [false()] if archived_at is None else [archived_at.is_not(None)]
    criteria: list[ColumnElement[bool]] = []
    if archived_at is not None:
        criteria.append(archived_at.is_(None))
    case_id = getattr(model, "case_id", None)
    if case_id is not None:
        # A client goes into the archive with all its cases (models.lifecycle), so the
        # case's own mark covers both. The archive is small: NOT IN stays cheap.
        archived_cases = select(Case.id).where(Case.archived_at.is_not(None))
        if organisation_id is not None:
            archived_cases = archived_cases.where(Case.organisation_id == organisation_id)
        not_archived = case_id.not_in(archived_cases)
        # A task need not belong to a case; NOT IN would hide it (NULL is unknown).
        if model.__table__.c.case_id.nullable:
            not_archived = or_(case_id.is_(None), not_archived)
        criteria.append(not_archived)
    client_id = getattr(model, "client_id", None)
    if client_id is not None and case_id is None and archived_at is None:
        # Records of a client itself (status periods, consents) go with the client.
        archived_clients = select(Client.id).where(Client.archived_at.is_not(None))
        if organisation_id is not None:
            archived_clients = archived_clients.where(Client.organisation_id == organisation_id)
        criteria.append(client_id.not_in(archived_clients))
    return criteria


def incoming_referral_criteria(user: Principal) -> list[ColumnElement[bool]]:
    """Referrals another organisation addressed to a partner of ``user``'s organisation.

    What the receiver may read of them is the workflow's business (``IncomingReferral``);
    once the sender archives the case or the client, the referral is gone for the receiver.
    """
    if not user.is_authenticated or not user.is_active or isinstance(user, SystemJob):
        return [false()]
    if not Role(user.role).is_case_level or user.organisation_id is None:
        return [false()]
    return [
        Referral.partner_id.in_(
            select(Partner.id).where(Partner.organisation_id == user.organisation_id)
        ),
        Referral.organisation_id != user.organisation_id,
        referral_case_is_not(
            lambda case, client: or_(case.archived_at.is_not(None), client.archived_at.is_not(None))
        ),
    ]


def referral_case_is_not(
    holds: Callable[[Any, Any], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """The referral's case and its client do not meet ``holds`` (of the two), looked up
    per referral (NOT EXISTS; a NOT IN listed every such case of the city first). Aliased,
    so a statement that joins ``Case`` or ``Client`` itself does not take them over."""
    case, client = aliased(Case), aliased(Client)
    found = (
        select(case.id)
        .join(client, case.client_id == client.id)
        .where(case.id == Referral.case_id, holds(case, client))
        .correlate(Referral)
    )
    return ~found.exists()


def _visible_audit_events(user: Principal, role: Role) -> list[ColumnElement[bool]]:
    """Leads: their organisation's records; admins: configuration and sign-ins."""
    if role is Role.ORG_LEAD and user.organisation_id is not None:
        return [AuditEvent.organisation_id == user.organisation_id]
    if role is Role.ADMIN:
        return [AuditEvent.organisation_id.is_(None)]
    return [false()]


def _visible_users(user: Principal, role: Role) -> list[ColumnElement[bool]]:
    if role is Role.ADMIN:
        return []
    if role is Role.ORG_LEAD:
        return [
            User.organisation_id == user.organisation_id,
            User.role.in_([Role.CASE_MANAGER, Role.ORG_LEAD]),
        ]
    if role is Role.CASE_MANAGER:
        return [User.id == getattr(user, "id", None)]
    return [false()]


def selectable_criteria(user: Principal, model: type[Any]) -> list[ColumnElement[bool]]:
    """Criteria for the choices a form offers: visible rows that are still in use.

    Colleagues are selectable as case managers although a case manager cannot open
    their accounts; deactivated entries and accounts are offered nowhere.
    """
    if issubclass(model, User):
        role = Role(user.role) if user.is_authenticated else None
        if role is None or not role.is_case_level or not user.is_active:
            return [false()]
        return [
            User.organisation_id == user.organisation_id,
            User.role.in_([Role.CASE_MANAGER, Role.ORG_LEAD]),
            User.active.is_(True),
        ]
    criteria = visible_criteria(user, model)
    if issubclass(model, StructuralIssue):
        # Barriers, measures and agendas link to open issues only.
        criteria.append(StructuralIssue.status.in_([str(status) for status in OPEN]))
    active = getattr(model, "active", None)
    if active is not None:
        criteria.append(active.is_(True))
    return criteria
