"""Einwilligungen: a client's consents as records, and the rules that read them.

A consent is specific (§ 67b SGB X, Art. 7 DSGVO): its kind, the recipients (partners,
among them the KIM organisations), the purposes and the data categories it covers; a
blanket consent ("an alle, für alles") cannot be recorded. It is proven by its form
(written, oral with a note, digital), the day it was signed and an optional scan, and
revocable: a withdrawn consent covers nothing from the day of withdrawal on, the open
referrals it covered are flagged, and no referral is sent on it any more.

The client's ``consent_given_on`` / ``consent_withdrawn_on`` mirror the consent to the
processing in the case management (kind ``processing``): ``models.consent_withdrawal``
keeps them in step, so the client form and the consent screen tell the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, intpk, str200, text10k
from models.catalogue import Partner
from models.choices import ConsentForm, ConsentKind, ConsentPurpose, DataCategory
from models.client import Client
from models.owned import OrgOwned
from models.rules import (
    FieldErrors,
    FormValues,
    check_not_before,
    check_not_future,
    check_plausible,
)

DEFAULT_EXPIRY_WARNING_DAYS = 30
# What a consent to the case management covers when it is taken over from the client's
# old date columns: everything the case management stores, except health data.
PROCESSING_CATEGORIES = tuple(category for category in DataCategory if not category.is_special)
# What an incoming referral showed of the person before consents named their categories.
LEGACY_REFERRAL_CATEGORIES = (DataCategory.IDENTITY, DataCategory.CONTACT)

consent_recipient = Table(
    "consent_recipient",
    Base.metadata,
    Column("consent_id", ForeignKey("consent.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("partner.id", ondelete="RESTRICT"), primary_key=True),
)


def _codes(raw: str | None) -> list[str]:
    return [code for code in (raw or "").split(",") if code]


def join_codes(codes: Iterable[str]) -> str:
    return ",".join(sorted(set(codes)))


class Consent(OrgOwned, Base):
    __tablename__ = "consent"
    __table_args__ = (
        ConsentKind.check("kind"),
        ConsentForm.check("form"),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= signed_on", name="valid_after_signed"
        ),
        CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= signed_on", name="withdrawn_after_signed"
        ),
        Index("ix_consent_client_kind", "client_id", "kind"),
        Index("ix_consent_organisation_valid_until", "organisation_id", "valid_until"),
    )

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    purposes: Mapped[str] = mapped_column(String(300), comment="codes, comma-separated")
    data_categories: Mapped[str] = mapped_column(String(300), comment="codes, comma-separated")
    form: Mapped[str] = mapped_column(String(20), default=ConsentForm.WRITTEN)
    language: Mapped[str | None] = mapped_column(String(40), comment="language of the form")
    interpreter: Mapped[bool] = mapped_column(default=False, comment="an interpreter was present")
    signed_on: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]
    withdrawn_on: Mapped[dt.date | None]
    note: Mapped[text10k | None] = mapped_column(
        comment="the note of an oral consent; free text, erased by retention"
    )
    scan_reference: Mapped[str200 | None] = mapped_column(
        comment="where the signed paper is filed (optional)"
    )
    taken_over_from: Mapped[str | None] = mapped_column(
        String(40), comment="set by the data migration: which old field this consent was"
    )

    client: Mapped[Client] = relationship()
    recipients: Mapped[list[Partner]] = relationship(
        secondary=consent_recipient, order_by=Partner.name
    )

    def __str__(self) -> str:
        who = f"{self.client.file_number}: " if self.client is not None else ""
        return f"{who}{ConsentKind.label_of(self.kind)} ({self.signed_on:%d.%m.%Y})"

    @property
    def purpose_codes(self) -> list[str]:
        return _codes(self.purposes)

    @property
    def category_codes(self) -> list[str]:
        return _codes(self.data_categories)

    @property
    def covers_special_category(self) -> bool:
        return DataCategory.HEALTH.value in self.category_codes

    def valid_on(self, day: dt.date) -> bool:
        if self.signed_on > day:
            return False
        if self.withdrawn_on is not None and self.withdrawn_on <= day:
            return False
        return self.valid_until is None or self.valid_until >= day

    def covers(self, partner_id: int | None, purpose: str, day: dt.date) -> bool:
        """Whether this consent allows sending data to ``partner_id`` for ``purpose``."""
        return (
            ConsentKind(self.kind).has_recipients
            and self.valid_on(day)
            and purpose in self.purpose_codes
            and any(partner.id == partner_id for partner in self.recipients)
        )

    def state_label(self, today: dt.date) -> str:
        if self.withdrawn_on is not None and self.withdrawn_on <= today:
            return _("widerrufen am %(day)s", day=f"{self.withdrawn_on:%d.%m.%Y}")
        if self.valid_until is not None and self.valid_until < today:
            return _("abgelaufen am %(day)s", day=f"{self.valid_until:%d.%m.%Y}")
        if self.signed_on > today:
            return _("gilt ab %(day)s", day=f"{self.signed_on:%d.%m.%Y}")
        return _("gültig")

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        for field in ("signed_on", "withdrawn_on"):
            check_not_future(errors, values, field, today)
        for field in ("signed_on", "valid_until", "withdrawn_on"):
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "valid_until",
            "signed_on",
            _("Die Gültigkeit kann nicht vor der Unterschrift enden."),
        )
        check_not_before(
            errors,
            values,
            "withdrawn_on",
            "signed_on",
            _("Der Widerruf kann nicht vor der Einwilligung liegen."),
        )
        kind = values.get("kind")
        purposes = list(values.get("purpose_list") or [])
        categories = list(values.get("category_list") or [])
        recipients = list(values.get("recipients") or [])
        if not purposes:
            errors["purpose_list"] = _(
                "Bitte mindestens einen Zweck angeben; eine pauschale Einwilligung ist nicht "
                "zulässig."
            )
        if not categories:
            errors["category_list"] = _("Bitte die Datenarten angeben, die weitergegeben werden.")
        if kind in ConsentKind._value2member_map_ and ConsentKind(str(kind)).has_recipients:
            if not recipients:
                errors["recipients"] = _(
                    "Eine Weitergabe oder Schweigepflichtentbindung nennt die Empfänger."
                )
        elif recipients:
            errors["recipients"] = _(
                "Nur eine Weitergabe oder Schweigepflichtentbindung hat Empfänger."
            )
        if values.get("form") == ConsentForm.ORAL and not (values.get("note") or "").strip():
            errors["note"] = _("Eine mündliche Einwilligung braucht einen Vermerk.")
        return errors


class ConsentTemplate(OrgOwned, Base):
    """The text of the printed consent form, per organisation and language."""

    __tablename__ = "consent_template"
    __table_args__ = (UniqueConstraint("organisation_id", "language"),)

    id: Mapped[intpk]
    language: Mapped[str] = mapped_column(String(40))
    title: Mapped[str200]
    body: Mapped[text10k] = mapped_column(comment="the text above the signature lines")

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


# --- rules -------------------------------------------------------------------------


def consents_of(session: Session, client_id: int) -> list[Consent]:
    with session.no_autoflush:
        return list(
            session.scalars(
                select(Consent)
                .where(Consent.client_id == client_id)
                .order_by(Consent.signed_on.desc(), Consent.id.desc())
            )
        )


def covering_consent(
    session: Session, client_id: int, partner_id: int | None, purpose: str, day: dt.date
) -> Consent | None:
    """The consent of this client that allows sending to ``partner_id`` for ``purpose``."""
    for consent in consents_of(session, client_id):
        if consent.covers(partner_id, purpose, day):
            return consent
    return None


def sending_error(
    session: Session | None,
    client: Client | None,
    *,
    partner: Partner | None,
    purpose: str,
    day: dt.date,
    consent: Consent | None = None,
) -> str | None:
    """Why a referral to ``partner`` for ``purpose`` may not be sent without a legal basis."""
    partner_id = getattr(partner, "id", None)
    if consent is not None:
        return _chosen_consent_error(consent, client, partner_id, purpose, day)
    if client is None:
        return None  # no case chosen: the form's own required field says so
    if (
        session is not None
        and client.id is not None
        and covering_consent(session, client.id, partner_id, purpose, day)
    ):
        return None
    return _(
        "Für die Weitergabe an „%(partner)s“ zum Zweck „%(purpose)s“ liegt keine gültige "
        "Einwilligung vor. Bitte eine Einwilligung erfassen oder eine gesetzliche Grundlage "
        "wählen.",
        partner=getattr(partner, "name", ""),
        purpose=ConsentPurpose.label_of(purpose),
    )


def _chosen_consent_error(
    consent: Consent, client: Client | None, partner_id: int | None, purpose: str, day: dt.date
) -> str | None:
    if consent.client_id != getattr(client, "id", None):
        return _("Die gewählte Einwilligung gehört zu einer anderen Person.")
    if consent.covers(partner_id, purpose, day):
        return None
    return _(
        "Die gewählte Einwilligung deckt diesen Empfänger und Zweck nicht ab (oder ist "
        "nicht mehr gültig)."
    )


def shared_categories(consent: Consent | None) -> frozenset[str]:
    """The data categories an incoming referral may show: those its consent covers.

    A referral sent on a statutory basis shows name and contact only; what else the
    receiver needs, it asks for.
    """
    if consent is None:
        return frozenset(str(category) for category in LEGACY_REFERRAL_CATEGORIES)
    return frozenset(consent.category_codes)


def mirror_processing(session: Session, client: Client, also: Consent | None = None) -> None:
    """The client's consent dates follow its consents to the processing.

    ``also`` is a consent not yet in the database (a new one from the consent screen).
    """
    stored = consents_of(session, client.id) if client.id is not None else []
    processing = [c for c in stored if c.kind == ConsentKind.PROCESSING]
    if also is not None and also.kind == ConsentKind.PROCESSING and also not in processing:
        processing.append(also)
    if not processing:
        return
    latest = max(processing, key=lambda c: (c.signed_on, c.id or 0))
    client.__dict__["_kim_consent_mirrored"] = True
    client.consent_given_on = latest.signed_on
    client.consent_withdrawn_on = latest.withdrawn_on


# --- reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringConsent:
    consent_id: int
    client_id: int
    client_name: str
    kind: str
    valid_until: dt.date
    days_left: int


def expiring_consent_criteria(today: dt.date, within_days: int) -> list[Any]:
    """What makes a consent one of ``expiring_consents``."""
    return [
        Consent.withdrawn_on.is_(None),
        Consent.valid_until.is_not(None),
        Consent.valid_until >= today,
        Consent.valid_until <= today + dt.timedelta(days=within_days),
    ]


def expiring_consents(
    session: Session,
    criteria: list[Any],
    today: dt.date,
    within_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
    limit: int | None = None,
) -> list[ExpiringConsent]:
    """Consents not withdrawn whose validity ends within ``within_days`` from today, the
    soonest first (the first ``limit``)."""
    statement = (
        select(Consent, Client)
        .join(Client, Consent.client_id == Client.id)
        .where(*expiring_consent_criteria(today, within_days), *criteria)
        .order_by(Consent.valid_until, Consent.id)
        .limit(limit)
    )
    rows = []
    for consent, client in session.execute(statement):
        assert consent.valid_until is not None  # noqa: S101 - filtered above
        rows.append(
            ExpiringConsent(
                consent.id,
                client.id,
                f"{client.last_name}, {client.first_name}",
                str(ConsentKind.label_of(consent.kind)),
                consent.valid_until,
                (consent.valid_until - today).days,
            )
        )
    return rows


def consent_summary(consents: list[Consent], today: dt.date) -> str:
    """At a glance: ``2 gültig, 1 widerrufen`` (for the client list and the case page)."""
    valid = sum(1 for consent in consents if consent.valid_on(today))
    withdrawn = sum(
        1
        for consent in consents
        if consent.withdrawn_on is not None and consent.withdrawn_on <= today
    )
    expired = len(consents) - valid - withdrawn
    parts = []
    if valid:
        parts.append(_("%(n)d gültig", n=valid))
    if withdrawn:
        parts.append(_("%(n)d widerrufen", n=withdrawn))
    if expired > 0:
        parts.append(_("%(n)d abgelaufen/nicht gültig", n=expired))
    return ", ".join(parts) if parts else _("keine Einwilligung erfasst")
