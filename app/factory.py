"""The application factory: every part is imported here, at the top, and bound in ``create_app``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, url_for
from sqlalchemy import event, text
from werkzeug.wrappers import Response as BaseResponse

from admin_views import register_admin as build_admin
from app.auth.views import blueprint as auth_blueprint
from app.cli import users_cli
from app.clock import today
from app.config import load_config
from app.errors import register_error_handlers
from app.extensions import babel, csrf, db, login_manager, migrate
from app.maintenance_cli import backup_command, restore_command, retention_command
from app.security import (
    csp_nonce,
    register_request_guards,
    register_security_headers,
    trust_reverse_proxies,
)
from app.tasks_cli import expiry_windows, tasks_cli
from models.statistics.generation import store_counted_rows
from models.tasks import install_task_sync


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.update(load_config(config))
    register_extensions(app)
    register_auth(app)
    register_admin(app)
    register_cli(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_request_guards(app)
    trust_reverse_proxies(app)
    register_health(app)
    register_statistics_store(app)
    # Automatic tasks follow their sources in the transaction that changes them.
    install_task_sync(today, expiry_windows(app.config))
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "de", timezone_selector=lambda: "Europe/Berlin")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(
                db.engine,
                "connect",
                lambda connection, record: _sqlite_pragmas(connection, record, app.config),
            )


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any, config: Any = None) -> None:
    """Foreign keys enforced, WAL for concurrent readers, a wait instead of 'locked'.

    The wait (``KIM_SQLITE_BUSY_TIMEOUT_MS``, default 15 s) is read per new connection.
    """
    busy_timeout_ms = int((config or {}).get("KIM_SQLITE_BUSY_TIMEOUT_MS", 15000))
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def register_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melden Sie sich an."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.register_blueprint(auth_blueprint)


def register_admin(app: Flask) -> None:
    build_admin(app, csp_nonce_generator=csp_nonce)

    @app.route("/")
    def root() -> Response:
        return redirect(url_for("admin.index"))  # type: ignore[return-value]


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(tasks_cli)


def register_statistics_store(app: Flask) -> None:
    """The grouped counts a request counted are stored for every worker when it ends
    (``models/statistics/generation.py``): the next worker that shows them reads them."""

    @app.after_request
    def store_statistics_rows(response: BaseResponse) -> BaseResponse:
        store_counted_rows(db.session, today(), end_reading=True)
        return response


def register_health(app: Flask) -> None:
    @app.route("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return {"status": "unavailable"}, 503
        return {"status": "ok"}, 200
