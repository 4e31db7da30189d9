"""Login, logout and sessions: generic failures, throttling, expiry, replay."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.throttle import ACCOUNT_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT
from app.auth.views import SESSION_STARTED_KEY, safe_next_url
from app.extensions import db
from app.factory import create_app
from models import LoginAttempt, User
from tests.conftest import login
from tests.factories import PASSWORD

GENERIC_FAILURE = "E-Mail-Adresse oder Passwort ist nicht korrekt."


def attempt(client, email, password="falsches-Passwort-123"):
    return client.post("/login", data={"email": email, "password": password})


def test_wrong_password_and_unknown_account_get_the_same_message(client, world):
    wrong_password = attempt(client, world.a.case_manager_email)
    unknown_account = attempt(client, "niemand@example.org")
    for response in (wrong_password, unknown_account):
        assert response.status_code == 200
        assert GENERIC_FAILURE in response.get_data(as_text=True)


def test_login_with_correct_password_opens_the_start_page(client, world):
    response = client.post(
        "/login", data={"email": world.a.case_manager_email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_attempts_are_stored_without_email_or_password(client, world, session):
    attempt(client, world.a.case_manager_email, password="mein-geheimes-Passwort")
    (stored,) = session.execute(select(LoginAttempt)).scalars()
    assert world.a.case_manager_email not in stored.account_key
    assert len(stored.account_key) == 64
    assert stored.succeeded is False


@pytest.mark.parametrize("account_exists", [True, False])
def test_account_is_throttled_after_repeated_failures(client, world, account_exists):
    email = world.a.case_manager_email if account_exists else "unbekannt@example.org"
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        assert attempt(client, email).status_code == 200
    throttled = client.post("/login", data={"email": email, "password": PASSWORD})
    assert throttled.status_code == 429
    assert GENERIC_FAILURE in throttled.get_data(as_text=True)


def test_throttling_holds_across_two_app_instances_sharing_the_database(app, world):
    second_app = create_app(dict(app.config))
    first, second = app.test_client(), second_app.test_client()
    try:
        for number in range(ACCOUNT_FAILURE_LIMIT):
            worker = first if number % 2 else second
            attempt(worker, world.a.lead_email)
        for worker in (first, second):
            refused = worker.post(
                "/login", data={"email": world.a.lead_email, "password": PASSWORD}
            )
            assert refused.status_code == 429
    finally:
        with second_app.app_context():
            db.engine.dispose()


def test_client_address_is_throttled_across_accounts(client, world):
    for number in range(ADDRESS_FAILURE_LIMIT):
        attempt(client, f"versuch{number}@example.org")
    refused = client.post("/login", data={"email": world.a.lead_email, "password": PASSWORD})
    assert refused.status_code == 429


def test_success_clears_the_account_count(client, world):
    for _ in range(ACCOUNT_FAILURE_LIMIT - 1):
        attempt(client, world.a.lead_email)
    login(client, world.a.lead_email)
    client.post("/logout")
    attempt(client, world.a.lead_email)
    login(client, world.a.lead_email)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "///evil.example",
        "https://evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
    ],
)
def test_next_parameter_never_leaves_the_site(app, target):
    with app.test_request_context():
        assert safe_next_url(target) == "/admin/"


def test_next_parameter_keeps_a_local_path(client, world):
    response = client.post(
        "/login?next=/admin/cases/", data={"email": world.a.lead_email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/admin/cases/"


def test_anonymous_admin_request_redirects_to_login_with_next(client):
    response = client.get("/admin/clients/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_is_post_only(client, world):
    login(client, world.a.case_manager_email)
    assert client.get("/logout").status_code == 405


def test_session_cookie_replayed_after_logout_is_refused(app, world):
    client = app.test_client()
    login(client, world.a.case_manager_email)
    stolen_cookie = client.get_cookie("session").value
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)
    assert replay.get("/admin/clients/").status_code == 302


def test_password_change_ends_the_users_other_sessions(app, world, session):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, world.a.case_manager_email)
    login(phone, world.a.case_manager_email)
    user = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    user.set_password("ein-ganz-neues-Passwort-2026")
    session.commit()
    assert phone.get("/admin/clients/").status_code == 302
    assert laptop.get("/admin/clients/").status_code == 302


def test_deactivated_user_is_logged_out_on_next_request(client, world, session):
    login(client, world.a.case_manager_email)
    user = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    user.active = False
    session.commit()
    assert client.get("/admin/clients/").status_code == 302
    assert attempt(client, world.a.case_manager_email, PASSWORD).status_code == 200


def test_session_ends_after_the_absolute_lifetime(client, world, app: Flask):
    login(client, world.a.case_manager_email)
    with client.session_transaction() as cookie_session:
        cookie_session[SESSION_STARTED_KEY] -= app.config["KIM_SESSION_MAX_SECONDS"] + 1
    response = client.get("/admin/clients/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_session_cookie_is_httponly_lax_and_permanent_for_the_idle_timeout(client, world):
    response = client.post("/login", data={"email": world.a.lead_email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_session_ends_after_the_idle_timeout(app, client, world, monkeypatch):
    login(client, world.a.case_manager_email)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", dt.timedelta(seconds=1))
    time.sleep(2.1)
    assert client.get("/admin/clients/").status_code == 302


def test_login_starts_a_fresh_session(client, world):
    with client.session_transaction() as planted:
        planted["planted_by_someone_else"] = "x"
    before = client.get_cookie("session").value
    login(client, world.a.case_manager_email)
    assert client.get_cookie("session").value != before
    with client.session_transaction() as after_login:
        assert "planted_by_someone_else" not in after_login
