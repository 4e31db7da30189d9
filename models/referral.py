"""Vermittlungen (referrals) to partners, and the one state machine for their status."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, and_
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from models.base import Base, intpk, str2000, text10k
from models.case import Case
from models.catalogue import Partner, Topic
from models.choices import ConsentPurpose, ReferralStatus, StatutoryBasis
from models.consent import Consent, covering_consent, sending_error
from models.owned import OrgOwned
from models.rules import (
    FieldErrors,
    FormValues,
    check_not_before,
    check_not_future,
    check_plausible,
)

FOLLOW_UP_AFTER = dt.timedelta(days=14)

S = ReferralStatus
ALLOWED_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.PLANNED: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.ACCEPTED, S.DECLINED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.COMPLETED, S.CANCELLED}),
    S.DECLINED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINISHED = frozenset(status for status, nexts in ALLOWED_TRANSITIONS.items() if not nexts)
ANSWERS = frozenset({S.ACCEPTED, S.DECLINED})
# Statuses that can only be reached through "sent", and so need the client's consent.
NEEDS_CONSENT = frozenset({S.SENT, S.ACCEPTED, S.DECLINED, S.COMPLETED})


def can_transition(current: str, target: str) -> bool:
    """Whether the status may move from ``current`` to ``target`` (staying put is allowed)."""
    if current == target:
        return True
    if current not in S._value2member_map_ or target not in S._value2member_map_:
        return False
    return S(target) in ALLOWED_TRANSITIONS[S(current)]


def next_statuses(current: str) -> list[ReferralStatus]:
    return sorted(ALLOWED_TRANSITIONS.get(S(current), frozenset()), key=list(S).index)


def overdue_condition(today: dt.date) -> ColumnElement[bool]:
    """Overdue, as SQL: not finished and the follow-up date has passed."""
    return and_(Referral.status.not_in(FINISHED), Referral.follow_up_on < today)


def default_follow_up(referred_on: dt.date) -> dt.date:
    return referred_on + FOLLOW_UP_AFTER


class Referral(OrgOwned, Base):
    __tablename__ = "referral"
    __table_args__ = (
        ReferralStatus.check("status"),
        ConsentPurpose.check("purpose"),
        StatutoryBasis.check("statutory_basis"),
        CheckConstraint("follow_up_on >= referred_on", name="follow_up_after_referral"),
        CheckConstraint(
            "responded_on IS NULL OR responded_on >= referred_on", name="response_after_referral"
        ),
        Index("ix_referral_organisation_status", "organisation_id", "status", "follow_up_on"),
        Index("ix_referral_referred_on", "referred_on"),  # statistics across organisations
        Index("ix_referral_organisation_referred", "organisation_id", "referred_on"),  # statistics
        # The list's default order (follow-up date), its ids read from the index alone.
        Index("ix_referral_organisation_follow_up", "organisation_id", "follow_up_on", "case_id"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="RESTRICT"))
    reason: Mapped[text10k | None] = mapped_column(comment="shared with a linked partner")
    referred_on: Mapped[dt.date]
    follow_up_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.PLANNED)
    responded_on: Mapped[dt.date | None]
    outcome: Mapped[text10k | None]
    decline_reason: Mapped[str2000 | None]
    consent_confirmed: Mapped[bool] = mapped_column(
        default=False, comment="client consented to sharing data with this partner"
    )
    receiving_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="SET NULL"),
        comment="the case the receiving KIM organisation opened on acceptance",
    )

    # Issue 16: the purpose travels with the data (§ 78 SGB X); the consent it was sent on,
    # or the statutory basis chosen instead; the day that consent was withdrawn (a flag).
    purpose: Mapped[str] = mapped_column(String(30), default=ConsentPurpose.SUPPORT)
    consent_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent.id", ondelete="SET NULL"), index=True
    )
    statutory_basis: Mapped[str | None] = mapped_column(String(20))
    consent_withdrawn_on: Mapped[dt.date | None] = mapped_column(
        comment="set when the consent this referral was sent on is withdrawn"
    )

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    consent: Mapped[Consent | None] = relationship()
    partner: Mapped[Partner] = relationship()
    topic: Mapped[Topic | None] = relationship()

    def __str__(self) -> str:
        return f"{self.partner} ({self.referred_on:%d.%m.%Y})"

    @staticmethod
    def field_errors(
        values: FormValues,
        today: dt.date,
        previous_status: str | None = None,
        answered_by_receiver: bool = False,
        previous_partner_id: int | None = None,
    ) -> FieldErrors:
        """The referral's rules for ``values``, checked on every change of status or partner.

        ``previous_status`` and ``previous_partner_id`` are the stored values of an edit.
        """
        errors: FieldErrors = {}
        for field in ("referred_on", "responded_on"):
            check_not_future(errors, values, field, today)
        for field in ("referred_on", "follow_up_on", "responded_on"):
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "follow_up_on",
            "referred_on",
            _("Die Wiedervorlage kann nicht vor der Vermittlung liegen."),
        )
        check_not_before(
            errors,
            values,
            "responded_on",
            "referred_on",
            _("Die Antwort kann nicht vor der Vermittlung liegen."),
        )
        status = values.get("status") or S.PLANNED
        if status not in S._value2member_map_:
            errors["status"] = _("Unbekannter Status.")
            return errors
        start = previous_status or S.PLANNED
        if not can_transition(start, status):
            errors["status"] = _(
                "Der Status kann nicht von „%(current)s“ auf „%(target)s“ wechseln.",
                current=S.label_of(start),
                target=S.label_of(status),
            )
        partner = values.get("partner")
        partner_organisation_id = getattr(partner, "organisation_id", None)
        partner_changed = (
            previous_partner_id is not None and getattr(partner, "id", None) != previous_partner_id
        )
        if partner_changed and start != S.PLANNED:
            # A sent referral's recipient is who was asked; another one is a new referral.
            errors["partner"] = _(
                "Der Empfänger einer bereits versendeten Vermittlung kann nicht geändert "
                "werden; bitte legen Sie eine neue Vermittlung an."
            )
        own_organisation_id = getattr(values.get("case"), "organisation_id", None)
        if partner_organisation_id is not None and partner_organisation_id == own_organisation_id:
            errors["partner"] = _(
                "Eine Vermittlung an die eigene Organisation ist nicht möglich; bitte "
                "einen anderen Empfänger wählen."
            )
        answering = status in ANSWERS and (status != previous_status or partner_changed)
        if answering and partner_organisation_id and not answered_by_receiver:
            # A KIM organisation answers in its own tracking screen; accepting there opens
            # its client and case, which a status set by the sender would skip.
            errors["status"] = _(
                "Die Antwort auf eine Vermittlung an einen KIM-Träger gibt die empfangende "
                "Organisation in ihrer Vermittlungsübersicht."
            )
        client = getattr(values.get("case"), "client", None)
        withdrawn_on = getattr(client, "consent_withdrawn_on", None)
        if status == S.SENT and status != previous_status and withdrawn_on is not None:
            errors["status"] = _(
                "Die Einwilligung der Person wurde am %(date)s widerrufen; es kann keine "
                "Vermittlung mehr versendet werden.",
                date=withdrawn_on.strftime("%d.%m.%Y"),
            )
        basis = values.get("statutory_basis") or None
        if status == S.SENT and status != previous_status and "status" not in errors and not basis:
            refusal = sending_error(
                object_session(client) if client is not None else None,
                client,
                partner=partner,
                purpose=values.get("purpose") or ConsentPurpose.SUPPORT,
                day=today,
                consent=values.get("consent"),
            )
            if refusal:
                errors["status"] = refusal
        if status in NEEDS_CONSENT and not basis and not values.get("consent_confirmed"):
            errors["consent_confirmed"] = _(
                "Vor der Vermittlung muss die Einwilligung zur Datenweitergabe vorliegen."
            )
        return errors


def attach_consent(referral: Referral, today: dt.date) -> None:
    """A referral being sent records the consent it is sent on (unless a statutory basis)."""
    if referral.status != S.SENT or referral.statutory_basis or referral.consent is not None:
        return
    session = object_session(referral) or object_session(referral.case)
    client = referral.case.client if referral.case is not None else None
    if session is None or client is None or client.id is None:
        return
    referral.consent = covering_consent(
        session,
        client.id,
        referral.partner_id or getattr(referral.partner, "id", None),
        referral.purpose or ConsentPurpose.SUPPORT,
        today,
    )
