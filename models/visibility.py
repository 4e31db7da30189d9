"""Which rows a user may see: the one place where organisation scoping is decided.

Every list, count, details/edit/delete look-up, select box, ajax look-up and export of
the admin goes through ``visible_criteria``. A model it does not know is invisible.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select

from models import AuditEvent, BarrierCategory, Case, Organisation, OrgOwned, Partner, Topic, User
from models.choices import Role
from models.permissions import Principal

# Configuration every signed-in role may read (SPEC §3: partners, categories, topics).
SHARED_CATALOGUES: tuple[type[Any], ...] = (BarrierCategory, Topic, Partner)


def visible_criteria(  # noqa: PLR0911 - one answer per kind of model
    user: Principal, model: type[Any], *, archived: bool = False
) -> list[ColumnElement[bool]]:
    """WHERE criteria that restrict ``model`` to the rows ``user`` may see.

    Archived records (and the records of an archived case) are hidden; with
    ``archived=True`` only the archived records themselves are shown, for the archive lists.
    """
    if not user.is_authenticated or not user.is_active:
        return [false()]
    role = Role(user.role)
    if issubclass(model, AuditEvent):
        return [false()] if archived else _visible_audit_events(user, role)
    if issubclass(model, OrgOwned):
        return _visible_owned(user, role, model, archived=archived)
    if archived:
        return [false()]
    if issubclass(model, User):
        return _visible_users(user, role)
    if issubclass(model, Organisation):
        return [Organisation.id == user.organisation_id] if role.is_case_level else []
    return [] if issubclass(model, SHARED_CATALOGUES) else [false()]


def _visible_owned(
    user: Principal, role: Role, model: type[Any], *, archived: bool
) -> list[ColumnElement[bool]]:
    """Own organisation only; archived rows (and those of an archived case) apart."""
    if not role.is_case_level or user.organisation_id is None:
        return [false()]
    criteria = [model.organisation_id == user.organisation_id]
    archived_at = getattr(model, "archived_at", None)
    if archived:
        if archived_at is None:
            return [false()]
        criteria.append(archived_at.is_not(None))
        return criteria
    if archived_at is not None:
        criteria.append(archived_at.is_(None))
    case_id = getattr(model, "case_id", None)
    if case_id is not None:
        # Contacts, barriers and referrals go into the archive with their case.
        archived_cases = select(Case.id).where(
            Case.organisation_id == user.organisation_id, Case.archived_at.is_not(None)
        )
        criteria.append(case_id.not_in(archived_cases))
    return criteria


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
    active = getattr(model, "active", None)
    if active is not None:
        criteria.append(active.is_(True))
    return criteria
