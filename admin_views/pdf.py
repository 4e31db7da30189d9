"""Printable documents as PDF: the same HTML a browser prints, rendered by WeasyPrint.

A printable page (meeting packet, integration plan, consent form) is one template extending
``print/base.html``: ``render_printable`` gives its HTML, which the browser shows and prints
as it is, and ``pdf_response`` turns the same HTML into a PDF download. WeasyPrint may read
only the app's own static files: every other address (the internet, the file system, the
app's pages) is left out, so a document neither leaks a request nor needs a network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Response, current_app, render_template
from flask_login import current_user

from admin_views.formatting import format_date
from app.clock import today
from app.extensions import db
from models.audit import record_event

STATIC_PREFIX = "/static/"


class ForeignResourceError(ValueError):
    """A document asked for something outside the app's static folder."""


def static_file(url: str) -> tuple[bytes, str]:
    """The bytes and content type of a ``/static/…`` address; anything else is refused."""
    static_root = Path(current_app.static_folder or "").resolve()
    path = urlsplit(url).path
    if path.startswith(STATIC_PREFIX):
        target = (static_root / path.removeprefix(STATIC_PREFIX)).resolve()
        if target.is_relative_to(static_root) and target.is_file():
            kind = "text/css" if target.suffix == ".css" else "application/octet-stream"
            return target.read_bytes(), kind
    raise ForeignResourceError(url)


def render_printable(template: str, **context: Any) -> str:
    """The HTML of a printable document (a template extending ``print/base.html``)."""
    return render_template(template, printed_on=format_date(today()), **context)


def render_pdf(html: str) -> bytes:
    # Importing WeasyPrint loads Pango. Imported here, a machine without Pango still runs
    # the app and fails only at a PDF download (README: the test command installs Pango).
    from weasyprint import HTML  # noqa: PLC0415
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            body, kind = static_file(url)
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    document = HTML(string=html, base_url="http://kim.invalid/", url_fetcher=StaticOnly())
    return document.write_pdf()


def pdf_response(html: str, filename: str) -> Response:
    """The PDF of ``html`` as a download named ``filename`` (umlauts kept, RFC 6266)."""
    response = Response(render_pdf(html), mimetype="application/pdf")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def audited_pdf_response(record: Any, html: str, filename: str) -> Response:
    """``pdf_response`` of a document about a person: audited as an export, like a CSV."""
    response = pdf_response(html, filename)
    record_event(
        db.session(), actor=current_user, action="export", record=record, details={"pdf": filename}
    )
    db.session.commit()
    return response
