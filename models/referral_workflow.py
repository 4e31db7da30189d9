"""What happens to a referral after it is written: status steps, answers, the tracking queries.

Every function takes the session, the acting user and ids from the request; it loads,
checks and changes, and raises ``ReferralWorkflowError`` (German message) when it refuses.
It flushes but never commits: the caller commits once, so an acceptance (new client, new
case, answered referral) is one transaction. The status rules are those of
``models.referral`` (``can_transition`` through ``Referral.field_errors``); nothing here
decides on its own which step is allowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from models.case import Case
from models.catalogue import Partner, Topic
from models.choices import ConsentPurpose, DataCategory, ReferralStatus
from models.client import Client
from models.consent import Consent, shared_categories
from models.organisation import Organisation
from models.owned import parse_id
from models.referral import (
    ANSWERS,
    FINISHED,
    Referral,
    attach_consent,
    next_statuses,
    overdue_condition,
)
from models.user import User
from models.visibility import (
    incoming_referral_criteria,
    referral_case_is_not,
    visible_criteria,
    visible_one,
)

S = ReferralStatus
# The order of the groups on the tracking screen: what waits for the partner first.
STATUS_ORDER = (S.SENT, S.ACCEPTED, S.PLANNED, S.DECLINED)
# How long a declined referral stays on the screen, so the sender reads the reason.
RECENTLY_DECLINED = dt.timedelta(days=30)
DECLINE_REASON_MAX = 2000


class ReferralWorkflowError(Exception):
    """A refused step; ``message`` is German and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReferralNotFoundError(ReferralWorkflowError):
    """Missing, foreign or not addressed to the user: the caller answers 404."""

    def __init__(self) -> None:
        super().__init__(_("Die Vermittlung existiert nicht."))


class StaleReferralError(ReferralWorkflowError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Diese Vermittlung wurde inzwischen geändert. Es wurde nichts gespeichert; "
                "bitte prüfen Sie den aktuellen Stand."
            )
        )


# --- rules shared with the edit form ---------------------------------------------------


def response_date(status: str, responded_on: dt.date | None, today: dt.date) -> dt.date | None:
    """An answer (accepted/declined) carries the day it came; today unless given."""
    if status in ANSWERS and responded_on is None:
        return today
    return responded_on


def _refuse_on_rule_errors(
    values: dict[str, Any], today: dt.date, previous: str, *, by_receiver: bool = False
) -> None:
    errors = Referral.field_errors(values, today, previous, answered_by_receiver=by_receiver)
    if errors:
        raise ReferralWorkflowError(" ".join(errors.values()))


def _rule_values(referral: Referral, **changes: Any) -> dict[str, Any]:
    values = {
        "status": referral.status,
        "purpose": referral.purpose,
        "statutory_basis": referral.statutory_basis,
        "consent": referral.consent,
        "referred_on": referral.referred_on,
        "follow_up_on": referral.follow_up_on,
        "responded_on": referral.responded_on,
        "consent_confirmed": referral.consent_confirmed,
        "partner": referral.partner,
        "case": referral.case,
    }
    values.update(changes)
    return values


def _check_version(referral: Referral, expected_version: object) -> None:
    if referral.is_stale(expected_version):
        raise StaleReferralError


# --- the sender's steps ----------------------------------------------------------------


def _own_referral(session: Session, user: User, referral_id: object) -> Referral:
    referral = visible_one(session, user, Referral, referral_id, for_update=True)
    if referral is None:
        raise ReferralNotFoundError
    return referral


def change_status(
    session: Session,
    user: User,
    referral_id: object,
    *,
    target: str,
    expected_version: object,
    today: dt.date,
    responded_on: dt.date | None = None,
) -> Referral:
    """Move an own referral one step along the state machine."""
    referral = _own_referral(session, user, referral_id)
    _check_version(referral, expected_version)
    if target not in S._value2member_map_:
        raise ReferralWorkflowError(_("Unbekannter Status."))
    if target == referral.status:
        raise ReferralWorkflowError(
            _("Die Vermittlung hat bereits den Status „%(status)s“.", status=S.label_of(target))
        )
    new_response = response_date(target, responded_on or referral.responded_on, today)
    _refuse_on_rule_errors(
        _rule_values(referral, status=target, responded_on=new_response), today, referral.status
    )
    referral.status = target
    referral.responded_on = new_response
    attach_consent(referral, today)
    referral.stamp(user)
    session.flush()
    return referral


