"""Login, logout and sessions: generic failures, throttling, expiry, replay."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.throttle import ACCOUNT_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT, WINDOW
from app.auth.views import SESSION_STARTED_KEY, safe_next_url
from app.extensions import db
from app.factory import create_app
from models import LoginAttempt, User
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


@pytest.mark.commits  # the second app has an engine, and connections, of its own
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


def test_success_clears_the_account_count(client, auth, world, clock):
    for _ in range(ACCOUNT_FAILURE_LIMIT - 1):
        attempt(client, world.a.lead_email)
    clock.shift(1)
    auth.login(world.a.lead_email)
    auth.logout()
    clock.shift(1)
    for _ in range(ACCOUNT_FAILURE_LIMIT - 1):
        attempt(client, world.a.lead_email)
    auth.login(world.a.lead_email)
    auth.logout()
    clock.shift(1)
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        attempt(client, world.a.lead_email)
    assert attempt(client, world.a.lead_email, PASSWORD).status_code == 429


def test_throttle_ends_when_the_failures_leave_the_window(client, auth, world, clock):
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        attempt(client, world.a.lead_email)
    clock.shift(WINDOW.total_seconds() - 1)
    assert attempt(client, world.a.lead_email, PASSWORD).status_code == 429
    clock.shift(2)
    auth.login(world.a.lead_email)


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


def test_logout_is_post_only(client, auth, world):
    auth.login(world.a.case_manager_email)
    assert client.get("/logout").status_code == 405


def test_session_cookie_replayed_after_logout_is_refused(client, auth, world):
    auth.login(world.a.case_manager_email)
    stolen_cookie = client.get_cookie("session").value
    auth.logout()
    replay = auth.browser()
    replay.set_cookie("session", stolen_cookie)
    assert replay.get("/admin/clients/").status_code == 302


def test_password_change_ends_the_users_other_sessions(auth, world, session):
    laptop = auth.browser(world.a.case_manager_email)
    phone = auth.browser(world.a.case_manager_email)
    user = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    user.set_password("ein-ganz-neues-Passwort-2026")
    session.commit()
    assert phone.get("/admin/clients/").status_code == 302
    assert laptop.get("/admin/clients/").status_code == 302


def test_deactivated_user_is_logged_out_on_next_request(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    user = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    user.active = False
    session.commit()
    assert client.get("/admin/clients/").status_code == 302
    assert attempt(client, world.a.case_manager_email, PASSWORD).status_code == 200


def test_session_ends_after_the_absolute_lifetime(client, auth, world, app: Flask):
    auth.login(world.a.case_manager_email)
    with client.session_transaction() as cookie_session:
        cookie_session[SESSION_STARTED_KEY] -= app.config["KIM_SESSION_MAX_SECONDS"] + 1
    response = client.get("/admin/clients/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_a_busy_session_still_ends_after_the_absolute_lifetime(client, auth, world, app, clock):
    auth.login(world.a.case_manager_email)
    lifetime = app.config["KIM_SESSION_MAX_SECONDS"]
    step = app.permanent_session_lifetime.total_seconds() - 60  # active: never idle too long
    for _ in range(int(lifetime // step)):
        clock.shift(step)
        assert client.get("/admin/clients/").status_code == 200
    clock.shift(step)
    response = client.get("/admin/clients/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_session_cookie_is_httponly_lax_and_permanent_for_the_idle_timeout(client, world):
    response = client.post("/login", data={"email": world.a.lead_email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_session_ends_after_the_idle_timeout(app, client, auth, world, clock):
    auth.login(world.a.case_manager_email)
    idle_timeout = app.permanent_session_lifetime.total_seconds()
    clock.shift(idle_timeout)
    assert client.get("/admin/clients/").status_code == 200  # and the timeout starts again
    clock.shift(idle_timeout)
    assert client.get("/admin/clients/").status_code == 200
    clock.shift(idle_timeout + 1)
    assert client.get("/admin/clients/").status_code == 302


def test_the_frozen_clock_ends_no_session(client, auth, world):
    auth.login(world.a.case_manager_email)
    for _ in range(3):
        assert client.get("/admin/clients/").status_code == 200


def test_login_starts_a_fresh_session(client, auth, world):
    with client.session_transaction() as planted:
        planted["planted_by_someone_else"] = "x"
    before = client.get_cookie("session").value
    auth.login(world.a.case_manager_email)
    assert client.get_cookie("session").value != before
    with client.session_transaction() as after_login:
        assert "planted_by_someone_else" not in after_login
