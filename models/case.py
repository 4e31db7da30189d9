"""Fälle (cases) of a client, with their contacts."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, intpk, text10k
from models.catalogue import Topic
from models.choices import CasePhase, ClosureReason, ContactKind
from models.client import Client
from models.numbering import next_number
from models.organisation import Organisation
from models.owned import OrgOwned
from models.rules import (
    FieldErrors,
    FormValues,
    check_not_before,
    check_not_future,
    check_plausible,
)
from models.user import User

case_topic = Table(
    "case_topic",
    Base.metadata,
    Column("case_id", ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="RESTRICT"), primary_key=True),
)


class Case(OrgOwned, Base):
    __tablename__ = "case_file"
    __table_args__ = (
        UniqueConstraint("organisation_id", "case_number"),
        CasePhase.check("phase"),
        ClosureReason.check("closure_reason"),
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_after_opened"),
        CheckConstraint(
            "closed_on IS NULL OR closure_reason IS NOT NULL", name="closed_needs_reason"
        ),
        Index("ix_case_file_organisation_open", "organisation_id", "closed_on"),
        # An organisation's cases of a period, read from the index alone: the statistics
        # of cases opened, open and of their clients, counted again after a case is edited.
        Index(
            "ix_case_file_organisation_opened",
            "organisation_id",
            "opened_on",
            "closed_on",
            "client_id",
        ),
        # An organisation's working cases newest first (the case list), and its archived
        # cases, whose contacts, barriers and referrals every working list leaves out.
        Index(
            "ix_case_file_organisation_working",
            "organisation_id",
            "id",
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "ix_case_file_organisation_archived",
            "organisation_id",
            "id",
            sqlite_where=text("archived_at IS NOT NULL"),
            postgresql_where=text("archived_at IS NOT NULL"),
        ),
        # Statistics across organisations select cases by period.
        Index("ix_case_file_opened_on", "opened_on"),
        Index("ix_case_file_closed_on", "closed_on"),
    )

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"), index=True)
    case_manager_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    case_number: Mapped[str] = mapped_column(String(30))
    opened_on: Mapped[dt.date]
    closed_on: Mapped[dt.date | None]
    phase: Mapped[str] = mapped_column(String(20), default=CasePhase.INTAKE)
    goals: Mapped[text10k | None] = mapped_column(comment="personal data")
    closure_reason: Mapped[str | None] = mapped_column(String(20))
    archived_at: Mapped[dt.datetime | None]

    client: Mapped[Client] = relationship()
    case_manager: Mapped[User] = relationship(foreign_keys=[case_manager_id])
    topics: Mapped[list[Topic]] = relationship(secondary=case_topic, order_by=Topic.sort_order)
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="case", order_by="Contact.contact_date.desc()", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.case_number} – {self.client.last_name}, {self.client.first_name}"

    @staticmethod
    def format_case_number(slug: str, year: int, number: int) -> str:
        """``AWO-F-2026-0007``: organisation, F for Fall, year, running number."""
        return f"{slug.upper()}-F-{year}-{number:04d}"

    def assign_case_number(
        self, session: Session, organisation: Organisation, today: dt.date
    ) -> None:
        number = next_number(session, organisation.id, "case", today.year)
        self.case_number = self.format_case_number(organisation.slug, today.year, number)

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        for field in ("opened_on", "closed_on"):
            check_not_future(errors, values, field, today)
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "closed_on",
            "opened_on",
            _("Das Abschlussdatum darf nicht vor dem Eröffnungsdatum liegen."),
        )
        closed = values.get("closed_on") is not None or values.get("phase") == CasePhase.CLOSED
        if closed and not values.get("closure_reason"):
            errors["closure_reason"] = _("Ein abgeschlossener Fall braucht einen Abschlussgrund.")
        if values.get("phase") == CasePhase.CLOSED and values.get("closed_on") is None:
            errors["closed_on"] = _("Ein abgeschlossener Fall braucht ein Abschlussdatum.")
        if values.get("closed_on") is not None and values.get("phase") != CasePhase.CLOSED:
            errors["phase"] = _("Mit Abschlussdatum ist die Phase „abgeschlossen“.")
        return errors


class Contact(OrgOwned, Base):
    __tablename__ = "contact"
    __table_args__ = (
        ContactKind.check("kind"),
        CheckConstraint("minutes BETWEEN 0 AND 1440", name="minutes_range"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    contact_date: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(20), default=ContactKind.IN_PERSON)
    minutes: Mapped[int | None]
    note: Mapped[text10k | None] = mapped_column(comment="personal data")

    case: Mapped[Case] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return f"{self.contact_date:%d.%m.%Y} ({ContactKind.label_of(self.kind)})"

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        check_not_future(errors, values, "contact_date", today)
        check_plausible(errors, values, "contact_date")
        minutes = values.get("minutes")
        if minutes is not None and not 0 <= minutes <= 1440:
            errors["minutes"] = _("Bitte eine Dauer zwischen 0 und 1440 Minuten angeben.")
        return errors
