"""Login attempts, kept in the database so that throttling holds across app workers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, utcnow


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_account", "account_key", "attempted_at"),
        Index("ix_login_attempt_address", "client_address", "attempted_at"),
    )

    id: Mapped[intpk]
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    account_key: Mapped[str] = mapped_column(
        String(64), comment="keyed hash of the entered e-mail; never the e-mail or password"
    )
    client_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool]
