"""The demo seed (SPEC §8): valid by the models' own rules, numbered by the models, refusing."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from models import Barrier, Case, Client, Contact, Organisation, Referral, User
from models.base import Base
from models.choices import Role
from seeds.catalogue import ORGANISATIONS
from seeds.demo import DEFAULT_PASSWORD, SeedRefused, seed_demo
from tests.factories import make_organisation, make_user

# A day in the past, so that a seed reading the real clock would show in the dates.
SEED_TODAY = dt.date(2025, 6, 13)
CLIENTS_PER_ORG = 3
SLUGS = [organisation.slug for organisation in ORGANISATIONS]


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """The rule messages go through flask_babel, which needs an application context."""
    with app.app_context():
        yield


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_demo(session, clients_per_org=CLIENTS_PER_ORG, today=SEED_TODAY)
    return session


def _values(record: Base) -> dict[str, Any]:
    """The record's columns, as an edit form would hand them to ``field_errors``."""
    return {column.key: getattr(record, column.key) for column in record.__mapper__.column_attrs}


def test_seed_writes_a_caseload_for_each_of_the_eight_organisations(seeded: Session) -> None:
    clients_by_slug: dict[str, int] = defaultdict(int)
    for client in seeded.scalars(select(Client)):
        clients_by_slug[client.organisation.slug] += 1
    assert len(SLUGS) == 8
    assert clients_by_slug == dict.fromkeys(SLUGS, CLIENTS_PER_ORG)
    for model in (Case, Contact, Barrier, Referral):
        assert seeded.scalars(select(model)).first() is not None, model


@pytest.mark.parametrize("model", [Client, Case, Contact, Barrier])
def test_every_seeded_record_passes_its_model_rules(seeded: Session, model: Any) -> None:
    records = seeded.scalars(select(model)).all()
    assert records
    problems = {
        str(record): errors
        for record in records
        if (errors := model.field_errors(_values(record), SEED_TODAY))
    }
    assert problems == {}


OF_A_CASE = sorted(
    (
        mapper.class_
        for mapper in Base.registry.mappers
        if {"case_id", "organisation_id"} <= set(mapper.columns.keys())
    ),
    key=lambda model: model.__name__,
)


@pytest.mark.parametrize("model", OF_A_CASE, ids=lambda model: model.__name__)
def test_every_seeded_record_of_a_case_belongs_to_the_case_s_organisation(
    seeded: Session, model: Any
) -> None:
    """The statistics count barriers and referrals by their own organisation (no join to
    the case): the rule they rely on, which the database does not check."""
    elsewhere = seeded.scalars(
        select(model.id)
        .join(Case, model.case_id == Case.id)
        .where(model.organisation_id != Case.organisation_id)
    ).all()
    assert seeded.scalars(select(model.id)).first() is not None
    assert elsewhere == []


def test_every_seeded_referral_passes_the_referral_rules(seeded: Session) -> None:
    referrals = seeded.scalars(select(Referral)).all()
    assert referrals
    problems = {}
    for referral in referrals:
        values = _values(referral) | {"partner": referral.partner, "case": referral.case}
        # Re-saved as it is: the status it holds is the one it had.
        errors = Referral.field_errors(values, SEED_TODAY, previous_status=referral.status)
        if errors:
            problems[referral.id] = errors
    assert problems == {}


def test_seed_dates_end_at_the_given_day_not_the_clock(seeded: Session) -> None:
    latest = max(seeded.scalars(select(Case.opened_on)))
    assert SEED_TODAY - dt.timedelta(days=60) <= latest <= SEED_TODAY
    assert max(seeded.scalars(select(Contact.contact_date))) <= SEED_TODAY


def test_file_and_case_numbers_are_the_models_own_gapless_numbers(seeded: Session) -> None:
    file_numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for client in seeded.scalars(select(Client).order_by(Client.id)):
        slug, year = client.organisation.slug.upper(), client.consent_given_on.year
        match = re.fullmatch(rf"{slug}-{year}-(\d{{4}})", client.file_number)
        assert match, client.file_number
        file_numbers[slug, year].append(int(match.group(1)))
    case_numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for case in seeded.scalars(select(Case).order_by(Case.id)):
        slug, year = case.organisation.slug.upper(), case.opened_on.year
        match = re.fullmatch(rf"{slug}-F-{year}-(\d{{4}})", case.case_number)
        assert match, case.case_number
        case_numbers[slug, year].append(int(match.group(1)))
    for numbers in (*file_numbers.values(), *case_numbers.values()):
        assert numbers == list(range(1, len(numbers) + 1))

    # The app's next client of an organisation continues after the seeded ones.
    amt = seeded.scalars(select(Organisation).where(Organisation.slug == "amt")).one()
    year = max(year for slug, year in file_numbers if slug == "AMT")
    after = Client()
    after.assign_file_number(seeded, amt, dt.date(year, 12, 31))
    assert after.file_number == f"AMT-{year}-{len(file_numbers['AMT', year]) + 1:04d}"


def test_seed_creates_the_spec_accounts_with_the_given_password(seeded: Session) -> None:
    users = {user.email: user for user in seeded.scalars(select(User))}
    expected = {
        **{f"lead.{slug}@example.org": (Role.ORG_LEAD, slug) for slug in SLUGS},
        **{f"cm.{slug}@example.org": (Role.CASE_MANAGER, slug) for slug in SLUGS},
        "koordination@example.org": (Role.COORDINATOR, None),
        "admin@example.org": (Role.ADMIN, None),
    }
    assert set(users) == set(expected)
    for email, (role, slug) in expected.items():
        user = users[email]
        assert user.role == role.value, email
        assert (user.organisation.slug if user.organisation else None) == slug, email
    # One hash for all (each costs 600,000 rounds); it checks out against the demo password.
    hashes = {user.password_hash for user in users.values()}
    assert len(hashes) == 1
    assert check_password_hash(hashes.pop(), DEFAULT_PASSWORD)


def test_seed_refuses_a_database_with_users_and_writes_nothing(session: Session) -> None:
    awo = make_organisation(session, "awo")
    make_user(session, Role.CASE_MANAGER, awo)
    with pytest.raises(SeedRefused):
        seed_demo(session, clients_per_org=1, today=SEED_TODAY)
    assert session.scalars(select(Organisation.slug)).all() == ["awo"]
    assert session.scalars(select(Client)).first() is None


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    return [
        (client.file_number, client.first_name, client.last_name, client.date_of_birth)
        for client in session.scalars(select(Client).order_by(Client.file_number))
    ] + [
        (case.case_number, case.opened_on, case.closed_on, case.phase, case.goals)
        for case in session.scalars(select(Case).order_by(Case.case_number))
    ]


def test_the_same_seed_and_day_give_the_same_data(session: Session) -> None:
    seed_demo(session, clients_per_org=2, today=SEED_TODAY)
    first = _snapshot(session)
    session.rollback()
    seed_demo(session, clients_per_org=2, today=SEED_TODAY)
    assert _snapshot(session) == first
