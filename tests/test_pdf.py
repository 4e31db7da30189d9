"""Printable documents: the browser's HTML becomes a PDF that a PDF reader opens, offline."""

from __future__ import annotations

import io

import pytest
from flask import Flask, render_template_string
from pypdf import PdfReader

from admin_views.pdf import (
    ForeignResourceError,
    pdf_response,
    render_pdf,
    render_printable,
    static_file,
)
from tests.factories import TODAY

DOCUMENT = """{% extends "print/base.html" %}
{% block title %}Integrationsplan{% endblock %}
{% block body %}<h1>Integrationsplan</h1><p>Ziel: Deutschkurs B1 schaffen, Führerschein üben.</p>
{% endblock %}"""


def test_a_printable_page_becomes_a_pdf_with_its_german_text(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(DOCUMENT, printed_on="25.11.2026")
        response = pdf_response(html, "Integrationsplan Ünal.pdf")

    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Integrationsplan _nal.pdf"')
    assert "filename*=UTF-8''Integrationsplan%20%C3%9Cnal.pdf" in disposition
    text = PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text()
    assert "Deutschkurs B1 schaffen, Führerschein üben." in text
    assert "erstellt am 25.11.2026" in text


def test_the_pdf_reads_the_apps_own_stylesheet(app: Flask) -> None:
    with app.test_request_context():
        body, kind = static_file("http://kim.invalid/static/css/print.css")
    assert kind == "text/css"
    assert b"@page" in body


@pytest.mark.parametrize(
    "address",
    [
        "https://example.org/tracker.png",
        "file:///etc/passwd",
        "http://kim.invalid/static/../app/config.py",
        "http://kim.invalid/admin/clients/",
    ],
)
def test_the_pdf_may_fetch_nothing_but_static_files(app: Flask, address: str) -> None:
    with app.test_request_context(), pytest.raises(ForeignResourceError):
        static_file(address)


def test_a_foreign_image_is_left_out_not_fetched(app: Flask) -> None:
    with app.test_request_context():
        pdf = render_pdf('<p>Text</p><img src="https://example.org/x.png" alt="">')
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text().strip() == "Text"


def test_the_printable_page_carries_the_day_it_was_printed(app: Flask) -> None:
    with app.test_request_context():
        html = render_printable("print/base.html")
    assert f"erstellt am {TODAY:%d.%m.%Y}" in html
