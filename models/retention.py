"""Retention (Löschfristen): anonymise clients whose data is no longer needed, and log it.

Deletion rule (DIN 66398: period + start event), applied to a client and everything of
their cases:

- ``cases_closed``: every case is closed and the last closed more than ``years`` ago;
- ``consent_withdrawn``: consent was withdrawn more than 30 days ago and no case is open.

A client with an open case is never touched. Anonymising erases names, contact details,
notes and every free text (goals, contact notes, barrier descriptions, referral reasons,
outcomes, decline reasons); what the statistics count stays (residence status, benefits
domain, country, district, gender, barriers, referral statuses, case dates). The date of
birth is coarsened only as far as every age band of every statistics period stays the
same (``coarse_birth_date``). Each anonymised client gets one ``RetentionLogEntry``, which
holds no personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, String, exists, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.audit import AuditEvent
from models.barrier import Barrier
from models.base import Base, intpk, utcnow
from models.case import Case, Contact
from models.choices import Choice
from models.client import Client
from models.consent import Consent
from models.permissions import SystemJob
from models.plan import IntegrationPlan, PlanGoal, PlanStep
from models.referral import Referral
from models.statistics import AGE_BANDS, MAX_PERIOD_DAYS
from models.tasks import Task
from models.visibility import Shelf, visible_criteria, visible_one

DEFAULT_RETENTION_YEARS = 3
WITHDRAWN_CONSENT_GRACE = dt.timedelta(days=30)
PLACEHOLDER = "anonymisiert"

# What is erased, per record type; the names are those of the audit trail's changed_fields.
ERASED_FIELDS: dict[type[Any], dict[str, Any]] = {
    Client: {
        "first_name": PLACEHOLDER,
        "last_name": PLACEHOLDER,
        "phone": None,
        "email": None,
        "street": None,
        "postcode": None,
        "arrival_date": None,
        "notes": None,
    },
    Case: {"goals": None},
    Contact: {"note": None},
    Barrier: {"description": None},
    Referral: {"reason": None, "outcome": None, "decline_reason": None},
    IntegrationPlan: {"language": None, "notes": None},
    PlanGoal: {"text": PLACEHOLDER},
    PlanStep: {"description": PLACEHOLDER},
    Task: {"note": None},
    # Issue 16: a consent's note and where its paper is filed; its dates, kind and
    # recipients stay as the proof (§ 67b SGB X) that the data was processed lawfully.
    Consent: {"note": None, "scan_reference": None},
}


class RetentionReason(Choice):
    CASES_CLOSED = "cases_closed", _l("Aufbewahrungsfrist nach Fallabschluss abgelaufen")
    CONSENT_WITHDRAWN = "consent_withdrawn", _l("Einwilligung widerrufen")


class RetentionLogEntry(Base):
    """One anonymised record: the evidence of a deletion run (no personal data)."""

    __tablename__ = "retention_log"
    __table_args__ = (
        RetentionReason.check("reason"),
        Index("ix_retention_log_record", "record_type", "record_id"),
    )

    id: Mapped[intpk]
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # No foreign keys, as in the audit trail: the log outlives the records it names.
    organisation_id: Mapped[int] = mapped_column(index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int]
    reason: Mapped[str] = mapped_column(String(30))

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}: {RetentionReason.label_of(self.reason)}"


@dataclass(frozen=True)
class DueClient:
    client_id: int
    organisation_id: int
    reason: RetentionReason


@dataclass
class RetentionReport:
    today: dt.date
    years: int
    dry_run: bool
    due: list[DueClient] = field(default_factory=list)

    def lines(self) -> list[str]:
        """German lines for the command's output: ids and reasons only, no names."""
        verb = "würde anonymisiert" if self.dry_run else "anonymisiert"
        lines = [
            f"Klient*in {due.client_id} (Organisation {due.organisation_id}): {verb} "
            f"({RetentionReason.label_of(due.reason)})"
            for due in self.due
        ]
        mode = "Probelauf, nichts geändert" if self.dry_run else "ausgeführt"
        lines.append(
            f"{len(self.due)} Klient*innen, Stichtag {self.today:%d.%m.%Y}, "
            f"Frist {self.years} Jahre ({mode})."
        )
        return lines


