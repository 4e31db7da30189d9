"""Dokumentierte Barrieren: what stood in a client's way, for the system-level analysis."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, text10k
from models.case import Case
from models.catalogue import BarrierCategory, Partner
from models.choices import BarrierStatus
from models.owned import OrgOwned
from models.rules import (
    FieldErrors,
    FormValues,
    check_not_before,
    check_not_future,
    check_plausible,
)
from models.structural import StructuralIssue


class Barrier(OrgOwned, Base):
    __tablename__ = "barrier"
    __table_args__ = (
        BarrierStatus.check("status"),
        Index("ix_barrier_organisation_observed", "organisation_id", "observed_on"),
        Index("ix_barrier_observed_on", "observed_on"),  # statistics across organisations
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("barrier_category.id", ondelete="RESTRICT"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"), index=True
    )
    observed_on: Mapped[dt.date]
    description: Mapped[text10k | None] = mapped_column(
        comment="free text; must describe the barrier, not the person"
    )
    status: Mapped[str] = mapped_column(String(20), default=BarrierStatus.OPEN)
    resolved_on: Mapped[dt.date | None]
    # The system level: the structural issue this barrier is evidence of (models.structural).
    structural_issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("structural_issue.id", ondelete="RESTRICT"), index=True
    )

    case: Mapped[Case] = relationship()
    category: Mapped[BarrierCategory] = relationship()
    partner: Mapped[Partner | None] = relationship()
    structural_issue: Mapped[StructuralIssue | None] = relationship()

    def __str__(self) -> str:
        return f"{self.category} ({self.observed_on:%d.%m.%Y})"

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        for field in ("observed_on", "resolved_on"):
            check_not_future(errors, values, field, today)
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "resolved_on",
            "observed_on",
            _("Die Lösung kann nicht vor der Beobachtung liegen."),
        )
        if values.get("resolved_on") is not None and values.get("status") == BarrierStatus.OPEN:
            errors["status"] = _("Eine gelöste Barriere ist nicht mehr „offen“.")
        return errors
