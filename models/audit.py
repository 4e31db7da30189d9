"""The audit trail: who changed, archived, deleted, exported or signed in, and when.

An event is written in the same transaction as the change it describes, so a rolled-back
change leaves no event and a committed change always has one. Values are recorded only
for fields that cannot hold personal data; for personal, secret and free-text fields the
event names the field and nothing else.

``changed_fields`` is JSON: ``{"phase": ["intake", "assessment"], "last_name": null}``
means phase went from ``intake`` to ``assessment`` and the last name changed (value not
recorded).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, String, event, inspect
from sqlalchemy.orm import Mapped, RelationshipDirection, Session, mapped_column, relationship

from models.base import Base, intpk, utcnow
from models.choices import Choice
from models.owned import OrgOwned
from models.permissions import SystemJob

if TYPE_CHECKING:
    from models.user import User


class AuditAction(Choice):
    CREATE = "create", _l("angelegt")
    UPDATE = "update", _l("geändert")
    ARCHIVE = "archive", _l("archiviert")
    RESTORE = "restore", _l("wiederhergestellt")
    DELETE = "delete", _l("endgültig gelöscht")
    EXPORT = "export", _l("exportiert")
    LOGIN = "login", _l("Anmeldung")
    LOGIN_FAILED = "login_failed", _l("Anmeldung fehlgeschlagen")
    REFERRAL_STATUS = "referral_status", _l("Vermittlungsstatus geändert")


class AuditEvent(Base):
    """One audited action. Append-only: the app never updates or deletes an event."""

    __tablename__ = "audit_event"
    __table_args__ = (
        AuditAction.check("action"),
        Index("ix_audit_event_organisation_occurred", "organisation_id", "occurred_at"),
        Index("ix_audit_event_record", "record_type", "record_id"),
    )

    id: Mapped[intpk]
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # No foreign keys: the trail must outlive deleted accounts, records and organisations.
    actor_user_id: Mapped[int | None] = mapped_column(
        comment="who acted; empty for a failed login and for an operator's command"
    )
    actor_job: Mapped[str | None] = mapped_column(
        String(40), comment="the operator's command that acted (e.g. retention); empty for a person"
    )
    organisation_id: Mapped[int | None] = mapped_column(
        index=True,
        comment="owning organisation of the record; empty for configuration and logins",
    )
    action: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[int | None]
    changed_fields: Mapped[str | None] = mapped_column(
        String(20000),
        comment="JSON; values only of fields without personal data, names only otherwise",
    )
    details: Mapped[str | None] = mapped_column(
        String(2000), comment="JSON; e.g. export filters and row count, never personal data"
    )

    actor: Mapped[User | None] = relationship(
        "User", primaryjoin="foreign(AuditEvent.actor_user_id) == User.id", viewonly=True
    )

    def __str__(self) -> str:
        record = f"{self.record_type or ''} {self.record_id or ''}".strip()
        return f"{AuditAction.label_of(self.action)} {record}"


# --- which fields may have their values recorded ----------------------------------------

# Tables whose rows are not audited: the trail itself and pure bookkeeping.
UNAUDITED_TABLES = frozenset(
    {
        "audit_event",
        "number_sequence",
        "login_attempt",
        "statistics_generation",
        "statistics_rows",
    }
)
# Bookkeeping every change touches; recording it would only repeat the event's own data.
BOOKKEEPING = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by_id",
        "updated_by_id",
        "created_by",
        "updated_by",
        # Derived from the names on every write (models/search.py), never edited itself.
        "search_text",
    }
)
# Every column of every audited table, classified once: either its value may be written
# into the trail (``RECORDED``), or it is personal, secret or free text (``PERSONAL``), and
# the event names the field only. A column in neither is treated as personal, and
# tests/test_audit.py fails until someone classifies it. About a client, nearly every
# attribute is personal data (Art. 4 Nr. 1 DSGVO): only the lifecycle is recorded.
RECORDED: dict[str, frozenset[str]] = {
    "client": frozenset({"organisation_id", "archived_at"}),
    "case_file": frozenset(
        {
            "organisation_id",
            "client_id",
            "case_manager_id",
            "case_number",
            "opened_on",
            "closed_on",
            "phase",
            "closure_reason",
            "archived_at",
        }
    ),
    "case_topic": frozenset({"case_id", "topic_id"}),
    "contact": frozenset({"organisation_id", "case_id", "contact_date", "kind", "minutes"}),
    "barrier": frozenset(
        {
            "organisation_id",
            "case_id",
            "category_id",
            "partner_id",
            "observed_on",
            "status",
            "resolved_on",
            "structural_issue_id",
        }
    ),
    "referral": frozenset(
        {
            "organisation_id",
            "case_id",
            "partner_id",
            "topic_id",
            "referred_on",
            "follow_up_on",
            "status",
            "responded_on",
            "consent_confirmed",
            "receiving_case_id",
            # issue 16: the legal basis of a transfer is audited with its value
            "purpose",
            "consent_id",
            "statutory_basis",
            "consent_withdrawn_on",
        }
    ),
    "partner": frozenset(
        {
            "name",
            "kind",
            "benefits_domain",
            "street",
            "postcode",
            "city",
            "website",
            "active",
            "organisation_id",
        }
    ),
    "barrier_category": frozenset({"name", "sort_order", "active"}),
    "topic": frozenset({"name", "sort_order", "active"}),
    "organisation": frozenset({"slug", "name", "active", "no_contact_days"}),
    "user_account": frozenset({"organisation_id", "role", "active", "last_login_at"}),
    "retention_log": frozenset(
        {"occurred_at", "organisation_id", "record_type", "record_id", "reason"}
    ),
    # The system level (models.structural): no persons; free texts are named only.
    "working_group": frozenset({"name", "sort_order", "active"}),
    "structural_issue": frozenset(
        {
            "number",
            "category_id",
            "partner_id",
            "benefits_domain",
            "responsible_partner_id",
            "working_group_id",
            "priority",
            "status",
            "merged_into_id",
            "reported_on",
            "validated_on",
            "decided_on",
            "closed_on",
            "effect_rating",
            "status_changed_at",
        }
    ),
    "measure": frozenset(
        {
            "issue_id",
            "responsible_partner_id",
            "meeting_id",
            "decided_on",
            "due_on",
            "status",
            "implemented_on",
            "indicator_category_id",
            "indicator_partner_id",
            "indicator_benefits_domain",
            "indicator_quarters",
        }
    ),
    "meeting": frozenset({"kind", "held_on", "working_group_id"}),
    "agenda_item": frozenset({"meeting_id", "issue_id", "position"}),
    # Integrationsplan und Aufgaben (issue 15)
    "integration_plan": frozenset(
        {
            "organisation_id",
            "case_id",
            "revision",
            "status",
            "agreed_on",
            "agreement_form",
            "interpreter_used",
            "review_on",
        }
    ),
    "plan_goal": frozenset(
        {"organisation_id", "plan_id", "case_id", "topic_id", "target_on", "status"}
    ),
    "plan_step": frozenset(
        {
            "organisation_id",
            "goal_id",
            "case_id",
            "responsible",
            "partner_id",
            "due_on",
            "done_on",
            "referral_id",
        }
    ),
    "task": frozenset(
        {
            "organisation_id",
            "case_id",
            "assignee_id",
            "kind",
            "due_on",
            "done_on",
            "status",
            "source_kind",
            "source_id",
        }
    ),
    # issue 16: status periods and consents are logged without their values
    "status_period": frozenset({"organisation_id", "client_id", "kind"}),
    "consent": frozenset({"organisation_id", "client_id", "kind"}),
    "consent_recipient": frozenset({"consent_id", "partner_id"}),
    "consent_template": frozenset({"organisation_id", "language"}),
}
PERSONAL: dict[str, frozenset[str]] = {
    "client": frozenset(
        {
            "file_number",
            "first_name",
            "last_name",
            "date_of_birth",
            "gender",
            "country_of_origin",
            "nationality",
            "languages",
            "needs_interpreter",
            "arrival_date",
            "residence_status",
            "benefits_domain",
            "household_size",
            "phone",
            "email",
            "street",
            "postcode",
            "district",
            "consent_given_on",
            "consent_withdrawn_on",
            "notes",
        }
    ),
    "case_file": frozenset({"goals"}),
    "contact": frozenset({"note"}),
    "barrier": frozenset({"description"}),
    "referral": frozenset({"reason", "outcome", "decline_reason"}),
    # A partner's phone, e-mail and contact person are often one person's direct line.
    "partner": frozenset({"phone", "email", "contact_person"}),
    "barrier_category": frozenset({"description"}),
    "topic": frozenset({"description"}),
    "user_account": frozenset({"email", "full_name", "password_hash", "session_token"}),
    "working_group": frozenset({"description"}),
    "structural_issue": frozenset(
        {"title", "description", "status_reason", "effect_justification"}
    ),
    "measure": frozenset({"title", "description", "responsible_function"}),
    "meeting": frozenset({"title", "notes"}),
    "agenda_item": frozenset({"decision"}),
    # The language a client speaks, the goals in their words, what they agreed to do.
    "integration_plan": frozenset({"language", "notes"}),
    "plan_goal": frozenset({"text"}),
    "plan_step": frozenset({"description"}),
    "task": frozenset({"note"}),
    "status_period": frozenset(
        {"value", "partner_id", "valid_from", "valid_until", "source", "title_expires_on"}
    ),
    "consent": frozenset(
        {
            "purposes",
            "data_categories",
            "form",
            "language",
            "interpreter",
            "signed_on",
            "valid_until",
            "withdrawn_on",
            "note",
            "scan_reference",
            "taken_over_from",
        }
    ),
    "consent_template": frozenset({"title", "body"}),
}


def is_personal(column: Any) -> bool:
    """True unless the column is classified as one whose value may be recorded."""
    table = getattr(getattr(column, "table", None), "name", None)
    return column.key not in RECORDED.get(table or "", frozenset())


def _is_org_owned(model: type[Any]) -> bool:
    return issubclass(model, OrgOwned)


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


MANYTOONE = RelationshipDirection.MANYTOONE
MANYTOMANY = RelationshipDirection.MANYTOMANY


def _identity(record: Any) -> Any:
    return getattr(record, "id", None)


def changed_fields(record: Any) -> dict[str, Any]:
    """The fields of ``record`` changed since it was loaded (or set, if new), before flush.

    Non-personal fields map to ``[old, new]``; personal ones to ``None``. Many-to-one links
    are recorded as ids under the relationship's name, many-to-many as sorted id lists;
    one-to-many children are audited as records of their own.
    """
    state = inspect(record)
    mapper = state.mapper
    skipped = set(BOOKKEEPING)
    if _is_org_owned(mapper.class_):
        skipped |= {"organisation_id", "organisation"}
    changes: dict[str, Any] = {}
    for link in mapper.relationships:
        if link.key not in skipped and not link.viewonly:
            change = _link_change(state, link)
            if change is not None:
                changes[link.key] = change
    for attribute in mapper.column_attrs:
        key = attribute.key
        if key in skipped or any(name in changes for name in _relations_of(mapper, key)):
            continue
        history = state.attrs[key].history
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if not history.has_changes() or old == new or (state.pending and new is None):
            continue
        column = attribute.columns[0]
        changes[key] = None if is_personal(column) else [_jsonable(old), _jsonable(new)]
    return changes


def _link_change(state: Any, link: Any) -> list[Any] | None:
    """``[old id, new id]`` of a many-to-one link, ``[old ids, new ids]`` of a many-to-many."""
    history = state.attrs[link.key].history
    if not history.has_changes():
        return None
    if link.direction is MANYTOMANY:
        old_ids = sorted(_identity(r) for r in (*history.unchanged, *history.deleted))
        new_ids = sorted(_identity(r) for r in (*history.unchanged, *history.added))
        return [old_ids, new_ids] if old_ids != new_ids else None
    if link.direction is not MANYTOONE:
        return None
    new = _identity(history.added[0]) if history.added else None
    old = _identity(history.deleted[0]) if history.deleted else _loaded_foreign_key(state, link)
    if old == new or (state.pending and new is None):
        return None
    return [old, new]


def _loaded_foreign_key(state: Any, link: Any) -> Any:
    """The link's id as loaded, when the old related object itself was never loaded."""
    local_keys = [state.mapper.get_property_by_column(c).key for c in link.local_columns]
    if len(local_keys) != 1:
        return None
    history = state.attrs[local_keys[0]].history
    loaded = history.deleted or history.unchanged
    return loaded[0] if loaded else None