# The principal of ``flask retention``: it reads every organisation's clients, and the
# audit trail names it as the actor of what it changes.
RETENTION_JOB = SystemJob("retention")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: dt.date, years: int) -> dt.date:
    return years_before(day, -years)


def anonymise_from(last_closed_on: dt.date | None, years: int) -> dt.date | None:
    """The first day on which a client whose last case closed then becomes due."""
    if last_closed_on is None:
        return None
    return years_after(last_closed_on, years) + dt.timedelta(days=1)


def _already_anonymised() -> Any:
    return exists().where(
        RetentionLogEntry.record_type == "Client", RetentionLogEntry.record_id == Client.id
    )


def due_clients(session: Session, today: dt.date, years: int) -> list[DueClient]:
    """Clients the rules make due on ``today``; withdrawn consent is named first."""
    open_case = exists().where(Case.client_id == Client.id, Case.closed_on.is_(None))
    last_closed = (
        select(func.max(Case.closed_on)).where(Case.client_id == Client.id).scalar_subquery()
    )
    any_case = exists().where(Case.client_id == Client.id)
    withdrawn = Client.consent_withdrawn_on < today - WITHDRAWN_CONSENT_GRACE
    closed_long_ago = any_case & (last_closed < years_before(today, years))
    statement = (
        select(Client.id, Client.organisation_id, withdrawn.label("withdrawn"))
        .where(
            *visible_criteria(RETENTION_JOB, Client, shelf=Shelf.ANY),
            ~open_case,
            ~_already_anonymised(),
            withdrawn | closed_long_ago,
        )
        .order_by(Client.organisation_id, Client.id)
    )
    return [
        DueClient(
            row.id,
            row.organisation_id,
            RetentionReason.CONSENT_WITHDRAWN if row.withdrawn else RetentionReason.CASES_CLOSED,
        )
        for row in session.execute(statement)
    ]


def coarse_birth_date(
    date_of_birth: dt.date | None, first_opened_on: dt.date | None, last_closed_on: dt.date | None
) -> dt.date | None:
    """The coarsest birth date that puts the client in the same age band in every period.

    Statistics count a client in a period overlapping one of their cases and take the age
    band at the period's end, which lies between the first opening and the last closing
    plus the longest period. A substitute date is safe when no band boundary (18th, 27th,
    50th, 65th birthday) of any such end lies between it and the true date. Tried in
    order: 1 July of the birth year, the 1st of the birth month; else the date stays.
    """
    if date_of_birth is None or first_opened_on is None or last_closed_on is None:
        return None if first_opened_on is None else date_of_birth
    latest_end = last_closed_on + dt.timedelta(days=MAX_PERIOD_DAYS)
    blocked = [
        (years_before(first_opened_on, below), years_before(latest_end, below))
        for _label, below in AGE_BANDS
        if below is not None
    ]
    for candidate in (
        dt.date(date_of_birth.year, 7, 1),
        date_of_birth.replace(day=1),
    ):
        low, high = sorted((candidate, date_of_birth))
        # The band differs for thresholds t with low <= t < high.
        if not any(low <= last and first < high for first, last in blocked):
            return candidate
    return date_of_birth


def anonymise_due_clients(
    session: Session, today: dt.date, years: int = DEFAULT_RETENTION_YEARS, dry_run: bool = False
) -> RetentionReport:
    """Anonymise every due client (or, on a dry run, only list them); flushes, never commits."""
    report = RetentionReport(today, years, dry_run, due_clients(session, today, years))
    if dry_run:
        return report
    for due in report.due:
        _anonymise_client(session, due)
    session.flush()
    return report


