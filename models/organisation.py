"""The eight KIM organisations that share the database."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, intpk, str200, updated_at

# After this many days without contact an open case gets a task (issue 15), unless set.
DEFAULT_NO_CONTACT_DAYS = 30


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("no_contact_days BETWEEN 1 AND 365", name="no_contact_days_range"),
    )

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str200] = mapped_column(unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    no_contact_days: Mapped[int] = mapped_column(
        default=DEFAULT_NO_CONTACT_DAYS,
        server_default=str(DEFAULT_NO_CONTACT_DAYS),
        comment="after this many days without contact an open case gets a task",
    )
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    def __str__(self) -> str:
        return self.name
