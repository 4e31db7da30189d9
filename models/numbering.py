"""Gapless, race-free numbers per organisation and year (file numbers, case numbers)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_number(session: Session, organisation_id: int, name: str, year: int) -> int:
    """Take the next number; the row lock of the UPDATE serialises concurrent writers."""
    key = (
        NumberSequence.organisation_id == organisation_id,
        NumberSequence.name == name,
        NumberSequence.year == year,
    )
    statement = (
        update(NumberSequence)
        .where(*key)
        .values(last_value=NumberSequence.last_value + 1)
        .returning(NumberSequence.last_value)
    )
    taken = session.execute(statement).scalar_one_or_none()
    if taken is not None:
        return taken
    try:
        with session.begin_nested():
            session.add(
                NumberSequence(organisation_id=organisation_id, name=name, year=year, last_value=1)
            )
        return 1
    except IntegrityError:
        # Another writer created the row first; take the next number from it.
        return session.execute(statement).scalar_one()
