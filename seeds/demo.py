"""Demo data (SPEC §8): users for every role and a deterministic caseload per organisation.

The tables it draws from are in ``seeds.demo_data``; this module only builds and writes rows.
The caseload is written with bulk inserts of plain rows, not ORM objects, so that tens of
thousands of clients per organisation take minutes, not hours. Ids are computed here; on
PostgreSQL the id sequences are moved past them afterwards. File and case numbers are taken
from the organisation's number sequences in blocks and formatted by the models
(``Client.format_file_number``, ``Case.format_case_number``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app import clock
from models import (
    Barrier,
    BarrierCategory,
    Case,
    Client,
    Contact,
    Organisation,
    Partner,
    Referral,
    Topic,
    User,
    case_topic,
    consent_recipient,
)
from models.choices import (
    BarrierStatus,
    BenefitsDomain,
    CasePhase,
    ContactKind,
    Gender,
    ReferralStatus,
    ResidenceStatus,
    Role,
)
from models.numbering import take_numbers
from models.referral import default_follow_up
from models.user import PASSWORD_HASH_METHOD
from seeds import demo_data as data
from seeds import demo_plans, status_consents
from seeds.bulk import CHUNK_SIZE, create_indexes, drop_secondary_indexes, insert_rows
from seeds.catalogue import seed_catalogue
from seeds.demo_data import FakerNames, NameSource, Origin, Weighted
from seeds.demo_plans import seed_plans
from seeds.names import NamePool, ascii_fold, faker_pool
from seeds.status_consents import (
    CLIENT_FIELDS,
    REFERRAL_FIELDS,
    SeededClient,
    SeededReferral,
    seed_status_and_consents,
)
from seeds.system_level import seed_system_level

Row = dict[str, Any]

DEFAULT_PASSWORD = "kim-demo-2026"  # noqa: S105 - the documented demo password (SPEC §8)


class SeedRefused(RuntimeError):  # noqa: N818 - the name the CLI and the brief use
    """The demo seed only runs on a database without users."""

    def __init__(
        self,
        message: str = (
            "Die Datenbank enthält bereits Benutzer*innen; "
            "der Demo-Seed läuft nur auf einer leeren Datenbank."
        ),
    ) -> None:
        super().__init__(message)


@dataclass
class SeedSummary:
    """How many rows the demo seed wrote, by kind."""

    organisations: int = 0
    users: int = 0
    barrier_categories: int = 0
    topics: int = 0
    partners: int = 0
    clients: int = 0
    cases: int = 0
    case_topics: int = 0
    contacts: int = 0
    barriers: int = 0
    referrals: int = 0
    structural_issues: int = 0
    plans: int = 0
    tasks: int = 0


# --------------------------------------------------------------------------------------------
# Small deterministic helpers


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day from ``start`` to ``end`` inclusive; ``start`` if the range is empty."""
    span = (end - start).days
    return start if span <= 0 else start + dt.timedelta(days=rng.randint(0, span))


OFFICE_HOURS = (7, 16)  # from 07:00:00 to 15:59:59


