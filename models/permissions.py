"""What each role may do: one table, read by every view and template."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from models.choices import Role


class Permission(enum.Enum):
    START_PAGE = "start_page"
    CASEWORK_READ = "casework_read"
    CASEWORK_WRITE = "casework_write"
    CASEWORK_DELETE = "casework_delete"
    CASEWORK_EXPORT = "casework_export"
    # Auskunft nach Art. 15 DSGVO: everything about one client in one download.
    SUBJECT_ACCESS = "subject_access"
    PARTNER_READ = "partner_read"
    PARTNER_WRITE = "partner_write"
    PARTNER_DELETE = "partner_delete"
    CATALOGUE_READ = "catalogue_read"
    CATALOGUE_WRITE = "catalogue_write"
    OWN_PROFILE = "own_profile"
    USERS_OF_OWN_ORGANISATION = "users_of_own_organisation"
    USERS_ALL = "users_all"
    ORGANISATIONS_READ = "organisations_read"
    ORGANISATIONS_WRITE = "organisations_write"
    STATISTICS_OWN_ORGANISATION = "statistics_own_organisation"
    STATISTICS_ALL = "statistics_all"
    AUDIT_OWN_ORGANISATION = "audit_own_organisation"
    AUDIT_CONFIGURATION = "audit_configuration"
    # The system level (models.structural): the register of structural issues, measures
    # and meetings holds no persons; evidence figures are suppressed across organisations.
    STRUCTURAL_READ = "structural_read"
    STRUCTURAL_PROPOSE = "structural_propose"
    STRUCTURAL_MANAGE = "structural_manage"
    EVIDENCE_ALL = "evidence_all"
    EVIDENCE_OWN_ORGANISATION = "evidence_own_organisation"
    WORKING_GROUPS_WRITE = "working_groups_write"
    # issue 16: the organisation's text of the printed consent form
    CONSENT_TEMPLATES_WRITE = "consent_templates_write"


P = Permission
_CASE_MANAGER = frozenset(
    {
        P.START_PAGE,
        P.CASEWORK_READ,
        P.CASEWORK_WRITE,
        P.CASEWORK_EXPORT,
        P.PARTNER_READ,
        P.CATALOGUE_READ,
        P.OWN_PROFILE,
        P.STATISTICS_OWN_ORGANISATION,
        P.STRUCTURAL_READ,
        P.STRUCTURAL_PROPOSE,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASE_MANAGER: _CASE_MANAGER,
    Role.ORG_LEAD: _CASE_MANAGER
    | {
        P.CASEWORK_DELETE,
        P.SUBJECT_ACCESS,
        P.PARTNER_WRITE,
        P.USERS_OF_OWN_ORGANISATION,
        P.AUDIT_OWN_ORGANISATION,
        P.EVIDENCE_OWN_ORGANISATION,
        P.CONSENT_TEMPLATES_WRITE,
    },
    Role.COORDINATOR: frozenset(
        {
            P.START_PAGE,
            P.PARTNER_READ,
            P.PARTNER_WRITE,
            P.PARTNER_DELETE,
            P.CATALOGUE_READ,
            P.CATALOGUE_WRITE,
            P.ORGANISATIONS_READ,
            P.STATISTICS_ALL,
            P.STRUCTURAL_READ,
            P.STRUCTURAL_PROPOSE,
            P.STRUCTURAL_MANAGE,
            P.EVIDENCE_ALL,
        }
    ),
    Role.ADMIN: frozenset(
        {
            P.START_PAGE,
            P.PARTNER_READ,
            P.PARTNER_WRITE,
            P.PARTNER_DELETE,
            P.CATALOGUE_READ,
            P.CATALOGUE_WRITE,
            P.USERS_ALL,
            P.ORGANISATIONS_READ,
            P.ORGANISATIONS_WRITE,
            P.AUDIT_CONFIGURATION,
            P.WORKING_GROUPS_WRITE,
        }
    ),
}


class Principal(Protocol):
    """Whoever acts: a signed-in ``User`` or an operator's ``SystemJob``."""

    @property
    def role(self) -> str: ...

    @property
    def organisation_id(self) -> int | None: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...


@dataclass(frozen=True)
class SystemJob:
    """An operator's command (``flask retention``, ``flask users create``) acting itself.

    A principal of its own rather than a role, so that no account can ever hold it; the
    audit trail names it as the actor (``AuditEvent.actor_job``).
    """

    name: str
    role: str = "system"
    organisation_id: int | None = None
    id: int | None = None
    is_authenticated: bool = True
    is_active: bool = True


def has_permission(user: Principal | None, permission: Permission | None) -> bool:
    """True if an active, logged-in user's role grants ``permission``; None grants nothing."""
    if permission is None or user is None or not user.is_authenticated or not user.is_active:
        return False
    if isinstance(user, SystemJob):
        return False
    return permission in ROLE_PERMISSIONS.get(Role(user.role), frozenset())


def has_any_permission(user: Principal | None, *permissions: Permission | None) -> bool:
    return any(has_permission(user, permission) for permission in permissions)
