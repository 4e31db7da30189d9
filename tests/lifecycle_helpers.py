"""Helpers for the audit, archive, concurrency and fault tests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from models import AuditEvent
from tests.factories import CONSENT_GIVEN_ON

# The test's connection (rolled back) or, in a test that commits for real, the engine.
Database = Connection | Engine


def client_form(**values: Any) -> dict[str, Any]:
    return {
        "first_name": "Leyla",
        "last_name": "Y\u0131lmaz",
        "date_of_birth": "1988-04-12",
        "gender": "female",
        "residence_status": "toleration",
        "household_size": "3",
        "phone": "0211 555 0199",
        "email": "leyla.yilmaz@example.net",
        "street": "Kölner Straße 7",
        "postcode": "40233",
        "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
        "notes": "Vertrauliche Notiz zur Familie",
        **values,
    }


def events(database: Database, include_logins: bool = False, **where: Any) -> list[AuditEvent]:
    """Audit events in order; the tests' own logins are left out unless asked for."""
    with Session(database) as session:
        statement = select(AuditEvent).order_by(AuditEvent.id)
        if not include_logins:
            statement = statement.where(AuditEvent.action.not_in(["login", "login_failed"]))
        for name, value in where.items():
            statement = statement.where(getattr(AuditEvent, name) == value)
        found = list(session.scalars(statement))
        session.expunge_all()
        return found


def changes_of(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.changed_fields or "{}")


def count_rows(database: Database, model: type[Any], *criteria: Any) -> int:
    with Session(database) as session:
        return session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0


def audit_table_text(database: Database) -> str:
    """Every stored column of every audit event, as one text to search for leaked values."""
    with Session(database) as session:
        rows = session.execute(select(AuditEvent.__table__)).all()
    return "\n".join(repr(tuple(row)) for row in rows)