def reschedule_follow_up(
    session: Session,
    user: User,
    referral_id: object,
    *,
    follow_up_on: dt.date | None,
    expected_version: object,
    today: dt.date,
) -> Referral:
    """Set a new follow-up date on an own, unfinished referral."""
    referral = _own_referral(session, user, referral_id)
    _check_version(referral, expected_version)
    if follow_up_on is None:
        raise ReferralWorkflowError(_("Bitte ein gültiges Datum für die Wiedervorlage angeben."))
    if referral.status in FINISHED:
        raise ReferralWorkflowError(_("Eine beendete Vermittlung braucht keine Wiedervorlage."))
    if follow_up_on < today:
        raise ReferralWorkflowError(
            _("Die neue Wiedervorlage darf nicht in der Vergangenheit liegen.")
        )
    _refuse_on_rule_errors(
        _rule_values(referral, follow_up_on=follow_up_on), today, referral.status
    )
    referral.follow_up_on = follow_up_on
    referral.stamp(user)
    session.flush()
    return referral


# --- the receiver's steps --------------------------------------------------------------


def _incoming_referral(session: Session, user: User, referral_id: object) -> Referral:
    record_id = parse_id(referral_id)
    if record_id is None:
        raise ReferralNotFoundError
    statement = (
        select(Referral)
        .where(Referral.id == record_id, *incoming_referral_criteria(user))
        .with_for_update(of=Referral)
    )
    referral = session.execute(statement).scalar_one_or_none()
    if referral is None:
        raise ReferralNotFoundError
    return referral


def _check_answerable(referral: Referral, expected_version: object) -> None:
    _check_version(referral, expected_version)
    if referral.status != S.SENT:
        raise ReferralWorkflowError(
            _(
                "Diese Vermittlung wartet nicht mehr auf eine Antwort (Status: „%(status)s“).",
                status=S.label_of(referral.status),
            )
        )
    consent = referral.consent
    if (
        not (referral.consent_confirmed or referral.statutory_basis)
        or referral.case.client.consent_withdrawn_on is not None
        or referral.consent_withdrawn_on is not None
        or (consent is not None and consent.withdrawn_on is not None)
    ):
        raise ReferralWorkflowError(
            _("Die Einwilligung zur Datenweitergabe liegt nicht (mehr) vor.")
        )


def accept_incoming(
    session: Session, user: User, referral_id: object, *, expected_version: object, today: dt.date
) -> Case:
    """Open an own client and case from an incoming referral; copy name and contact only."""
    referral = _incoming_referral(session, user, referral_id)
    _check_answerable(referral, expected_version)
    _refuse_on_rule_errors(
        _rule_values(referral, status=S.ACCEPTED, responded_on=today),
        today,
        referral.status,
        by_receiver=True,
    )
    organisation = session.get(Organisation, user.organisation_id)
    assert organisation is not None  # noqa: S101 - a case-level user has an organisation
    sender_client = referral.case.client
    # Only what the consent covers travels (name always: the receiver must know whom).
    shared = shared_categories(referral.consent)
    client = Client(
        organisation_id=organisation.id,
        first_name=sender_client.first_name,
        last_name=sender_client.last_name,
        consent_given_on=today,
    )
    if DataCategory.CONTACT in shared:
        client.phone = sender_client.phone
        client.email = sender_client.email
    if DataCategory.RESIDENCE in shared:
        client.residence_status = sender_client.residence_status
    if DataCategory.BENEFITS in shared:
        client.benefits_domain = sender_client.benefits_domain
    client.stamp(user)
    client.assign_file_number(session, organisation, today)
    session.add(client)
    case_record = Case(
        organisation_id=organisation.id,
        client=client,
        case_manager_id=user.id,
        opened_on=today,
    )
    case_record.stamp(user)
    case_record.assign_case_number(session, organisation, today)
    session.add(case_record)
    session.flush()
    referral.status = S.ACCEPTED
    referral.responded_on = today
    referral.receiving_case_id = case_record.id
    referral.updated_by_id = user.id
    session.flush()
    return case_record


