"""Statusverlauf: residence status, benefits domain and responsible office as periods.

A client's current residence status and benefits domain are the open periods (no end day).
The client's columns ``residence_status`` and ``benefits_domain`` are kept in step in one
place, the ``before_flush`` listener below: whatever writes a new value on a client (the
client form, an accepted referral, the seed) closes the open period the day before and
opens a new one; whatever opens or closes a period (the period screen) writes the client's
column. So the columns are never a second truth, only the open period read fast.

``valid_until`` is the last day of a period (inclusive). A residence status has no gaps (a
person always has one, if only "ungeklärt"); a benefits domain may: the days between two
benefits periods are the days without benefits the statistics count.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, intpk
from models.catalogue import Partner
from models.choices import BenefitsDomain, ResidenceStatus, StatusKind, StatusSource
from models.client import Client
from models.owned import OrgOwned
from models.rules import FieldErrors, FormValues, check_not_before, check_plausible

K = StatusKind
# The client column that mirrors each kind's open period (the office has none).
CLIENT_COLUMN: dict[StatusKind, str] = {
    K.RESIDENCE: "residence_status",
    K.BENEFITS: "benefits_domain",
}
VOCABULARY = {K.RESIDENCE: ResidenceStatus, K.BENEFITS: BenefitsDomain}
# Kinds whose periods must follow each other without a day between them.
NO_GAPS = frozenset({K.RESIDENCE})
DEFAULT_EXPIRY_WARNING_DAYS = 60
BERLIN = ZoneInfo("Europe/Berlin")
ONE_DAY = dt.timedelta(days=1)


def _today() -> dt.date:
    """The day in Düsseldorf, for the listener (a flush is given no day)."""
    return dt.datetime.now(BERLIN).date()


class StatusPeriod(OrgOwned, Base):
    __tablename__ = "status_period"
    __table_args__ = (
        StatusKind.check("kind"),
        StatusSource.check("source"),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="until_after_from"
        ),
        CheckConstraint(
            "(kind = 'office' AND partner_id IS NOT NULL AND value IS NULL) OR "
            "(kind <> 'office' AND value IS NOT NULL AND partner_id IS NULL)",
            name="value_or_office",
        ),
        CheckConstraint(
            "title_expires_on IS NULL OR kind = 'residence'", name="expiry_only_residence"
        ),
        Index("ix_status_period_client_kind", "client_id", "kind", "valid_from"),
        Index("ix_status_period_valid_from", "valid_from"),  # statistics across organisations
    )

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str | None] = mapped_column(
        String(30), comment="the residence status or benefits domain code"
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="RESTRICT"),
        index=True,
        comment="the responsible office of an office period",
    )
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date | None] = mapped_column(comment="last day; empty while current")
    source: Mapped[str] = mapped_column(String(20), default=StatusSource.SELF_REPORT)
    title_expires_on: Mapped[dt.date | None] = mapped_column(
        comment="the residence title's expiry date, as on the document"
    )

    client: Mapped[Client] = relationship()
    partner: Mapped[Partner | None] = relationship()

    def __str__(self) -> str:
        until = f"{self.valid_until:%d.%m.%Y}" if self.valid_until else "…"
        since = f"{self.valid_from:%d.%m.%Y}"
        return f"{StatusKind.label_of(self.kind)}: {self.value_label} ({since}–{until})"

    @property
    def value_label(self) -> str:
        if self.kind == K.OFFICE:
            return self.partner.name if self.partner else ""
        vocabulary = VOCABULARY.get(StatusKind(self.kind))
        return str(vocabulary.label_of(self.value)) if vocabulary else self.value or ""

    @property
    def is_open(self) -> bool:
        return self.valid_until is None

    @staticmethod
    def field_errors(values: FormValues, today: dt.date) -> FieldErrors:
        errors: FieldErrors = {}
        for field in ("valid_from", "valid_until", "title_expires_on"):
            check_plausible(errors, values, field)
        check_not_before(
            errors,
            values,
            "valid_until",
            "valid_from",
            _("Das Ende eines Zeitraums kann nicht vor seinem Beginn liegen."),
        )
        valid_from = values.get("valid_from")
        if isinstance(valid_from, dt.date) and valid_from > today:
            errors["valid_from"] = _("Ein Zeitraum kann nicht in der Zukunft beginnen.")
        kind = values.get("kind")
        if kind == K.OFFICE and values.get("partner") is None:
            errors["partner"] = _("Bitte die zuständige Stelle wählen.")
        vocabulary = VOCABULARY.get(StatusKind(kind)) if kind in VOCABULARY else None
        if vocabulary is not None and values.get("value") not in vocabulary._value2member_map_:
            errors["value"] = _("Bitte einen Wert wählen, der zur Art des Zeitraums passt.")
        if values.get("title_expires_on") is not None and kind != K.RESIDENCE:
            errors["title_expires_on"] = _("Ein Ablaufdatum gibt es nur für Aufenthaltstitel.")
        return errors


@dataclass(frozen=True)
class Span:
    """One period as the overlap and gap rules see it."""

    id: int | None
    valid_from: dt.date
    valid_until: dt.date | None


def sequence_error(kind: str, spans: Iterable[Span]) -> str | None:
    """The first broken rule of one client's periods of one kind, or None.

    Periods never overlap; periods of a kind in ``NO_GAPS`` follow each other without a
    day between them; only the last may be open.
    """
    ordered = sorted(spans, key=lambda span: (span.valid_from, span.id or 0))
    for previous, following in itertools.pairwise(ordered):
        if previous.valid_until is None or previous.valid_until >= following.valid_from:
            return _(
                "Der Zeitraum überschneidet sich mit einem anderen vom %(day)s; "
                "Zeiträume derselben Art dürfen sich nicht überschneiden.",
                day=f"{following.valid_from:%d.%m.%Y}"
                if following.id is None
                else f"{previous.valid_from:%d.%m.%Y}",
            )
        if kind in NO_GAPS and previous.valid_until + ONE_DAY != following.valid_from:
            return _(
                "Zwischen dem %(end)s und dem %(start)s wäre der Aufenthaltsstatus unbekannt; "
                "beim Aufenthaltsstatus schließt jeder Zeitraum an den vorigen an.",
                end=f"{previous.valid_until:%d.%m.%Y}",
                start=f"{following.valid_from:%d.%m.%Y}",
            )
    return None


def periods_of(session: Session, client_id: int, kind: str | None = None) -> list[StatusPeriod]:
    statement = select(StatusPeriod).where(StatusPeriod.client_id == client_id)
    if kind is not None:
        statement = statement.where(StatusPeriod.kind == kind)
    return list(
        session.scalars(
            statement.order_by(StatusPeriod.kind, StatusPeriod.valid_from, StatusPeriod.id)
        )
    )


def open_period(session: Session, client_id: int, kind: str) -> StatusPeriod | None:
    with session.no_autoflush:
        return session.scalars(
            select(StatusPeriod).where(
                StatusPeriod.client_id == client_id,
                StatusPeriod.kind == kind,
                StatusPeriod.valid_until.is_(None),
            )
        ).first()


def check_new_period(session: Session, client_id: int | None, values: FormValues) -> str | None:
    """The rules for a period about to be added (the open one it follows will be closed)."""
    kind = values.get("kind")
    valid_from = values.get("valid_from")
    if client_id is None or kind not in K._value2member_map_ or not isinstance(valid_from, dt.date):
        return None
    spans = []
    for period in periods_of(session, client_id, kind):
        until = period.valid_until
        if until is None and period.valid_from < valid_from:
            until = valid_from - ONE_DAY  # closed by the new one
        spans.append(Span(period.id, period.valid_from, until))
    spans.append(Span(None, valid_from, values.get("valid_until")))
    return sequence_error(str(kind), spans)


def check_changed_period(session: Session, period_id: int, values: FormValues) -> str | None:
    """The rules for an edited period among the client's others of its kind."""
    period = session.get(StatusPeriod, period_id)
    if period is None or not isinstance(values.get("valid_from"), dt.date):
        return None
    spans = [
        Span(other.id, other.valid_from, other.valid_until)
        for other in periods_of(session, period.client_id, period.kind)
        if other.id != period.id
    ]
    spans.append(Span(period.id, values["valid_from"], values.get("valid_until")))
    return sequence_error(period.kind, spans)


