"""Configuration shared by all organisations: barrier categories, topics, partners."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at, intpk, str100, str200, str2000, updated_at
from models.choices import BenefitsDomain, PartnerKind
from models.organisation import Organisation


class CatalogueEntry:
    """A named entry of a configurable list; inactive entries stay on old records only."""

    id: Mapped[intpk]
    name: Mapped[str200] = mapped_column(unique=True)
    description: Mapped[str2000 | None]
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    def __str__(self) -> str:
        return self.name


class BarrierCategory(CatalogueEntry, Base):
    __tablename__ = "barrier_category"


class Topic(CatalogueEntry, Base):
    """A Handlungsfeld (field of action) such as work, housing or language."""

    __tablename__ = "topic"


class Partner(Base):
    """A service or office clients are referred to; linked partners are KIM organisations."""

    __tablename__ = "partner"
    __table_args__ = (
        PartnerKind.check("kind"),
        BenefitsDomain.check("benefits_domain"),
    )

    id: Mapped[intpk]
    name: Mapped[str200] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    benefits_domain: Mapped[str | None] = mapped_column(String(20))
    street: Mapped[str200 | None]
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str100 | None] = mapped_column(default="Düsseldorf")
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_person: Mapped[str200 | None]
    active: Mapped[bool] = mapped_column(default=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"),
        index=True,
        comment="set when the partner is one of the KIM organisations: referrals arrive there",
    )
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    organisation: Mapped[Organisation | None] = relationship()

    def __str__(self) -> str:
        return self.name