def _anonymise_client(session: Session, due: DueClient) -> None:
    client = visible_one(session, RETENTION_JOB, Client, due.client_id, shelf=Shelf.ANY)
    assert client is not None  # noqa: S101 - due_clients found it in this transaction
    cases = list(
        session.scalars(
            select(Case).where(
                Case.client_id == client.id,
                *visible_criteria(RETENTION_JOB, Case, shelf=Shelf.ANY),
            )
        )
    )
    case_ids = [case.id for case in cases]
    client.date_of_birth = coarse_birth_date(
        client.date_of_birth,
        min((case.opened_on for case in cases), default=None),
        max((case.closed_on for case in cases if case.closed_on), default=None),
    )
    erased: dict[str, list[int]] = {"Client": [client.id]}
    _erase(client)
    for case in cases:
        _erase(case)
    erased["Case"] = case_ids
    for model in (Contact, Barrier, Referral, IntegrationPlan, PlanGoal, PlanStep, Task):
        of_cases = select(model).where(
            model.case_id.in_(case_ids), *visible_criteria(RETENTION_JOB, model, shelf=Shelf.ANY)
        )
        records: list[Any] = list(session.scalars(of_cases))
        for record in records:
            _erase(record)
        erased[model.__name__] = [record.id for record in records]
    consents = list(
        session.scalars(
            select(Consent).where(
                Consent.client_id == client.id,
                *visible_criteria(RETENTION_JOB, Consent, shelf=Shelf.ANY),
            )
        )
    )
    for consent in consents:
        _erase(consent)
    erased["Consent"] = [consent.id for consent in consents]
    session.add(
        RetentionLogEntry(
            organisation_id=due.organisation_id,
            record_type="Client",
            record_id=client.id,
            reason=due.reason.value,
        )
    )
    session.flush()
    for model in ERASED_FIELDS:
        _redact_audit_values(session, model, erased.get(model.__name__, []))


def _erase(record: Any) -> None:
    for name, value in ERASED_FIELDS[type(record)].items():
        setattr(record, name, value)


def _redact_audit_values(session: Session, model: type[Any], record_ids: list[int]) -> None:
    """Blank the recorded values of erased fields in the audit trail of these records.

    Personal fields are never recorded with values, but some erased ones (postcode,
    arrival date) are not personal on their own and may be. The trail stays append-only
    for the app; this deliberate redaction goes around the ORM guard with a plain UPDATE.
    """
    if not record_ids:
        return
    fields = set(ERASED_FIELDS[model]) | {"date_of_birth"}
    statement = select(AuditEvent.id, AuditEvent.changed_fields).where(
        AuditEvent.record_type == model.__name__,
        AuditEvent.record_id.in_(record_ids),
        AuditEvent.changed_fields.is_not(None),
    )
    for event_id, raw in session.execute(statement).all():
        changes = json.loads(raw or "{}")
        if not any(changes.get(name) is not None for name in fields):
            continue
        redacted = {name: (None if name in fields else value) for name, value in changes.items()}
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == event_id)
            .values(changed_fields=json.dumps(redacted, ensure_ascii=False, sort_keys=True))
            .execution_options(synchronize_session=False)
        )


def anonymisation_date(session: Session, client_id: int, years: int) -> dt.date | None:
    """The first day the rules make this client due; None while a case is open or none was."""
    closed_on = select(Case.closed_on).where(Case.client_id == client_id)
    dates = list(session.scalars(closed_on))
    closed = [day for day in dates if day is not None]
    if len(closed) < len(dates):
        return None
    withdrawn_on = session.scalar(select(Client.consent_withdrawn_on).where(Client.id == client_id))
    candidates = [anonymise_from(max(closed, default=None), years)]
    if withdrawn_on is not None:
        candidates.append(withdrawn_on + WITHDRAWN_CONSENT_GRACE + dt.timedelta(days=1))
    return min((day for day in candidates if day is not None), default=None)
