"""What every record of the case level carries: its organisation, audit columns, a version."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from models.base import created_at, updated_at

if TYPE_CHECKING:
    from models.organisation import Organisation
    from models.user import User

_ID = re.compile(r"[1-9][0-9]{0,17}")


def parse_id(raw: object) -> int | None:
    """A positive integer id from untrusted input, or None (``1,2``, ``abc``, ``-1``)."""
    text = str(raw).strip() if raw is not None else ""
    return int(text) if _ID.fullmatch(text) else None


class Versioned:
    """Optimistic locking: UPDATE ... WHERE version = <the version the editor loaded>."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]

    def is_stale(self, loaded_version: object) -> bool:
        """Whether the version an editor loaded (untrusted form input) is no longer current."""
        return parse_id(loaded_version) != self.version


class OrgOwned(Versioned):
    """Mixin for every case-level table: owned by one organisation, audited, versioned."""

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"),
        index=True,
        comment="owning organisation; every query of the app filters on it",
    )
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    @declared_attr
    def organisation(cls) -> Mapped[Organisation]:
        return relationship("Organisation")

    @declared_attr
    def updated_by(cls) -> Mapped[User | None]:
        return relationship("User", foreign_keys=[cls.updated_by_id])  # type: ignore[list-item]

    def stamp(self, user: User) -> None:
        """Record who wrote this row; a new row belongs to the writer's organisation."""
        if self.organisation_id is None:
            self.organisation_id = user.organisation_id
        if self.created_by_id is None:
            self.created_by_id = user.id
        self.updated_by_id = user.id