def decline_incoming(
    session: Session,
    user: User,
    referral_id: object,
    *,
    expected_version: object,
    reason: str | None,
    today: dt.date,
) -> Referral:
    """Decline an incoming referral with a reason the sender will read."""
    referral = _incoming_referral(session, user, referral_id)
    _check_answerable(referral, expected_version)
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ReferralWorkflowError(_("Bitte geben Sie einen Grund für die Ablehnung an."))
    if len(cleaned) > DECLINE_REASON_MAX:
        raise ReferralWorkflowError(
            _("Der Grund darf höchstens %(max)d Zeichen lang sein.", max=DECLINE_REASON_MAX)
        )
    _refuse_on_rule_errors(
        _rule_values(referral, status=S.DECLINED, responded_on=today),
        today,
        referral.status,
        by_receiver=True,
    )
    referral.status = S.DECLINED
    referral.responded_on = today
    referral.decline_reason = cleaned
    referral.updated_by_id = user.id
    session.flush()
    return referral


# --- queries for the screens -----------------------------------------------------------


@dataclass(frozen=True)
class TrackingFilters:
    partner_id: int | None = None
    topic_id: int | None = None
    # None: the whole team; otherwise the case manager whose cases are shown.
    case_manager_id: int | None = None


@dataclass(frozen=True)
class OutgoingReferral:
    id: int
    version: int
    status: str
    case_id: int
    case_number: str
    client_name: str
    partner_name: str
    partner_is_kim: bool
    topic_name: str | None
    case_manager_name: str
    referred_on: dt.date
    follow_up_on: dt.date
    responded_on: dt.date | None
    decline_reason: str | None
    overdue: bool
    # Days since the referral went to the partner; None while it is only planned.
    days_waiting: int | None

    @property
    def next_statuses(self) -> list[ReferralStatus]:
        return next_statuses(self.status)

    @property
    def status_label(self) -> str:
        return S.label_of(self.status)


@dataclass(frozen=True)
class IncomingReferral:
    """Exactly what a receiving organisation may read of another's referral."""

    id: int
    version: int
    sender_name: str
    topic_name: str | None
    referred_on: dt.date
    reason: str | None
    purpose: str
    client_first_name: str
    client_last_name: str
    client_phone: str | None
    client_email: str | None


def _own_criteria(user: User, filters: TrackingFilters) -> list[Any]:
    criteria: list[ColumnElement[bool]] = visible_criteria(user, Referral)
    if filters.partner_id is not None:
        criteria.append(Referral.partner_id == filters.partner_id)
    if filters.topic_id is not None:
        criteria.append(Referral.topic_id == filters.topic_id)
    if filters.case_manager_id is not None:
        criteria.append(Case.case_manager_id == filters.case_manager_id)
    return criteria


def outgoing_referrals(
    session: Session, user: User, today: dt.date, filters: TrackingFilters
) -> list[OutgoingReferral]:
    """Open referrals of the own organisation, and those declined lately; one query."""
    overdue = case((overdue_condition(today), True), else_=False).label("overdue")
    status_rank = case(
        {status.value: rank for rank, status in enumerate(STATUS_ORDER)},
        value=Referral.status,
        else_=len(STATUS_ORDER),
    )
    shown = or_(
        Referral.status.not_in(FINISHED),
        and_(Referral.status == S.DECLINED, Referral.responded_on >= today - RECENTLY_DECLINED),
    )
    statement = (
        select(
            Referral.id,
            Referral.version,
            Referral.status,
            Referral.case_id,
            Case.case_number,
            Client.first_name,
            Client.last_name,
            Partner.name.label("partner_name"),
            Partner.organisation_id.label("partner_organisation_id"),
            Topic.name.label("topic_name"),
            User.full_name.label("case_manager_name"),
            Referral.referred_on,
            Referral.follow_up_on,
            Referral.responded_on,
            Referral.decline_reason,
            overdue,
        )
        .join(Case, Referral.case_id == Case.id)
        .join(Client, Case.client_id == Client.id)
        .join(Partner, Referral.partner_id == Partner.id)
        .join(User, Case.case_manager_id == User.id)
        .outerjoin(Topic, Referral.topic_id == Topic.id)
        .where(shown, *_own_criteria(user, filters))
        .order_by(status_rank, overdue.desc(), Referral.follow_up_on, Referral.id)
    )
    return [
        OutgoingReferral(
            id=row.id,
            version=row.version,
            status=row.status,
            case_id=row.case_id,
            case_number=row.case_number,
            client_name=f"{row.last_name}, {row.first_name}",
            partner_name=row.partner_name,
            partner_is_kim=row.partner_organisation_id is not None,
            topic_name=row.topic_name,
            case_manager_name=row.case_manager_name,
            referred_on=row.referred_on,
            follow_up_on=row.follow_up_on,
            responded_on=row.responded_on,
            decline_reason=row.decline_reason,
            overdue=bool(row.overdue),
            days_waiting=None if row.status == S.PLANNED else (today - row.referred_on).days,
        )
        for row in session.execute(statement)
    ]