def add_period(session: Session, period: StatusPeriod) -> None:
    """Add ``period``: the open one of its kind ends the day before; the client follows."""
    client_id = period.client.id if period.client is not None else period.client_id
    previous = open_period(session, client_id, period.kind) if client_id else None
    if previous is not None and previous is not period and period.valid_from > previous.valid_from:
        previous.valid_until = period.valid_from - ONE_DAY
    session.add(period)
    mirror_client(session, period.client, period.kind, pending=period)


def mirror_client(
    session: Session, client: Client, kind: str, pending: StatusPeriod | None = None
) -> None:
    """Write the client's column from the open period of ``kind`` (None when none is open)."""
    column = CLIENT_COLUMN.get(StatusKind(kind))
    if column is None:
        return
    current = pending if pending is not None and pending.is_open else None
    if current is None and client.id is not None:
        candidate = open_period(session, client.id, kind)
        if candidate is not None and candidate.is_open and candidate is not pending:
            current = candidate
    value = current.value if current is not None else None
    if getattr(client, column) != value:
        client.__dict__.setdefault("_kim_status_mirrored", set()).add(column)
        setattr(client, column, value)


# --- the one place that keeps client columns and open periods in step -----------------


def _pending_periods(session: Session, client: Client) -> set[str]:
    return {
        obj.kind
        for obj in session.new
        if isinstance(obj, StatusPeriod) and (obj.client is client or obj.client_id == client.id)
    }