def _stamp(rng: random.Random, day: dt.date) -> dt.datetime:
    """An aware UTC timestamp on ``day`` within office hours (one draw for the second of
    the day, not three for its hour, minute and second: a million stamps at 100,000 clients)."""
    opens, closes = OFFICE_HOURS
    second = opens * 3600 + int(rng.random() * (closes - opens) * 3600)
    return dt.datetime.combine(
        day, dt.time(second // 3600, second // 60 % 60, second % 60), tzinfo=dt.UTC
    )


def _working_day(day: dt.date) -> dt.date:
    """Move a weekend day back to the Friday before."""
    return day - dt.timedelta(days=day.weekday() - 4) if day.weekday() >= 5 else day


def _name_pools(seed: int) -> dict[str, Weighted[NamePool]]:
    """Each origin's weighted name pools, with the Faker pools drawn from ``seed``."""
    drawn = {
        locale: faker_pool(locale, seed + place) for place, locale in enumerate(data.FAKER_LOCALES)
    }

    def resolve(source: NameSource) -> NamePool:
        if not isinstance(source, FakerNames):
            return source
        pool = drawn[source.locale]
        return pool.transliterated(source.latin_as) if source.latin_as else pool

    return {origin.country: origin.names.map(resolve) for origin in data.ORIGINS}


# --------------------------------------------------------------------------------------------
# Users


def _create_users(
    session: Session, organisations: dict[str, Organisation], password_hash: str
) -> dict[str, tuple[User, User]]:
    """``lead.<slug>`` and ``cm.<slug>`` per organisation, plus coordination and admin."""
    names = iter(data.USER_NAMES)
    teams: dict[str, tuple[User, User]] = {}
    for slug, organisation in organisations.items():
        lead = User(
            email=f"lead.{slug}@example.org",
            full_name=next(names, f"Teamleitung {slug.upper()}"),
            role=Role.ORG_LEAD.value,
            organisation_id=organisation.id,
            password_hash=password_hash,
        )
        case_manager = User(
            email=f"cm.{slug}@example.org",
            full_name=next(names, f"Case Management {slug.upper()}"),
            role=Role.CASE_MANAGER.value,
            organisation_id=organisation.id,
            password_hash=password_hash,
        )
        session.add_all((lead, case_manager))
        teams[slug] = (lead, case_manager)
    session.add_all(
        (
            User(
                email="koordination@example.org",
                full_name=next(names, "KIM-Koordination"),
                role=Role.COORDINATOR.value,
                password_hash=password_hash,
            ),
            User(
                email="admin@example.org",
                full_name=next(names, "Administration"),
                role=Role.ADMIN.value,
                password_hash=password_hash,
            ),
        )
    )
    session.flush()
    return teams


# --------------------------------------------------------------------------------------------
# The caseload


@dataclass
class Catalogue:
    """Ids of the shared catalogue, by name."""

    topics: dict[str, int]
    categories: dict[str, int]
    partners: dict[str, int]
    kim_partner_of: dict[str, int]


@dataclass
class IdCounter:
    """Explicit ids for the bulk inserts, continuing after any existing row."""

    next_ids: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


@dataclass
class OrgContext:
    organisation: Organisation
    lead_id: int
    case_manager_id: int
    other_kim_partners: list[int]

    @property
    def slug(self) -> str:
        return self.organisation.slug

    @property
    def organisation_id(self) -> int:
        return self.organisation.id


class CaseloadBuilder:
    """Builds the rows of one organisation's demo caseload, deterministically from ``rng``."""

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        today: dt.date,
        *,
        name_pools: dict[str, Weighted[NamePool]],
        catalogue: Catalogue,
        ids: IdCounter,
    ) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.name_pools = name_pools
        self.catalogue = catalogue
        self.ids = ids

    # -- numbers: taken and formatted by the models, so each format is written once ----------

    def _numbers(self, org: OrgContext, name: str, days: list[dt.date]) -> list[int]:
        """Running numbers for records dated ``days``, in this order; one block per year."""
        blocks = {
            year: iter(take_numbers(self.session, org.organisation_id, name, year, count))
            for year, count in sorted(Counter(day.year for day in days).items())
        }
        return [next(blocks[day.year]) for day in days]

    # -- clients and cases ---------------------------------------------------------------------

    def clients_and_cases(
        self, org: OrgContext, count: int
    ) -> tuple[list[Row], list[Row], list[Row], dict[int, list[str]]]:
        """Client rows, case rows and case_topic rows; plus each case's topic names by id."""
        rng, today = self.rng, self.today
        boost = data.ORIGIN_BOOST.get(org.slug, {})
        origins = Weighted([(o, o.weight * boost.get(o.country, 1)) for o in data.ORIGINS])
        # File numbers follow the intake date, as they would have been handed out.
        intakes = sorted(
            _working_day(today - dt.timedelta(days=rng.randint(1, data.HISTORY_DAYS)))
            for _ in range(count)
        )
        file_numbers = self._numbers(org, "client", intakes)
        clients: list[Row] = []
        cases: list[Row] = []
        for intake, number in zip(intakes, file_numbers, strict=True):
            file_number = Client.format_file_number(org.slug, intake.year, number)
            client = self._client(org, origins.pick(rng), intake, file_number)
            clients.append(client)
            cases.extend(self._cases_of(org, client, intake))

        # Case ids and numbers follow the opening date.
        cases.sort(key=lambda row: (row["opened_on"], row["client_id"]))
        case_numbers = self._numbers(org, "case", [case["opened_on"] for case in cases])
        case_topics: list[Row] = []
        topics_of: dict[int, list[str]] = {}
        for case, number in zip(cases, case_numbers, strict=True):
            case_id = self.ids.take("case_file")
            case["id"] = case_id
            case["case_number"] = Case.format_case_number(org.slug, case["opened_on"].year, number)
            topic_names = case.pop("_topics")
            topics_of[case_id] = topic_names
            case_topics.extend(
                {"case_id": case_id, "topic_id": self.catalogue.topics[name]}
                for name in topic_names
            )
        return clients, cases, case_topics, topics_of

    def _client(self, org: OrgContext, origin: Origin, intake: dt.date, file_number: str) -> Row:
        rng, today = self.rng, self.today
        gender = data.GENDERS.pick(rng)
        female = gender == Gender.FEMALE or (
            gender != Gender.MALE and rng.random() < 0.5  # diverse, unspecified
        )
        first_name, last_name = self.name_pools[origin.country].pick(rng).pick(rng, female)
        age, date_of_birth, arrival_date = self._life_dates(origin, intake)

        residence = origin.residence.pick(rng)
        nationality = "DE" if residence == ResidenceStatus.GERMAN_CITIZEN else origin.country
        benefits = data.BENEFITS_BY_RESIDENCE[residence].pick(rng)
        if age >= 65 and benefits == BenefitsDomain.SGB_II:
            benefits = BenefitsDomain.SGB_XII  # Grundsicherung im Alter
        recent = arrival_date is not None and (today - arrival_date).days < 4 * 365
        interpreter_share = origin.interpreter_share * (1.0 if recent else 0.5)
        needs_interpreter = age >= 14 and rng.random() < interpreter_share

        district = data.DISTRICTS.pick(rng)
        street, postcode = rng.choice(data.STREETS[district])
        house = f"{rng.randint(1, 180)}{rng.choice(data.HOUSE_NUMBER_SUFFIXES)}"
        phone, email = self._phone_and_email(age, first_name, last_name)

        created = _stamp(rng, intake)
        row: Row = {
            "id": self.ids.take("client"),
            "organisation_id": org.organisation_id,
            "file_number": file_number,
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": date_of_birth,
            "gender": gender.value,
            "country_of_origin": origin.country,
            "nationality": nationality,
            "languages": origin.languages.pick(rng),
            "needs_interpreter": needs_interpreter,
            "arrival_date": arrival_date,
            "residence_status": residence.value,
            "benefits_domain": benefits.value,
            "household_size": data.HOUSEHOLD_SIZES.pick(rng),
            "phone": phone,
            "email": email,
            "street": f"{street} {house}",
            "postcode": postcode,
            "district": district,
            "consent_given_on": intake,
            "consent_withdrawn_on": None,
            "notes": rng.choice(data.CLIENT_NOTES) if rng.random() < 0.25 else None,
            "archived_at": None,
            "created_at": created,
            "updated_at": created,
            "created_by_id": org.case_manager_id,
            "updated_by_id": org.case_manager_id,
            "version": 1,
        }
        row["search_text"] = Client.search_text_from(row)
        return row

    def _life_dates(
        self, origin: Origin, intake: dt.date
    ) -> tuple[int, dt.date | None, dt.date | None]:
        """Age, date of birth and arrival in Germany; either date is sometimes unknown."""
        rng, today = self.rng, self.today
        youngest, oldest = data.AGE_BANDS.pick(rng)
        age = rng.randint(youngest, oldest)
        born = today - dt.timedelta(days=age * 365 + age // 4 + rng.randint(0, 364))
        if born > intake - dt.timedelta(days=30):
            # Nobody becomes a client before being born.
            born = intake - dt.timedelta(days=rng.randint(30, 700))
        earliest_arrival = max(
            born,
            origin.arrival_not_before or dt.date.min,
            today.replace(year=today.year - origin.arrival_years_back, day=1),
        )
        arrival_date: dt.date | None = _day_between(rng, min(earliest_arrival, intake), intake)
        if rng.random() < 0.03:
            arrival_date = None
        date_of_birth: dt.date | None = None if rng.random() < 0.01 else born
        return age, date_of_birth, arrival_date

    def _phone_and_email(
        self, age: int, first_name: str, last_name: str
    ) -> tuple[str | None, str | None]:
        rng = self.rng
        phone = None
        if age >= 14 and rng.random() < 0.88:
            if rng.random() < 0.85:
                phone = f"{rng.choice(data.MOBILE_PREFIXES)} {rng.randint(1_000_000, 99_999_999)}"
            else:
                phone = f"0211 {rng.randint(100_000, 9_999_999)}"
        email = None
        local = f"{ascii_fold(first_name)}.{ascii_fold(last_name)}".lower().strip(".-")
        if age >= 16 and len(local) > 4 and rng.random() < 0.45:
            suffix = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
            email = f"{local}{suffix}@{rng.choice(data.MAIL_DOMAINS)}"
        return phone, email

    def _cases_of(self, org: OrgContext, client: Row, intake: dt.date) -> list[Row]:
        """One case, or two when the client came back after a first closed case."""
        rng, today = self.rng, self.today
        opened = [intake]
        closed: list[dt.date | None] = []
        reasons: list[str | None] = []
        if (today - intake).days > 120 and rng.random() < 0.3:
            first_closed = _day_between(
                rng, intake + dt.timedelta(days=30), today - dt.timedelta(45)
            )
            closed.append(first_closed)
            reasons.append(str(data.FIRST_CASE_CLOSURE_REASONS.pick(rng)))
            opened.append(_working_day(_day_between(rng, first_closed + dt.timedelta(14), today)))
        last_opened = opened[-1]
        age = (today - last_opened).days
        if age > 14 and rng.random() < 0.1 + 0.55 * min(1.0, age / data.HISTORY_DAYS):
            closed.append(_day_between(rng, last_opened + dt.timedelta(days=14), today))
            reasons.append(str(data.CLOSURE_REASONS.pick(rng)))
        else:
            closed.append(None)
            reasons.append(None)

        rows = []
        for opened_on, closed_on, reason in zip(opened, closed, reasons, strict=True):
            topics = self._topics()
            phase = CasePhase.CLOSED if closed_on is not None else self._open_phase(opened_on)
            goals = " ".join(rng.choice(data.GOALS[topic]) for topic in topics[:2])
            created = _stamp(rng, opened_on)
            rows.append(
                {
                    "organisation_id": org.organisation_id,
                    "client_id": client["id"],
                    "case_manager_id": (org.case_manager_id if rng.random() < 0.7 else org.lead_id),
                    "opened_on": opened_on,
                    "closed_on": closed_on,
                    "phase": phase.value,
                    "goals": goals,
                    "closure_reason": reason,
                    "archived_at": None,
                    "created_at": created,
                    "updated_at": _stamp(rng, closed_on) if closed_on else created,
                    "created_by_id": org.case_manager_id,
                    "updated_by_id": org.case_manager_id,
                    "version": 1,
                    "_topics": topics,
                }
            )

        last_closed = closed[-1]
        if last_closed is not None:
            # A closed relationship: sometimes consent was withdrawn, sometimes the file archived.
            if rng.random() < 0.1:
                withdrawn = _day_between(rng, last_closed, today)
                client["consent_withdrawn_on"] = withdrawn
                client["updated_at"] = _stamp(rng, withdrawn)
            elif (today - last_closed).days > 365 and rng.random() < 0.3:
                archived = last_closed + dt.timedelta(days=180 + rng.randint(0, 90))
                client["archived_at"] = _stamp(rng, archived)
                client["updated_at"] = client["archived_at"]
        return rows

    def _open_phase(self, opened_on: dt.date) -> CasePhase:
        days_open = (self.today - opened_on).days
        if days_open < 21:
            return data.PHASES_NEW.pick(self.rng)
        if days_open < 60:
            return data.PHASES_YOUNG.pick(self.rng)
        return data.PHASES_RUNNING.pick(self.rng)

    def _topics(self) -> list[str]:
        wanted = self.rng.choice(data.TOPIC_COUNTS)
        chosen: list[str] = []
        while len(chosen) < wanted:
            topic = data.TOPIC_WEIGHTS.pick(self.rng)
            if topic not in chosen:
                chosen.append(topic)
        return chosen

    # -- contacts, barriers, referrals ---------------------------------------------------------

    def children(
        self, org: OrgContext, cases: list[Row], topics_of: dict[int, list[str]]
    ) -> tuple[list[Row], list[Row], list[Row]]:
        contacts: list[Row] = []
        barriers: list[Row] = []
        referrals: list[Row] = []
        for case in cases:
            end = case["closed_on"] or self.today
            contacts.extend(self._contacts(org, case, end))
            barriers.extend(self._barriers(org, case, end, topics_of[case["id"]]))
            referrals.extend(self._referrals(org, case, end, topics_of[case["id"]]))
        return contacts, barriers, referrals

    def _audit(self, org: OrgContext, case: Row, created_on: dt.date, updated_on: dt.date) -> Row:
        created = _stamp(self.rng, created_on)
        updated = _stamp(self.rng, updated_on) if updated_on > created_on else created
        return {
            "organisation_id": org.organisation_id,
            "case_id": case["id"],
            "created_at": created,
            "updated_at": updated,
            "created_by_id": org.case_manager_id,
            "updated_by_id": org.case_manager_id,
            "version": 1,
        }

    def _contacts(self, org: OrgContext, case: Row, end: dt.date) -> list[Row]:
        rng = self.rng
        rows = []
        for index in range(data.CONTACT_COUNTS.pick(rng)):
            # The first contact is the intake interview on the day the case was opened.
            intake = index == 0
            day = case["opened_on"] if intake else _day_between(rng, case["opened_on"], end)
            kind = ContactKind.IN_PERSON if intake else data.CONTACT_KINDS.pick(rng)
            shortest, longest = data.CONTACT_MINUTES[kind]
            rows.append(
                {
                    "id": self.ids.take("contact"),
                    **self._audit(org, case, day, day),
                    "contact_date": day,
                    "kind": kind.value,
                    "minutes": rng.randint(shortest, longest) // 5 * 5,
                    "note": (
                        data.INTAKE_CONTACT_NOTE if intake else rng.choice(data.CONTACT_NOTES[kind])
                    ),
                }
            )
        return rows

    def _barriers(self, org: OrgContext, case: Row, end: dt.date, topics: list[str]) -> list[Row]:
        rng, today = self.rng, self.today
        rows = []
        for _ in range(data.BARRIER_COUNTS.pick(rng)):
            if rng.random() < 0.7:
                category = rng.choice(data.CATEGORY_BY_TOPIC[rng.choice(topics)])
            else:
                category = data.CATEGORY_WEIGHTS.pick(rng)
            candidates = data.CATEGORY_PARTNERS[category]
            partner_id = (
                self.catalogue.partners[rng.choice(candidates)]
                if candidates and rng.random() < 0.6
                else None
            )
            observed = _day_between(rng, case["opened_on"], end)
            status = data.BARRIER_STATUSES.pick(rng)
            resolved = None
            if status == BarrierStatus.SOLVED:
                resolved = min(today, observed + dt.timedelta(days=rng.randint(3, 120)))
            rows.append(
                {
                    "id": self.ids.take("barrier"),
                    **self._audit(org, case, observed, resolved or observed),
                    "category_id": self.catalogue.categories[category],
                    "partner_id": partner_id,
                    "observed_on": observed,
                    "description": rng.choice(data.BARRIER_DESCRIPTIONS[category]),
                    "status": status.value,
                    "resolved_on": resolved,
                }
            )
        return rows

    def _referrals(self, org: OrgContext, case: Row, end: dt.date, topics: list[str]) -> list[Row]:
        rng, today = self.rng, self.today
        S = ReferralStatus  # noqa: N806 - the alias keeps the status rules on one line each
        count = data.REFERRAL_COUNTS.pick(rng)
        cross_org = case["closed_on"] is None and rng.random() < data.CROSS_ORG_SHARE
        if cross_org:
            count = max(count, 1)
        rows = []
        for index in range(count):
            topic = rng.choice(topics)
            decline_reason = outcome = None
            if cross_org and index == 0:
                # To another KIM organisation: it shows up there as an incoming referral.
                partner_id = rng.choice(org.other_kim_partners)
                referred = _day_between(rng, max(case["opened_on"], today - dt.timedelta(45)), end)
                status = S.SENT if rng.random() < 0.85 else S.DECLINED
                reason = rng.choice(data.CROSS_ORG_REASONS)
            else:
                partner_id = self.catalogue.partners[rng.choice(data.TOPIC_PARTNERS[topic])]
                referred = _day_between(rng, case["opened_on"], end)
                status = self._referral_statuses(case, referred).pick(rng)
                reason = rng.choice(data.REFERRAL_REASONS[topic])
            follow_up = (
                default_follow_up(referred)
                if rng.random() < 0.8
                else referred + dt.timedelta(days=rng.choice(data.OTHER_FOLLOW_UP_DAYS))
            )
            responded = None
            if status in data.ANSWERED:
                responded = min(today, referred + dt.timedelta(days=rng.randint(1, 30)))
            if status == S.COMPLETED:
                outcome = rng.choice(data.COMPLETED_OUTCOMES)
            elif status == S.ACCEPTED:
                outcome = rng.choice(data.ACCEPTED_OUTCOMES)
            elif status == S.CANCELLED:
                outcome = rng.choice(data.CANCELLED_OUTCOMES)
            elif status == S.DECLINED:
                decline_reason = rng.choice(data.DECLINE_REASONS)
            # Every status past "planned" went through "sent", which needs the consent.
            consent = status != S.PLANNED or rng.random() < 0.4
            last_change = responded or referred
            if status == S.CANCELLED:
                last_change = min(end, referred + dt.timedelta(days=rng.randint(1, 20)))
            rows.append(
                {
                    "id": self.ids.take("referral"),
                    **self._audit(org, case, referred, last_change),
                    "partner_id": partner_id,
                    "topic_id": self.catalogue.topics[topic],
                    "reason": reason,
                    "referred_on": referred,
                    "follow_up_on": follow_up,
                    "status": status.value,
                    "responded_on": responded,
                    "outcome": outcome,
                    "decline_reason": decline_reason,
                    "consent_confirmed": consent,
                    "receiving_case_id": None,
                }
            )
        return rows

    def _referral_statuses(self, case: Row, referred: dt.date) -> Weighted[ReferralStatus]:
        """The older a referral of an open case, the likelier it was answered."""
        if case["closed_on"] is not None:
            return data.REFERRALS_OF_CLOSED_CASES
        age = (self.today - referred).days
        if age < 3:
            return data.REFERRALS_FRESH
        if age < 14:
            return data.REFERRALS_RECENT
        return data.REFERRALS_OLDER


# --------------------------------------------------------------------------------------------
# Writing


CLIENT, CASE, CONTACT, BARRIER, REFERRAL = (
    cast(Table, model.__table__) for model in (Client, Case, Contact, Barrier, Referral)
)
BULK_TABLES = (CLIENT, CASE, CONTACT, BARRIER, REFERRAL)
# Every table the seed writes through ``seeds.bulk`` (this module, the consents, the plans).
WRITTEN_IN_BULK = (
    *BULK_TABLES,
    case_topic,
    *(status_consents.PERIOD, status_consents.CONSENT, status_consents.TEMPLATE),
    consent_recipient,
    *(demo_plans.PLAN, demo_plans.GOAL, demo_plans.STEP, demo_plans.TASK),
)


def _next_ids(session: Session) -> IdCounter:
    return IdCounter(
        {
            table.name: (session.scalar(select(func.max(table.c.id))) or 0) + 1
            for table in BULK_TABLES
        }
    )


def _load_catalogue(session: Session) -> Catalogue:
    partners = session.execute(select(Partner.name, Partner.id, Partner.organisation_id)).all()
    organisation_slugs = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    return Catalogue(
        topics=dict(session.execute(select(Topic.name, Topic.id)).all()),
        categories=dict(session.execute(select(BarrierCategory.name, BarrierCategory.id)).all()),
        partners={name: partner_id for name, partner_id, _ in partners},
        kim_partner_of={
            organisation_slugs[organisation_id]: partner_id
            for _, partner_id, organisation_id in partners
            if organisation_id is not None
        },
    )


def _bump_postgres_sequences(session: Session) -> None:
    """Explicit ids leave PostgreSQL's id sequences behind; move them past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in BULK_TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) "  # noqa: S608
                f"FROM {table.name} HAVING max(id) IS NOT NULL"
            )
        )


def seed_demo(
    session: Session,
    *,
    clients_per_org: int = 30,
    password: str = DEFAULT_PASSWORD,
    today: dt.date | None = None,
    seed: int = 2026,
    build_indexes_last: bool = False,
) -> SeedSummary:
    """Fill an empty database with the catalogue, demo users and a demo caseload.

    Refuses (``SeedRefused``) when any user exists. Flushes, never commits: the caller does.
    The same ``seed`` and ``today`` (default: today in Düsseldorf) give the same data.
    ``build_indexes_last`` (the seed command, on SQLite): the indexes of the tables written
    in bulk are dropped before and created again after, each by its migration's own SQL.
    """
    if session.scalar(select(User.id).limit(1)) is not None:
        raise SeedRefused
    today = today or clock.today()
    rng = random.Random(seed)

    organisations = seed_catalogue(session)
    # One hash for everyone: each hash costs 600,000 PBKDF2 iterations.
    password_hash = generate_password_hash(password, PASSWORD_HASH_METHOD)
    teams = _create_users(session, organisations, password_hash)
    catalogue = _load_catalogue(session)
    builder = CaseloadBuilder(
        session,
        rng,
        today,
        name_pools=_name_pools(seed),
        catalogue=catalogue,
        ids=_next_ids(session),
    )

    deferred_indexes = (
        drop_secondary_indexes(session, WRITTEN_IN_BULK) if build_indexes_last else []
    )
    summary = SeedSummary(
        organisations=len(organisations),
        users=session.scalar(select(func.count(User.id))) or 0,
        barrier_categories=len(catalogue.categories),
        topics=len(catalogue.topics),
        partners=len(catalogue.partners),
    )
    # What the periods and consents take from the caseload (seeds/status_consents.py).
    seeded_clients: list[SeededClient] = []
    confirmed_referrals: list[SeededReferral] = []
    client_of_case: dict[int, int] = {}
    for slug, organisation in organisations.items():
        lead, case_manager = teams[slug]
        org = OrgContext(
            organisation=organisation,
            lead_id=lead.id,
            case_manager_id=case_manager.id,
            other_kim_partners=[
                partner_id
                for other, partner_id in catalogue.kim_partner_of.items()
                if other != slug
            ],
        )
        clients, cases, case_topics, topics_of = builder.clients_and_cases(org, clients_per_org)
        seeded_clients.extend(
            SeededClient(*(client[name] for name in CLIENT_FIELDS)) for client in clients
        )
        client_of_case.update((case["id"], case["client_id"]) for case in cases)
        summary.clients += insert_rows(session, CLIENT, clients)
        summary.cases += insert_rows(session, CASE, cases)
        summary.case_topics += insert_rows(session, case_topic, case_topics)
        del clients, case_topics
        # Children in slices of cases, so memory stays flat however large the caseload.
        for start in range(0, len(cases), CHUNK_SIZE):
            contacts, barriers, referrals = builder.children(
                org, cases[start : start + CHUNK_SIZE], topics_of
            )
            summary.contacts += insert_rows(session, CONTACT, contacts)
            summary.barriers += insert_rows(session, BARRIER, barriers)
            summary.referrals += insert_rows(session, REFERRAL, referrals)
            confirmed_referrals.extend(
                SeededReferral(*(referral[name] for name in REFERRAL_FIELDS))
                for referral in referrals
                if referral["consent_confirmed"]
            )

    _bump_postgres_sequences(session)
    # The system level's register (seeds/system_level.py), over the caseload just written.
    summary.structural_issues = seed_system_level(session, today)
    # Issue 16: the periods and consents the bulk inserts went past (seeds/status_consents.py).
    seed_status_and_consents(
        session, today, seed, seeded_clients, sorted(confirmed_referrals), client_of_case
    )
    del seeded_clients, confirmed_referrals, client_of_case
    session.flush()
    planned = seed_plans(session, today, seed)
    summary.plans, summary.tasks = planned["plans"], planned["tasks"]
    create_indexes(session, deferred_indexes)
    return summary
