"""Whose figures a statistics report counts, and whether its small cells are suppressed.

Which organisations a user's figures may cover is the visibility rule's answer
(``models.visibility.visible_criteria(user, Organisation)``: the own organisation for
case-level roles, every one for the coordination), like for any other record; whether
they are suppressed is the permission ``STATISTICS_ALL``. ``statistics_organisations``
puts the two together for a request, ``scope_for`` turns them into a ``Scope``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, scoped_session

from models.organisation import Organisation
from models.owned import parse_id
from models.permissions import Permission, Principal, has_permission
from models.visibility import visible_criteria


@dataclass(frozen=True)
class OrganisationColumn:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Scope:
    """Whose figures: the organisations counted, and whether small cells are suppressed.

    ``covered`` are the organisations the coordination's protected tables span (every
    one it may see; one organisation chosen is a column of them); empty: every
    organisation.
    """

    organisations: tuple[OrganisationColumn, ...]
    across_organisations: bool
    covered: tuple[OrganisationColumn, ...] = ()

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
    """The organisations a user's figures cover (``visible``: WHERE criteria on
    ``Organisation``; ``requested``: narrowed to the one asked for), and whether they are
    figures across organisations (then suppressed)."""

    visible: tuple[ColumnElement[bool], ...]
    across_organisations: bool
    requested: tuple[ColumnElement[bool], ...] = ()


def statistics_organisations(user: Principal, requested: str) -> OrganisationChoice | None:
    """Which organisations the figures of ``user`` cover, for the ``organisation`` a
    request asks for (``""``: none asked for); None when the user has no statistics.

    The organisations are those the visibility rule lets ``user`` see: the coordination
    sees every organisation, or the one it asks for; a case-level role its own. Asking
    for one that is not visible (another organisation's, a missing one, an id that is
    no number) finds none, as for any record of another organisation.
    """
    across = has_permission(user, Permission.STATISTICS_ALL)
    if not across and not has_permission(user, Permission.STATISTICS_OWN_ORGANISATION):
        return None
    visible = tuple(visible_criteria(user, Organisation))
    narrowed: tuple[ColumnElement[bool], ...] = ()
    if requested:
        narrowed = (Organisation.id == (parse_id(requested) or 0),)
    return OrganisationChoice(visible, across_organisations=across, requested=narrowed)


def _columns(
    session: Session | scoped_session[Any], *criteria: ColumnElement[bool]
) -> tuple[OrganisationColumn, ...]:
    statement = (
        select(Organisation.id, Organisation.slug, Organisation.name)
        .where(*criteria)
        .order_by(Organisation.name)
    )
    return tuple(OrganisationColumn(*row) for row in session.execute(statement))


def load_scope(
    session: Session | scoped_session[Any], organisation_ids: Sequence[int] | None, across: bool
) -> Scope:
    """The scope of these organisations; ``None`` means all of them."""
    criteria = [] if organisation_ids is None else [Organisation.id.in_(organisation_ids)]
    return Scope(_columns(session, *criteria), across)


def scope_for(
    session: Session | scoped_session[Any], user: Principal, requested: str = ""
) -> Scope | None:
    """The scope of ``user``'s figures; None for an organisation not theirs or not there,
    and for a user without statistics."""
    choice = statistics_organisations(user, requested)
    if choice is None:
        return None
    visible = _columns(session, *choice.visible)
    organisations = _columns(session, *choice.visible, *choice.requested)
    if not organisations:
        return None
    if not choice.across_organisations and len(organisations) != 1:
        return None  # exact figures are an organisation's own, one at a time
    covered = visible if choice.across_organisations else ()
    return Scope(organisations, choice.across_organisations, covered)


def organisations_to_choose(
    session: Session | scoped_session[Any], user: Principal
) -> tuple[OrganisationColumn, ...]:
    """The organisations a user may narrow the figures to: all for the coordination."""
    choice = statistics_organisations(user, "")
    if choice is None or not choice.across_organisations:
        return ()
    return _columns(session, *choice.visible)