def _relations_of(mapper: Any, column_key: str) -> list[str]:
    return [
        link.key
        for link in mapper.relationships
        if link.direction is MANYTOONE
        and any(mapper.get_property_by_column(c).key == column_key for c in link.local_columns)
    ]


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=_jsonable, ensure_ascii=False, sort_keys=True)


def record_type_of(record: Any) -> str:
    return type(record).__name__


def record_event(
    session: Session,
    *,
    actor: Any,
    action: AuditAction | str,
    record: Any = None,
    record_type: str | None = None,
    record_id: int | None = None,
    organisation_id: int | None = None,
    changed: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to ``session``: it is committed, or rolled back, with the change.

    ``actor`` is a user (or its id), an operator's command (``SystemJob``), or None for a
    failed login. For a record without an id yet the session is flushed first.
    """
    if record is not None:
        if getattr(record, "id", None) is None:
            session.flush()
        record_type = record_type or record_type_of(record)
        record_id = record.id
        if organisation_id is None and _is_org_owned(type(record)):
            organisation_id = record.organisation_id
    job = actor.name if isinstance(actor, SystemJob) else None
    actor_id = actor if isinstance(actor, int) or actor is None else getattr(actor, "id", None)
    audit_event = AuditEvent(
        occurred_at=utcnow(),
        actor_user_id=actor_id,
        actor_job=job,
        organisation_id=organisation_id,
        action=AuditAction(action).value,
        record_type=record_type,
        record_id=record_id,
        changed_fields=to_json(changed) if changed else None,
        details=to_json(details),
    )
    session.add(audit_event)
    return audit_event


# --- automatic events for the admin's writes ---------------------------------------------

ACTOR_KEY = "kim_audit_actor"
PENDING_KEY = "kim_audit_pending"


def set_actor(session: Session, actor: int | SystemJob | None) -> None:
    """From now on, every flush of ``session`` writes an event per changed record.

    ``actor`` is the signed-in user's id, or the operator's command run from the CLI.
    """
    if actor is None:
        session.info.pop(ACTOR_KEY, None)
    else:
        session.info[ACTOR_KEY] = actor


def is_audited(record: Any) -> bool:
    table = getattr(type(record), "__tablename__", None)
    return table is not None and table not in UNAUDITED_TABLES


def _action_of_update(record: Any, changes: dict[str, Any]) -> AuditAction:
    archived = changes.get("archived_at")
    if isinstance(archived, list) and len(changes) == 1:
        return AuditAction.ARCHIVE if archived[1] is not None else AuditAction.RESTORE
    if record_type_of(record) == "Referral" and "status" in changes:
        return AuditAction.REFERRAL_STATUS
    return AuditAction.UPDATE


@event.listens_for(Session, "before_flush")
def _collect_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for record in (*session.dirty, *session.deleted):
        if isinstance(record, AuditEvent) and (
            record in session.deleted or session.is_modified(record)
        ):
            raise PermissionError("audit events are never changed or deleted")
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        return
    pending: list[tuple[Any, AuditAction, dict[str, Any] | None]] = []
    for record in session.new:
        if is_audited(record):
            pending.append((record, AuditAction.CREATE, changed_fields(record)))
    for record in session.dirty:
        if is_audited(record) and session.is_modified(record):
            changes = changed_fields(record)
            if changes:
                pending.append((record, _action_of_update(record, changes), changes))
    for record in session.deleted:
        if is_audited(record):
            pending.append((record, AuditAction.DELETE, None))
    session.info[PENDING_KEY] = pending


@event.listens_for(Session, "after_flush_postexec")
def _write_events(session: Session, flush_context: Any) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    actor = session.info.get(ACTOR_KEY)
    for record, action, changes in pending:
        record_event(session, actor=actor, action=action, record=record, changed=changes)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous_transaction: Any) -> None:
    session.info.pop(PENDING_KEY, None)
