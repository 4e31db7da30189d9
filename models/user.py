"""Staff accounts: one role each, and an organisation for the case-level roles."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import Base, created_at, intpk, str200, updated_at
from models.choices import Role
from models.organisation import Organisation

# ASVS 5 Appendix C: PBKDF2-HMAC-SHA256 with at least 600,000 iterations.
PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"  # noqa: S105 - a method name, not a secret
# A hash of a random password, checked when an e-mail is unknown so that a failed
# login takes the same time whether the account exists or not.
_DUMMY_PASSWORD_HASH = generate_password_hash(secrets.token_urlsafe(16), PASSWORD_HASH_METHOD)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        Role.check("role"),
        # Case-level roles belong to exactly one organisation; the others to none.
        CheckConstraint(
            "(role IN ('case_manager', 'org_lead')) = (organisation_id IS NOT NULL)",
            name="organisation_matches_role",
        ),
        # E-mails are stored lower-case (see _normalise_email), so this is case-insensitive.
        UniqueConstraint("email"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str200]
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(
        String(255), comment="salted PBKDF2 hash; the password itself is never stored"
    )
    # Flask-Login's session id: rotating it ends every session of this user at once.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.full_name

    @validates("email")
    def _normalise_email(self, key: str, email: str) -> str:
        return email.strip().lower()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        """An account works while it and its organisation are active (``active_accounts``)."""
        return self.active and (self.organisation is None or self.organisation.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, PASSWORD_HASH_METHOD)
        self.end_all_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()


def check_password_for_unknown_user(password: str) -> bool:
    """Spend the time of a real check and fail, so unknown e-mails are not revealed."""
    check_password_hash(_DUMMY_PASSWORD_HASH, password)
    return False


def active_accounts() -> list[ColumnElement[bool]]:
    """``User.is_active`` as SQL: the account and its organisation (if any) are active."""
    active_organisations = select(Organisation.id).where(Organisation.active.is_(True))
    return [
        User.active.is_(True),
        or_(User.organisation_id.is_(None), User.organisation_id.in_(active_organisations)),
    ]
