"""The Art. 15 download on the client list: one ZIP of German Excel CSVs plus a README."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import abort, request
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from admin_views.csv_excel import csv_filename, csv_rows
from app.clock import BERLIN
from app.extensions import db
from models.audit import record_event
from models.base import utcnow
from models.client import Client
from models.subject_access import AccessTable, subject_access_tables
from models.visibility import Shelf, visible_one


def readme_text(client: Client, tables: list[AccessTable], by: str, at: dt.datetime) -> str:
    """Who produced the file, when, and what each CSV holds (German, CRLF for Windows)."""
    lines = [
        "Auskunft nach Art. 15 DSGVO",
        "",
        f"Betroffene Person: Aktenzeichen {client.file_number}",
        f"Erstellt am: {at.astimezone(BERLIN):%d.%m.%Y %H:%M} Uhr",
        f"Erstellt von: {by}",
        "",
        "Enthalten sind alle Daten, die KIM Admin zu dieser Person speichert:",
        *(f"- {table.filename}: {table.title} ({len(table.rows)} Zeilen)" for table in tables),
        "",
        "Die CSV-Dateien sind UTF-8 mit Semikolon als Trennzeichen und öffnen sich direkt",
        "in Microsoft Excel. Empfänger der Daten sind die in vermittlungen.csv genannten",
        "Stellen, jeweils mit dem Stand der Einwilligung zur Datenweitergabe; welche",
        "Einwilligungen für welche Empfänger, Zwecke und Datenarten vorliegen, steht in",
        "einwilligungen.csv.",
    ]
    return "\r\n".join(lines) + "\r\n"


def subject_access_zip(
    client: Client, tables: list[AccessTable], by: str, at: dt.datetime
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme_text(client, tables, by, at).encode("utf-8"))
        for table in tables:
            text = "".join(csv_rows(table.header, table.rows))
            archive.writestr(table.filename, text.encode("utf-8"))
    return buffer.getvalue()


class SubjectAccessMixin:
    """``GET /admin/clients/subject-access/?id=<id>``: only the lead of the owning org."""

    allows: Callable[[str], bool]
    get_url: Callable[..., str]

    def get_list_row_actions(self) -> list[Any]:
        actions: list[Any] = super().get_list_row_actions()  # type: ignore[misc]
        if self.allows("subject_access"):
            actions.append(
                EndpointLinkRowAction(
                    "fa fa-file-archive-o",
                    ".subject_access",
                    title=_("Auskunft nach Art. 15 DSGVO (ZIP)"),
                )
            )
        return actions

    @expose("/subject-access/")
    def subject_access(self) -> Response:
        # Archived clients too: their data is still stored, so it is part of the answer.
        client = visible_one(
            db.session(), current_user, Client, request.args.get("id"), shelf=Shelf.ANY
        )
        if client is None:
            abort(404)
        now = utcnow()
        tables = subject_access_tables(db.session(), current_user, client)
        payload = subject_access_zip(client, tables, current_user.full_name, now)
        record_event(
            db.session(),
            actor=current_user,
            action="export",
            record=client,
            details={"kind": "subject_access", "files": len(tables) + 1},
        )
        db.session.commit()
        filename = csv_filename("auskunft", client.file_number, day=now.astimezone(BERLIN).date())
        filename = filename.removesuffix(".csv") + ".zip"
        response = Response(payload, mimetype="application/zip")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
        )
        response.headers["Cache-Control"] = "no-store"
        return response