def _move_to(session: Session, client: Client, kind: StatusKind, value: str | None) -> None:
    """The client's value of ``kind`` became ``value``: close the open period, open one."""
    today = _today()
    previous = open_period(session, client.id, kind) if client.id is not None else None
    options: dict[str, Any] = client.__dict__.get("_kim_status_details", {})
    if previous is not None:
        if previous.value == value:
            return
        if previous.valid_from >= today:
            # Corrected on the day it was entered: the same period, another value.
            if value is None:
                session.delete(previous)
            else:
                previous.value = value
                previous.source = options.get("source") or previous.source
                if kind is K.RESIDENCE:
                    previous.title_expires_on = options.get("title_expires_on")
            return
        previous.valid_until = today - ONE_DAY
    if value is None:
        return
    period = StatusPeriod(
        organisation_id=client.organisation_id,
        client=client,
        kind=kind.value,
        value=value,
        valid_from=today,
        source=options.get("source") or StatusSource.SELF_REPORT,
        title_expires_on=options.get("title_expires_on") if kind is K.RESIDENCE else None,
        created_by_id=client.updated_by_id,
        updated_by_id=client.updated_by_id,
    )
    session.add(period)


# First among the flush listeners, so that the audit trail sees the periods it adds.
@event.listens_for(Session, "before_flush", insert=True)
def _keep_status_in_step(session: Session, flush_context: Any, instances: Any) -> None:
    clients = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Client)]
    for client in clients:
        mirrored: set[str] = client.__dict__.pop("_kim_status_mirrored", set())
        pending = _pending_periods(session, client)
        for kind, column in CLIENT_COLUMN.items():
            if column in mirrored or kind.value in pending:
                continue
            history = inspect(client).attrs[column].history
            is_new = client in session.new
            if (is_new and getattr(client, column) is None) or (
                not is_new and not history.has_changes()
            ):
                continue
            _move_to(session, client, kind, getattr(client, column))
        client.__dict__.pop("_kim_status_details", None)


def remember_status_details(
    client: Client, source: str | None, title_expires_on: dt.date | None
) -> None:
    """Source and title expiry the client form gives along with a changed status."""
    client.__dict__["_kim_status_details"] = {
        "source": source or None,
        "title_expires_on": title_expires_on,
    }


def correct_open_residence(
    session: Session, client: Client, source: str | None, title_expires_on: dt.date | None
) -> None:
    """The client form kept the residence status but gave its source or title expiry anew:
    the open period takes them (a new status opens a period of its own, see above)."""
    if client.id is None or inspect(client).attrs.residence_status.history.has_changes():
        return
    period = open_period(session, client.id, K.RESIDENCE)
    if period is None:
        return
    if period.title_expires_on != title_expires_on:
        period.title_expires_on = title_expires_on
    if source and period.source != source:
        period.source = source


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringTitle:
    client_id: int
    client_name: str
    file_number: str
    status: str
    expires_on: dt.date
    days_left: int


def expiring_title_criteria(today: dt.date, within_days: int) -> list[Any]:
    """What makes an open residence period one of ``expiring_titles``."""
    return [
        StatusPeriod.kind == K.RESIDENCE,
        StatusPeriod.valid_until.is_(None),
        StatusPeriod.title_expires_on.is_not(None),
        StatusPeriod.title_expires_on <= today + dt.timedelta(days=within_days),
    ]


def expiring_titles(
    session: Session,
    criteria: list[Any],
    today: dt.date,
    within_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
    limit: int | None = None,
) -> list[ExpiringTitle]:
    """Open residence periods whose title expires within ``within_days`` (or has expired),
    the soonest first (the first ``limit``).

    ``criteria`` are the caller's visibility criteria on ``Client`` and, if wanted, more
    (e.g. the case manager's own clients).
    """
    statement = (
        select(StatusPeriod, Client)
        .join(Client, StatusPeriod.client_id == Client.id)
        .where(*expiring_title_criteria(today, within_days), *criteria)
        .order_by(StatusPeriod.title_expires_on, Client.id)
        .limit(limit)
    )
    rows = []
    for period, client in session.execute(statement):
        assert period.title_expires_on is not None  # noqa: S101 - filtered above
        rows.append(
            ExpiringTitle(
                client.id,
                f"{client.last_name}, {client.first_name}",
                client.file_number,
                period.value_label,
                period.title_expires_on,
                (period.title_expires_on - today).days,
            )
        )
    return rows


def inconsistent_clients(session: Session) -> list[int]:
    """Ids of clients whose columns differ from their open periods (should be none)."""
    mismatched = []
    for client in session.scalars(select(Client).order_by(Client.id)):
        for kind, column in CLIENT_COLUMN.items():
            period = open_period(session, client.id, kind)
            if (period.value if period else None) != getattr(client, column):
                mismatched.append(client.id)
                break
    return mismatched
