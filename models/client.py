"""Klient*innen: the people the case managers accompany."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, intpk, str100, str200, text10k
from models.choices import BenefitsDomain, Gender, ResidenceStatus
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
from models.search import Searchable

if TYPE_CHECKING:
    from models.consent import Consent

PERSONAL = "personal data; never shown to coordination or admins, erased by retention"


# The columns the client list filters by (admin_views.casework.ClientView), which the
# working clients' index includes on PostgreSQL. Without them, PostgreSQL reads a filtered
# page newest first along the primary key, past the other organisations' clients whose
# ids came later (12 ms at 100,000 clients, instead of 0.2 from the index alone).
LIST_FILTERS = (
    "residence_status",
    "benefits_domain",
    "country_of_origin",
    "gender",
    "district",
    "needs_interpreter",
    "consent_withdrawn_on",
    "arrival_date",
)


class Client(Searchable, OrgOwned, Base):
    __tablename__ = "client"
    __table_args__ = (
        UniqueConstraint("organisation_id", "file_number"),
        Gender.check("gender"),
        ResidenceStatus.check("residence_status"),
        BenefitsDomain.check("benefits_domain"),
        CheckConstraint("district BETWEEN 1 AND 10", name="district_range"),
        CheckConstraint("household_size BETWEEN 1 AND 30", name="household_size_range"),
        Index("ix_client_organisation_name", "organisation_id", "last_name", "first_name"),
        # The search box scans this narrow index, not the table (models/search.py).
        Index("ix_client_organisation_search", "organisation_id", "search_text"),
        # An organisation's working clients newest first (the client list); on PostgreSQL
        # with the columns the list filters by, so that a filtered page is read from here.
        Index(
            "ix_client_organisation_working",
            "organisation_id",
            "id",
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
            postgresql_include=list(LIST_FILTERS),
        ),
        # The dimensions the statistics count an organisation's clients by, read from
        # here rather than from the table (models/statistics/queries.py).
        Index(
            "ix_client_organisation_dimensions",
            "organisation_id",
            "residence_status",
            "benefits_domain",
            "gender",
            "district",
            "country_of_origin",
            "date_of_birth",
            postgresql_include=["id"],
        ),
    )
    search_sources = ("last_name", "first_name", "file_number", "phone", "email")

    id: Mapped[intpk]
    file_number: Mapped[str] = mapped_column(String(30))
    first_name: Mapped[str100] = mapped_column(comment=PERSONAL)
    last_name: Mapped[str100] = mapped_column(comment=PERSONAL)
    date_of_birth: Mapped[dt.date | None] = mapped_column(comment=PERSONAL)
    gender: Mapped[str] = mapped_column(String(20), default=Gender.UNSPECIFIED)
    country_of_origin: Mapped[str | None] = mapped_column(String(2))
    nationality: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[str200 | None]
    needs_interpreter: Mapped[bool] = mapped_column(default=False)
    arrival_date: Mapped[dt.date | None]
    residence_status: Mapped[str | None] = mapped_column(String(30))
    benefits_domain: Mapped[str | None] = mapped_column(String(20))
    household_size: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(40), comment=PERSONAL)
    email: Mapped[str | None] = mapped_column(String(254), comment=PERSONAL)
    street: Mapped[str200 | None] = mapped_column(comment=PERSONAL)
    postcode: Mapped[str | None] = mapped_column(String(10))
    district: Mapped[int | None]
    consent_given_on: Mapped[dt.date]
    consent_withdrawn_on: Mapped[dt.date | None]
    notes: Mapped[text10k | None] = mapped_column(comment=PERSONAL)
    archived_at: Mapped[dt.datetime | None]
    search_text: Mapped[str] = mapped_column(
        String(700), default="", comment="normalised names and numbers for the search; " + PERSONAL
    )

    # The consents as records (models/consent.py); read-only here, written there.
    consents: Mapped[list[Consent]] = relationship(
        "Consent", viewonly=True, order_by="Consent.signed_on.desc()"
    )

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.file_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @staticmethod
    def format_file_number(slug: str, year: int, number: int) -> str:
        """``AWO-2026-0042``: organisation, year of intake, running number."""
        return f"{slug.upper()}-{year}-{number:04d}"

    def assign_file_number(
        self, session: Session, organisation: Organisation, today: dt.date
    ) -> None:
        number = next_number(session, organisation.id, "client", today.year)
        self.file_number = self.format_file_number(organisation.slug, today.year, number)

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        for field in ("date_of_birth", "arrival_date", "consent_given_on", "consent_withdrawn_on"):
            check_not_future(errors, values, field, today)
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "arrival_date",
            "date_of_birth",
            _("Die Einreise kann nicht vor der Geburt liegen."),
        )
        check_not_before(
            errors,
            values,
            "consent_withdrawn_on",
            "consent_given_on",
            _("Der Widerruf kann nicht vor der Einwilligung liegen."),
        )
        postcode = values.get("postcode")
        if postcode and not (len(postcode) == 5 and postcode.isascii() and postcode.isdigit()):
            errors["postcode"] = _("Bitte eine fünfstellige Postleitzahl angeben.")
        return errors
