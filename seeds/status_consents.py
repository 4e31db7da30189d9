"""Demo status periods and consents for the seeded caseload (issue 16).

The caseload is bulk-inserted, past the flush listeners that keep a client's values and
its open periods in step, so this writes what they would have: an open residence and
benefits period per client (from the intake), a consent to the processing per client, a
consent to share per referral that was confirmed, linked to it, and a form template per
organisation. For the statistics, some clients moved from AsylbLG to another benefits
domain after their intake (with some days between); residence titles expire over the
next year. Deterministic from its own random generator, so the caseload stays the same.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from models import Consent, ConsentTemplate, Organisation, Referral, StatusPeriod
from models.choices import ConsentForm, ConsentKind, ConsentPurpose, StatusSource
from models.consent import PROCESSING_CATEGORIES, consent_recipient, join_codes
from seeds.bulk import insert_rows

PERIOD = cast(Table, StatusPeriod.__table__)
CONSENT = cast(Table, Consent.__table__)
TEMPLATE = cast(Table, ConsentTemplate.__table__)
# Statuses whose residence title has an expiry date on the document.
TITLES_THAT_EXPIRE = frozenset(
    {"permission_to_remain", "toleration", "humanitarian", "work_study", "family"}
)
MOVED_FROM_ASYLBLG = 0.35
TEMPLATE_BODY = (
    "Ich willige ein, dass {name} die unten genannten Daten zu den genannten Zwecken "
    "verarbeitet und an die genannten Stellen weitergibt. Die Einwilligung ist freiwillig; "
    "ich kann sie jederzeit mit Wirkung für die Zukunft widerrufen."
)


def _next_id(session: Session, table: Table) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def _bookkeeping(row: Any) -> dict[str, Any]:
    return {
        "organisation_id": row.organisation_id,
        "created_at": row.created_at,
        "updated_at": row.created_at,
        "created_by_id": row.created_by_id,
        "updated_by_id": row.created_by_id,
        "version": 1,
    }


class SeededClient(NamedTuple):
    """What the periods and consents take from a client the caseload wrote."""

    id: int
    organisation_id: int
    residence_status: str | None
    benefits_domain: str | None
    consent_given_on: dt.date
    consent_withdrawn_on: dt.date | None
    created_at: dt.datetime
    created_by_id: int | None


class SeededReferral(NamedTuple):
    """What a consent to share takes from a confirmed referral the caseload wrote."""

    id: int
    case_id: int
    partner_id: int
    referred_on: dt.date
    organisation_id: int
    created_at: dt.datetime
    created_by_id: int | None


CLIENT_FIELDS = SeededClient._fields
REFERRAL_FIELDS = SeededReferral._fields


def seed_status_and_consents(  # noqa: PLR0917 - the caseload's rows, handed on
    session: Session,
    today: dt.date,
    seed: int,
    clients: Sequence[SeededClient],
    referrals: Sequence[SeededReferral],
    client_of_case: dict[int, int],
) -> dict[str, int]:
    """Write the periods, consents and templates of every seeded client; flushes only.

    ``clients`` and the confirmed ``referrals`` in the order of their ids, as the caseload
    wrote them (handed on, not read back: at 100,000 clients reading them took seconds).
    """
    rng = random.Random(seed * 16 + 1)
    periods: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    next_period, next_consent = _next_id(session, PERIOD), _next_id(session, CONSENT)
    for row in clients:
        intake = row.consent_given_on
        if row.residence_status is not None:
            expiring = row.residence_status in TITLES_THAT_EXPIRE
            periods.append(
                {
                    "id": next_period,
                    **_bookkeeping(row),
                    "client_id": row.id,
                    "kind": "residence",
                    "value": row.residence_status,
                    "valid_from": intake,
                    "source": StatusSource.DOCUMENT.value,
                    "title_expires_on": today + dt.timedelta(days=rng.randint(-5, 365))
                    if expiring
                    else None,
                }
            )
            next_period += 1
        if row.benefits_domain is not None:
            since = intake
            moved = (
                row.benefits_domain in ("sgb2", "sgb12", "sgb3")
                and (today - intake).days > 120
                and rng.random() < MOVED_FROM_ASYLBLG
            )
            if moved:
                until = intake + dt.timedelta(days=rng.randint(30, (today - intake).days - 60))
                since = until + dt.timedelta(days=1 + rng.choice((0, 0, 0, 3, 10, 21, 45)))
                periods.append(
                    {
                        "id": next_period,
                        **_bookkeeping(row),
                        "client_id": row.id,
                        "kind": "benefits",
                        "value": "asylblg",
                        "valid_from": intake,
                        "valid_until": until,
                        "source": StatusSource.DOCUMENT.value,
                    }
                )
                next_period += 1
            periods.append(
                {
                    "id": next_period,
                    **_bookkeeping(row),
                    "client_id": row.id,
                    "kind": "benefits",
                    "value": row.benefits_domain,
                    "valid_from": since,
                    "source": StatusSource.SELF_REPORT.value,
                }
            )
            next_period += 1
        consents.append(
            {
                "id": next_consent,
                **_bookkeeping(row),
                "client_id": row.id,
                "kind": ConsentKind.PROCESSING.value,
                "purposes": ConsentPurpose.CASE_MANAGEMENT.value,
                "data_categories": join_codes(str(c) for c in PROCESSING_CATEGORIES),
                "form": ConsentForm.WRITTEN.value,
                "language": "de",
                "interpreter": False,
                "signed_on": intake,
                "withdrawn_on": row.consent_withdrawn_on,
            }
        )
        next_consent += 1
    recipients: list[dict[str, int]] = []
    links: list[dict[str, int]] = []
    for referral in referrals:
        signed = referral.referred_on - dt.timedelta(days=rng.randint(0, 5))
        soon = rng.random() < 0.1
        consents.append(
            {
                "id": next_consent,
                **_bookkeeping(referral),
                "client_id": client_of_case[referral.case_id],
                "kind": ConsentKind.DISCLOSURE.value,
                "purposes": ConsentPurpose.SUPPORT.value,
                "data_categories": "contact,identity",
                "form": rng.choice((ConsentForm.WRITTEN.value, ConsentForm.DIGITAL.value)),
                "language": "de",
                "interpreter": rng.random() < 0.2,
                "signed_on": signed,
                "withdrawn_on": None,
                "valid_until": today + dt.timedelta(days=rng.randint(1, 60)) if soon else None,
            }
        )
        recipients.append({"consent_id": next_consent, "partner_id": referral.partner_id})
        links.append({"referral_id": referral.id, "consent_id": next_consent})
        next_consent += 1
    _write(session, periods, consents, recipients, links)
    return {"status_periods": len(periods), "consents": len(consents)}


def _write(
    session: Session,
    periods: list[dict[str, Any]],
    consents: list[dict[str, Any]],
    recipients: list[dict[str, int]],
    links: list[dict[str, int]],
) -> None:
    """Bulk-insert the rows (every row with every column), link referrals, add templates."""
    for period in periods:
        period.setdefault("valid_until", None)
        period.setdefault("title_expires_on", None)
        period.setdefault("partner_id", None)
    for consent in consents:
        for name in ("valid_until", "note", "scan_reference", "taken_over_from"):
            consent.setdefault(name, None)
    insert_rows(session, PERIOD, periods)
    insert_rows(session, CONSENT, consents)
    insert_rows(session, consent_recipient, recipients)
    if links:
        # One executemany, not one statement per referral.
        referral = cast(Table, Referral.__table__)
        session.execute(
            update(referral)
            .where(referral.c.id == bindparam("referral_id"))
            .values(consent_id=bindparam("consent_id")),
            links,
        )
    templates = [
        {
            "organisation_id": organisation_id,
            "language": "de",
            "title": "Einwilligungserklärung",
            "body": TEMPLATE_BODY.format(name=name),
            "version": 1,
            "created_by_id": None,
            "updated_by_id": None,
        }
        for organisation_id, name in session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.id)
        )
    ]
    insert_rows(session, TEMPLATE, templates)
    _bump_sequences(session)


def _bump_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (PERIOD, CONSENT):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) "  # noqa: S608
                f"FROM {table.name} HAVING max(id) IS NOT NULL"
            )
        )
