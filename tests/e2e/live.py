"""The app as a browser sees it: a real HTTP server on a free loopback port, in a thread.

A fresh SQLite file, migrated like production and filled by the demo seed for a fixed day.
CSRF stays on. The only difference from production: the session cookie carries no expiry
date, because the server runs on a travelled clock (``E2E_NOW``) and Chromium, on the real
one, would throw away a cookie whose expiry lies in its past. The server still ends idle and
old sessions itself (the cookie's signed timestamp and ``KIM_SESSION_MAX_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app.extensions import db
from app.factory import create_app
from seeds.demo import DEFAULT_PASSWORD, seed_demo

# A Wednesday morning in Düsseldorf (10:00); the seed and the app both see this day.
E2E_NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
E2E_TODAY = E2E_NOW.date()
PASSWORD = DEFAULT_PASSWORD
CLIENTS_PER_ORGANISATION = 4


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: the test output stays readable."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class BrowserSessionCookies(SecureCookieSessionInterface):
    """A session cookie without ``Expires``: the browser's clock is not the server's."""

    def get_expiration_time(self, app: Flask, session: Any) -> None:
        return None


@dataclass
class LiveServer:
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        with self.app.app_context():
            db.engine.dispose()


def build_app(database: Path) -> Flask:
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": True,
        }
    )
    app.session_interface = BrowserSessionCookies()
    with app.app_context():
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))
        seed_demo(db.session(), clients_per_org=CLIENTS_PER_ORGANISATION, today=E2E_TODAY)
        db.session.commit()
        db.session.remove()
    return app


def start_live_server(workdir: Path) -> LiveServer:
    app = build_app(workdir / "kim-e2e.db")
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="kim-e2e-server", daemon=True)
    thread.start()
    return LiveServer(app=app, server=server, thread=thread)
