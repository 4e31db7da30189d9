"""Migration afbb681c59fe moves today's status columns and consent flags without loss.

A database of its own (a SQLite file, or a sibling PostgreSQL database of the test one)
gets the demo data at today's schema (7db658c4740f), is upgraded, and is compared: every
client's current residence status and benefits domain equal its open period, and every
old consent date and referral flag is a consent record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.factory import create_app
from models import Client, Consent, Referral, StatusPeriod
from models.choices import ConsentKind
from models.status_history import inconsistent_clients
from seeds.demo import seed_demo
from tests.databases import database_of_its_own

BEFORE = "7db658c4740f"
SEED_TODAY = dt.date(2025, 6, 13)
CLIENTS_PER_ORG = 4

pytestmark = pytest.mark.commits


@pytest.fixture
def demo_at_todays_schema(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on a database of its own, holding the demo data at 7db658c4740f.

    The seed writes with today's models; the demo data is written at the head, then the
    database is taken down to 7db658c4740f, which drops everything this migration adds
    and leaves exactly the columns the old schema had.
    """
    directory = str(Path(app.root_path).parent / "migrations")
    for url in database_of_its_own(tmp_path, "migration"):
        other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
        with other.app_context():
            upgrade(directory=directory)
            session = db.session()
            seed_demo(session, clients_per_org=CLIENTS_PER_ORG, today=SEED_TODAY)
            session.commit()
            downgrade(directory=directory, revision=BEFORE)
            yield other
            db.session.remove()
            db.engine.dispose()


def _old_rows(other: Flask) -> dict[str, list[Any]]:
    with other.app_context(), db.engine.connect() as connection:
        return {
            "clients": connection.execute(
                text(
                    "SELECT id, residence_status, benefits_domain, consent_given_on, "
                    "consent_withdrawn_on FROM client ORDER BY id"
                )
            ).all(),
            "referrals": connection.execute(
                text("SELECT id, partner_id FROM referral WHERE consent_confirmed ORDER BY id")
            ).all(),
        }


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def test_upgrade_turns_status_columns_and_consent_flags_into_records(
    demo_at_todays_schema: Flask,
) -> None:
    other = demo_at_todays_schema
    old = _old_rows(other)
    assert len(old["clients"]) >= 8 * CLIENTS_PER_ORG
    assert old["referrals"], "the demo data has referrals with consent"
    directory = str(Path(other.root_path).parent / "migrations")

    with other.app_context():
        upgrade(directory=directory)
        session: Session = db.session()

        # Every client's current values are its open periods, and nothing else is open.
        assert inconsistent_clients(session) == []
        periods = session.scalars(select(StatusPeriod)).all()
        assert len(periods) == sum(
            (row.residence_status is not None) + (row.benefits_domain is not None)
            for row in old["clients"]
        )
        assert all(period.valid_until is None for period in periods)
        for row in old["clients"]:
            client = session.get_one(Client, row.id)
            assert client.residence_status == row.residence_status
            assert client.benefits_domain == row.benefits_domain

        # Every client's consent dates are a consent to the processing, with the same days.
        processing = {
            consent.client_id: consent
            for consent in session.scalars(
                select(Consent).where(Consent.kind == ConsentKind.PROCESSING)
            )
        }
        assert len(processing) == len(old["clients"])
        for row in old["clients"]:
            consent = processing[row.id]
            assert consent.signed_on == _day(row.consent_given_on)
            assert consent.withdrawn_on == _day(row.consent_withdrawn_on)
            assert consent.taken_over_from == "client.consent_given_on"

        # Every referral's consent flag is a consent to that referral's recipient.
        for referral_id, partner_id in old["referrals"]:
            referral = session.get_one(Referral, referral_id)
            assert referral.consent is not None
            assert referral.consent.kind == ConsentKind.DISCLOSURE
            assert [partner.id for partner in referral.consent.recipients] == [partner_id]
            assert referral.consent.client_id == referral.case.client_id
            assert referral.consent.signed_on == referral.referred_on
            assert referral.purpose in referral.consent.purpose_codes
        disclosures = session.scalars(
            select(Consent).where(Consent.kind == ConsentKind.DISCLOSURE)
        ).all()
        assert len(disclosures) == len(old["referrals"])
        # A withdrawn client's open referrals are flagged, the finished ones are not.
        for referral in session.scalars(select(Referral).where(Referral.consent_id.is_not(None))):
            withdrawn = referral.case.client.consent_withdrawn_on
            finished = referral.status in ("declined", "completed", "cancelled")
            expected = withdrawn if withdrawn is not None and not finished else None
            assert referral.consent_withdrawn_on == expected
        # The migration gave the consents their ids; the next one the app writes follows.
        first = session.scalars(select(Client).order_by(Client.id)).first()
        assert first is not None
        later = Consent(
            organisation_id=first.organisation_id,
            client_id=first.id,
            kind=ConsentKind.STATISTICS.value,
            purposes="statistics",
            data_categories="identity",
            form="written",
            signed_on=SEED_TODAY,
        )
        session.add(later)
        session.flush()
        assert later.id == len(processing) + len(disclosures) + 1
        session.rollback()
        db.session.remove()


def test_downgrade_after_the_upgrade_keeps_the_old_columns(demo_at_todays_schema: Flask) -> None:
    other = demo_at_todays_schema
    old = _old_rows(other)
    directory = str(Path(other.root_path).parent / "migrations")
    with other.app_context():
        upgrade(directory=directory)
        downgrade(directory=directory, revision=BEFORE)
    assert _old_rows(other) == old
