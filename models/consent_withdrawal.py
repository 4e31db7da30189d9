"""Withdrawal and the client's own consent dates: what a change of consent sets off.

Withdrawing a consent flags the open referrals sent on it (all of the client's for the
consent to the processing), so that they are not answered on it any more; the client
form's consent dates and the client's consents to the processing are kept in step by a
flush listener, the one place that writes either from the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from models.case import Case
from models.choices import ConsentForm, ConsentKind, ConsentPurpose
from models.client import Client
from models.consent import (
    PROCESSING_CATEGORIES,
    Consent,
    consents_of,
    join_codes,
    mirror_processing,
)
from models.referral import FINISHED, Referral


@dataclass(frozen=True)
class WithdrawalResult:
    consent: Consent
    flagged_referral_ids: list[int]


def withdraw(
    session: Session, consent: Consent, withdrawn_on: dt.date, user: Any
) -> WithdrawalResult:
    """Withdraw ``consent``: the open referrals it covered are flagged; flushes only."""
    consent.withdrawn_on = withdrawn_on
    consent.stamp(user)
    flagged = _flag_open_referrals(session, consent, withdrawn_on, user.id)
    if consent.kind == ConsentKind.PROCESSING:
        mirror_processing(session, consent.client)
    session.flush()
    return WithdrawalResult(consent, flagged)


def _flag_open_referrals(
    session: Session, consent: Consent, withdrawn_on: dt.date, author_id: int | None
) -> list[int]:
    """Open referrals sent on ``consent`` (all of the client's, for the processing) flagged."""
    covered = (
        Referral.case_id.in_(select(Case.id).where(Case.client_id == consent.client_id))
        if consent.kind == ConsentKind.PROCESSING
        else Referral.consent_id == consent.id
    )
    with session.no_autoflush:
        referrals = list(
            session.scalars(
                select(Referral).where(
                    covered,
                    Referral.status.not_in(FINISHED),
                    Referral.organisation_id == consent.organisation_id,
                )
            )
        )
    for referral in referrals:
        if referral.consent_withdrawn_on is None:
            referral.consent_withdrawn_on = withdrawn_on
            referral.updated_by_id = author_id
    return [referral.id for referral in referrals]


def sync_processing_consent(session: Session, client: Client, author_id: int | None) -> Consent:
    """The client form changed the consent dates: the processing consent follows.

    A correction of the dates changes the latest consent; consent given again after a
    withdrawal is a new consent, so that the withdrawn one stays on record.
    """
    processing = (
        [c for c in consents_of(session, client.id) if c.kind == ConsentKind.PROCESSING]
        if client.id is not None
        else []
    )
    latest = max(processing, key=lambda c: (c.signed_on, c.id or 0)) if processing else None
    given, withdrawn = client.consent_given_on, client.consent_withdrawn_on
    if latest is not None and (latest.signed_on, latest.withdrawn_on) == (given, withdrawn):
        return latest
    renewed = latest is not None and latest.withdrawn_on is not None and withdrawn is None
    if latest is None or renewed:
        latest = Consent(
            organisation_id=client.organisation_id,
            client=client,
            kind=ConsentKind.PROCESSING.value,
            purposes=ConsentPurpose.CASE_MANAGEMENT.value,
            data_categories=join_codes(str(c) for c in PROCESSING_CATEGORIES),
            form=ConsentForm.UNRECORDED.value,
            signed_on=given,
        )
        session.add(latest)
    newly_withdrawn = withdrawn is not None and latest.withdrawn_on is None
    latest.signed_on = given
    latest.withdrawn_on = withdrawn
    latest.created_by_id = latest.created_by_id or author_id
    latest.updated_by_id = author_id
    if newly_withdrawn and withdrawn is not None and client.id is not None:
        _flag_open_referrals(session, latest, withdrawn, author_id)
    return latest


# First among the flush listeners, so that the audit trail sees the consents it adds.
@event.listens_for(Session, "before_flush", insert=True)
def _keep_processing_consent_in_step(session: Session, flush_context: Any, instances: Any) -> None:
    """The client's consent dates and its consents to the processing tell the same."""
    for client in [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Client)]:
        if client.__dict__.pop("_kim_consent_mirrored", False):
            continue
        state = inspect(client)
        changed = any(
            state.attrs[name].history.has_changes()
            for name in ("consent_given_on", "consent_withdrawn_on")
        )
        if (client in session.new or changed) and client.consent_given_on is not None:
            sync_processing_consent(session, client, client.updated_by_id)
