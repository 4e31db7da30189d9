"""Whose figures a statistics report counts, and whether its small cells are suppressed.

``statistics_organisations`` is the one rule for which organisations a user's figures
cover; ``scope_for`` turns its answer into a ``Scope`` with the organisations' names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from models.organisation import Organisation
from models.owned import parse_id
from models.permissions import Permission, Principal, has_permission


@dataclass(frozen=True)
class OrganisationColumn:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Scope:
    """Whose figures: the organisations counted, and whether small cells are suppressed."""

    organisations: tuple[OrganisationColumn, ...]
    across_organisations: bool

    @property
    def ids(self) -> list[int]:
        return [organisation.id for organisation in self.organisations]

    @property
    def slug(self) -> str:
        if len(self.organisations) == 1:
            return self.organisations[0].slug
        return "alle"


@dataclass(frozen=True)
class OrganisationChoice:
    """The organisations a user's figures cover (``None``: every one), and whether they
    are figures across organisations (then suppressed)."""

    organisation_ids: tuple[int, ...] | None
    across_organisations: bool


def statistics_organisations(user: Principal, requested: str) -> OrganisationChoice | None:
    """Which organisations the figures of ``user`` cover, for the ``organisation`` a
    request asks for (``""``: none asked for); None when that is not the user's to see.

    The coordination sees every organisation, or the one it asks for (an id that is no
    number matches none). Everyone else sees their own organisation only; asking for
    another one is refused, as for any record of another organisation.
    """
    if has_permission(user, Permission.STATISTICS_ALL):
        if not requested:
            return OrganisationChoice(None, across_organisations=True)
        return OrganisationChoice((parse_id(requested) or 0,), across_organisations=True)
    own = user.organisation_id
    if own is None or (requested and parse_id(requested) != own):
        return None
    return OrganisationChoice((own,), across_organisations=False)


def load_scope(
    session: Session | scoped_session[Any], organisation_ids: Sequence[int] | None, across: bool
) -> Scope:
    """The organisations of the scope; ``None`` means all of them (coordination)."""
    statement = select(Organisation.id, Organisation.slug, Organisation.name).order_by(
        Organisation.name
    )
    if organisation_ids is not None:
        statement = statement.where(Organisation.id.in_(organisation_ids))
    columns = tuple(OrganisationColumn(*row) for row in session.execute(statement))
    return Scope(columns, across)


def scope_for(
    session: Session | scoped_session[Any], user: Principal, requested: str = ""
) -> Scope | None:
    """The scope of ``user``'s figures; None for an organisation not theirs or not there."""
    choice = statistics_organisations(user, requested)
    if choice is None:
        return None
    scope = load_scope(session, choice.organisation_ids, choice.across_organisations)
    if choice.organisation_ids is not None and not scope.organisations:
        return None
    return scope


def organisations_to_choose(
    session: Session | scoped_session[Any], user: Principal
) -> tuple[OrganisationColumn, ...]:
    """The organisations a user may narrow the figures to: all for the coordination."""
    choice = statistics_organisations(user, "")
    if choice is None or not choice.across_organisations:
        return ()
    return load_scope(session, choice.organisation_ids, across=True).organisations
