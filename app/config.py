"""Configuration from the environment; missing essentials fail loudly outside tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class ConfigError(RuntimeError):
    pass


def _engine_options(database_url: str) -> dict[str, Any]:
    # Parameters never reach logs or error messages: they may hold personal data.
    options: dict[str, Any] = {"hide_parameters": True}
    if database_url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 15}
    else:
        options["pool_pre_ping"] = True
    return options


def _normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    testing = bool(overrides.get("TESTING"))
    configured_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
    if not configured_url:
        INSTANCE_DIR.mkdir(exist_ok=True)  # the embedded database lives in instance/
    database_url = _normalise_database_url(configured_url or f"sqlite:///{INSTANCE_DIR / 'kim.db'}")
    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret_key:
        if not (testing or os.environ.get("KIM_DEV") == "1"):
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment (or KIM_DEV=1 for a local demo)."
            )
        secret_key = "dev-only-not-secret"  # noqa: S105 - only with KIM_DEV=1 or in tests
    secure_cookies = os.environ.get("KIM_SECURE_COOKIES", "0") == "1"
    config: dict[str, Any] = {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("KIM_IDLE_TIMEOUT_SECONDS", "1800")),
        "SESSION_REFRESH_EACH_REQUEST": True,
        # How many reverse proxies stand in front of the app (app/security.py).
        "KIM_TRUSTED_PROXIES": int(os.environ.get("KIM_TRUSTED_PROXIES", "0")),
        "KIM_SESSION_MAX_SECONDS": int(os.environ.get("KIM_SESSION_MAX_SECONDS", "43200")),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "FLASK_ADMIN_SWATCH": "default",
        "KIM_PAGE_SIZE": 50,
        # Years after the last case closed until a client is anonymised (models/retention.py).
        "KIM_RETENTION_YEARS": int(os.environ.get("KIM_RETENTION_YEARS", "3")),
        # Issue 16: how early the start page names an expiring residence title / consent.
        "KIM_RESIDENCE_EXPIRY_DAYS": int(os.environ.get("KIM_RESIDENCE_EXPIRY_DAYS", "60")),
        "KIM_CONSENT_EXPIRY_DAYS": int(os.environ.get("KIM_CONSENT_EXPIRY_DAYS", "30")),
    }
    config.update(overrides)
    return config
