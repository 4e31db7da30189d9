"""Browser hardening, safe redirects and German error pages (issue: security hardening)."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy.exc import ProgrammingError

import admin_views.start
from tests.factories import CONSENT_GIVEN_ON


def test_html_pages_carry_a_strict_policy_and_are_not_cached(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/clients/")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_every_inline_script_carries_the_nonce_of_its_response(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/cases/new/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.get_data(as_text=True))
    assert scripts
    for attributes in scripts:
        assert f'nonce="{nonce}"' in attributes


def test_the_nonce_changes_per_response(client, auth, world):
    auth.login(world.a.case_manager_email)
    first = client.get("/admin/").headers["Content-Security-Policy"]
    second = client.get("/admin/").headers["Content-Security-Policy"]
    assert first != second


def test_csv_downloads_are_not_cached_and_not_sniffed(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/clients/export/csv/")
    response.get_data()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_hsts_is_sent_when_cookies_are_secure(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"],
)
def test_flask_admin_return_url_stays_on_the_site(client, auth, world, target):
    auth.login(world.a.case_manager_email)
    page = client.get("/admin/clients/new/", query_string={"url": target})
    assert "evil.example" not in page.get_data(as_text=True)
    assert "javascript:alert" not in page.get_data(as_text=True)
    saved = client.post(
        "/admin/clients/new/",
        query_string={"url": target},
        data={
            "first_name": "A",
            "last_name": "B",
            "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
        },
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].startswith("/admin/")


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/admin/gibt-es-nicht/", 404, "Nicht gefunden"),
        ("/admin/organisations/", 403, "Kein Zugriff"),
        ("/logout", 405, "Nicht erlaubt"),
    ],
)
def test_error_pages_are_german(client, auth, world, path, status, title):  # noqa: PLR0917 - pytest passes fixtures
    auth.login(world.a.case_manager_email)
    response = client.get(path)
    assert response.status_code == status
    assert title in response.get_data(as_text=True)


def test_a_database_error_shows_a_reference_but_no_sql_or_values(
    client, auth, world, monkeypatch, caplog
):
    def failing_counts(*args, **kwargs):
        raise ProgrammingError(
            "SELECT last_name FROM client WHERE last_name = 'Haddad'", {"x": "Haddad"}, None
        )

    monkeypatch.setattr(admin_views.start, "caseload_counts", failing_counts)
    auth.login(world.a.case_manager_email)
    with caplog.at_level(logging.ERROR):
        response = client.get("/admin/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Interner Fehler" in body
    assert "SELECT" not in body
    assert "Haddad" not in body
    reference = re.search(r"Referenz für den Support: ([0-9a-f]{8})", body).group(1)
    assert reference in caplog.text
