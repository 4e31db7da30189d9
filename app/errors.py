"""German error pages with a reference id that is also in the server log."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.extensions import db

log = logging.getLogger(__name__)

TITLES = {
    400: "Ungültige Anfrage",
    403: "Kein Zugriff",
    404: "Nicht gefunden",
    405: "Nicht erlaubt",
    413: "Anfrage zu groß",
    429: "Zu viele Anfragen",
    500: "Interner Fehler",
    503: "Bitte erneut versuchen",
}
MESSAGES = {
    400: "Die Anfrage konnte nicht verarbeitet werden.",
    403: "Sie haben keine Berechtigung für diese Seite.",
    404: "Die Seite oder der Datensatz existiert nicht.",
    405: "Diese Aktion ist auf diesem Weg nicht möglich.",
    413: "Die gesendeten Daten sind zu groß.",
    429: "Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
    500: "Es ist ein unerwarteter Fehler aufgetreten. Es wurde nichts gespeichert.",
    503: "Die Datenbank ist gerade ausgelastet. Bitte versuchen Sie es in einem Moment erneut; "
    "es wurde nichts gespeichert.",
}


def render_error(status: int, reference: str | None = None) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Fehler"),
            message=MESSAGES.get(status, MESSAGES[500]),
            reference=reference,
        ),
        status,
    )


def end_request_session(error: BaseException | None) -> None:
    """Close the request's session without letting a dropped connection escape.

    Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order). If the
    database went away mid-request, the rollback in ``close`` fails too; an exception
    raised here would bypass every error handler and reach the WSGI server as its bare
    500, after the German 503 page had already been chosen.
    """
    try:
        db.session.remove()
    except SQLAlchemyError:
        log.warning("database connection lost while ending the request", exc_info=True)
        try:
            db.session.registry().invalidate()
        except SQLAlchemyError:
            log.warning("could not invalidate the lost connection", exc_info=True)
        db.session.registry.clear()


def register_error_handlers(app: Flask) -> None:
    app.teardown_appcontext(end_request_session)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        reference = uuid.uuid4().hex[:8]
        log.warning("CSRF refused [%s]: %s", reference, error.description)
        page, status = render_error(400, reference)
        return page.replace(
            MESSAGES[400],
            "Das Formular ist abgelaufen oder ungültig. Bitte laden Sie die Seite neu.",
        ), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        reference = uuid.uuid4().hex[:8] if error.code >= 500 else None
        if reference:
            log.error("HTTP %s [%s]", error.code, reference)
        return render_error(error.code, reference)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> Any:
        db.session.rollback()
        reference = uuid.uuid4().hex[:8]
        log.error("database unavailable [%s]: %s", reference, error.orig)
        return render_error(ServiceUnavailable.code, reference)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        db.session.rollback()
        reference = uuid.uuid4().hex[:8]
        log.exception("unexpected error [%s]", reference)
        return render_error(InternalServerError.code, reference)
