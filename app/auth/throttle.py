"""Login throttling per account and per client address (ASVS 5 §6.1.1, §6.3.1).

State lives in the database, so every app worker sees the same counts. A throttled
attempt gets the same message as a wrong password, whether the account exists or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import LoginAttempt

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20


def account_key(email: str, secret: str) -> str:
    """A keyed hash of the entered e-mail: counts per account without storing what was typed."""
    normalised = email.strip().lower().encode()
    return hmac.new(secret.encode(), normalised, hashlib.sha256).hexdigest()


def _recent_failures(
    session: Session, key_column: ColumnElement[bool], now: dt.datetime, since_success: bool
) -> int:
    """Failures within the window; for an account only those after its last success."""
    criteria = [
        key_column,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.attempted_at > now - WINDOW,
    ]
    if since_success:
        last_success = (
            select(func.max(LoginAttempt.attempted_at))
            .where(key_column, LoginAttempt.succeeded.is_(True))
            .scalar_subquery()
        )
        criteria.append(LoginAttempt.attempted_at > func.coalesce(last_success, now - WINDOW))
    return session.execute(select(func.count()).where(*criteria)).scalar_one()


def is_throttled(session: Session, key: str, address: str, now: dt.datetime) -> bool:
    """True once an account or a client address has failed too often within the window.

    A success clears the account's count but not the address's: one valid account must
    not let an address keep guessing at others.
    """
    account = _recent_failures(session, LoginAttempt.account_key == key, now, since_success=True)
    if account >= ACCOUNT_FAILURE_LIMIT:
        return True
    address_failures = _recent_failures(
        session, LoginAttempt.client_address == address, now, since_success=False
    )
    return address_failures >= ADDRESS_FAILURE_LIMIT


def record_attempt(
    session: Session, key: str, address: str, succeeded: bool, now: dt.datetime
) -> None:
    session.add(
        LoginAttempt(account_key=key, client_address=address, succeeded=succeeded, attempted_at=now)
    )