def _waiting_for_answer() -> list[ColumnElement[bool]]:
    """Sent, with the client's consent to share, which the client has not withdrawn."""
    return [
        Referral.status == S.SENT,
        or_(Referral.consent_confirmed.is_(True), Referral.statutory_basis.is_not(None)),
        Referral.consent_withdrawn_on.is_(None),
        referral_case_is_not(lambda _case, client: client.consent_withdrawn_on.is_not(None)),
    ]


def incoming_referrals(session: Session, user: User) -> list[IncomingReferral]:
    """Referrals of other organisations waiting for the user's organisation to answer."""
    statement = (
        select(
            Referral.id,
            Referral.version,
            Organisation.name.label("sender_name"),
            Topic.name.label("topic_name"),
            Referral.referred_on,
            Referral.reason,
            Referral.purpose,
            Referral.consent_id,
            Client.first_name,
            Client.last_name,
            Client.phone,
            Client.email,
        )
        .join(Partner, Referral.partner_id == Partner.id)
        .join(Case, Referral.case_id == Case.id)
        .join(Client, Case.client_id == Client.id)
        .join(Organisation, Referral.organisation_id == Organisation.id)
        .outerjoin(Topic, Referral.topic_id == Topic.id)
        .where(*incoming_referral_criteria(user), *_waiting_for_answer())
        .order_by(Referral.referred_on, Referral.id)
    )
    rows = list(session.execute(statement))
    consents = {
        consent.id: consent
        for consent in session.scalars(
            select(Consent).where(
                Consent.id.in_({row.consent_id for row in rows if row.consent_id})
            )
        )
    }
    incoming = []
    for row in rows:
        shared = shared_categories(consents.get(row.consent_id))
        contact = DataCategory.CONTACT in shared
        incoming.append(
            IncomingReferral(
                id=row.id,
                version=row.version,
                sender_name=row.sender_name,
                topic_name=row.topic_name,
                referred_on=row.referred_on,
                reason=row.reason,
                purpose=str(ConsentPurpose.label_of(row.purpose)),
                client_first_name=row.first_name,
                client_last_name=row.last_name,
                client_phone=row.phone if contact else None,
                client_email=row.email if contact else None,
            )
        )
    return incoming


def count_overdue(
    session: Session, user: User, today: dt.date, case_manager_id: int | None = None
) -> int:
    statement = (
        select(func.count())
        .select_from(Referral)
        .join(Case, Referral.case_id == Case.id)
        .where(
            overdue_condition(today),
            *_own_criteria(user, TrackingFilters(case_manager_id=case_manager_id)),
        )
    )
    return session.execute(statement).scalar_one()


def count_incoming(session: Session, user: User) -> int:
    if user.organisation_id is None:
        return 0
    statement = (
        select(func.count())
        .select_from(Referral)
        .join(Partner, Referral.partner_id == Partner.id)
        .join(Case, Referral.case_id == Case.id)
        .join(Client, Case.client_id == Client.id)
        .where(*incoming_referral_criteria(user), *_waiting_for_answer())
    )
    return session.execute(statement).scalar_one()


def referral_counts_by_partner(
    session: Session, user: User, partner_ids: list[int], today: dt.date
) -> dict[int, tuple[int, int]]:
    """``{partner_id: (open, overdue)}`` of the user's visible referrals, in one grouped query."""
    if not partner_ids:
        return {}
    overdue = func.sum(case((overdue_condition(today), 1), else_=0))
    statement = (
        select(Referral.partner_id, func.count(), overdue)
        .where(
            *visible_criteria(user, Referral),
            Referral.partner_id.in_(partner_ids),
            Referral.status.not_in(FINISHED),
        )
        .group_by(Referral.partner_id)
    )
    return {
        partner_id: (open_count, int(overdue_count or 0))
        for partner_id, open_count, overdue_count in session.execute(statement)
    }
