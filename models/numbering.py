"""Gapless, race-free numbers per organisation and year (file numbers, case numbers)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, upserting_insert


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
    return take_numbers(session, organisation_id, name, year, 1).start


def take_numbers(session: Session, organisation_id: int, name: str, year: int, count: int) -> range:
    """Take ``count`` consecutive numbers at once (the demo seed numbers thousands of records)."""
    key = (
        NumberSequence.organisation_id == organisation_id,
        NumberSequence.name == name,
        NumberSequence.year == year,
    )
    statement = (
        update(NumberSequence)
        .where(*key)
        .values(last_value=NumberSequence.last_value + count)
        .returning(NumberSequence.last_value)
    )
    last = session.execute(statement).scalar_one_or_none()
    if last is not None:
        return range(last - count + 1, last + 1)
    # Not a savepoint with session.add(): begin_nested() flushes the caller's pending record,
    # which has no number yet. If another writer creates the row first, this insert does
    # nothing and the UPDATE waits for that writer's row lock.
    session.execute(
        upserting_insert(session.get_bind().dialect.name, NumberSequence.__table__)
        .values(organisation_id=organisation_id, name=name, year=year, last_value=0)
        .on_conflict_do_nothing()
    )
    last = session.execute(statement).scalar_one()
    return range(last - count + 1, last + 1)
