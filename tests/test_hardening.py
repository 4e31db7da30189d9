"""Defects found by probing the deployed app (issue 12), each with the test that shows it fixed.

Personal values in the audit trail, deactivated organisations, referrals answered by their
sender, malformed parameters that were a 500, a lost connection at teardown, one's own
password changed without the current one, and the client address behind a proxy.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.clock import today
from app.extensions import db
from app.factory import create_app
from models import Base, Case, Client, LoginAttempt, Organisation, Partner, Referral, User
from models.audit import BOOKKEEPING, PERSONAL, RECORDED, UNAUDITED_TABLES
from models.choices import ReferralStatus
from tests.factories import PASSWORD, World, make_partner, make_referral
from tests.lifecycle_helpers import audit_table_text, client_form

# --- 3. the audit trail holds no personal value, by construction ------------------------


def audited_columns() -> list[tuple[str, str]]:
    return [
        (table.name, column.key)
        for table in Base.metadata.sorted_tables
        if table.name not in UNAUDITED_TABLES
        for column in table.columns
        if column.key not in BOOKKEEPING
    ]


def test_every_column_of_every_audited_table_is_classified_once() -> None:
    """A new column fails here until someone decides whether its value may be recorded."""
    unclassified = [
        (table, column)
        for table, column in audited_columns()
        if column not in RECORDED.get(table, set()) and column not in PERSONAL.get(table, set())
    ]
    both = [
        (table, column)
        for table, column in audited_columns()
        if column in RECORDED.get(table, set()) and column in PERSONAL.get(table, set())
    ]
    assert unclassified == []
    assert both == []


def test_erasing_a_client_leaves_none_of_its_values_in_the_audit_trail(
    client: FlaskClient, auth, engine, session: Session, world: World
) -> None:
    auth.login(world.a.lead_email)
    form = client_form(languages="Tigrinya, Arabisch", arrival_date="2015-08-15")
    assert client.post("/admin/clients/new/", data=form).status_code == 302
    new_id = session.scalar(select(Client.id).where(Client.last_name == "Y\u0131lmaz"))
    version = session.get_one(Client, new_id).version
    edited = client_form(
        languages="Tigrinya", postcode="40477", residence_status="humanitarian", row_version=version
    )
    client.post(f"/admin/clients/edit/?id={new_id}", data=edited)
    client.post("/admin/clients/delete/", data={"id": new_id})  # archives
    client.post("/admin/archive-clients/action/", data={"action": "delete", "rowid": str(new_id)})
    session.expire_all()
    assert session.get(Client, new_id) is None, "the client was erased"

    trail = audit_table_text(engine)
    for value in ("Tigrinya", "Arabisch", "2015-08-15", "40477", "40233", "humanitarian"):
        assert value not in trail, value
    assert "languages" in trail  # the trail still says which field changed


# --- 4. and 5. who may still act ---------------------------------------------------------


def test_users_of_a_deactivated_organisation_cannot_sign_in_and_their_sessions_end(
    app: Flask, client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.a.case_manager_email)
    assert client.get("/admin/clients/").status_code == 200

    session.get_one(Organisation, world.a.organisation_id).active = False
    session.commit()

    assert client.get("/admin/clients/").status_code == 302  # back to the login page
    other = app.test_client()
    refused = other.post("/login", data={"email": world.a.lead_email, "password": PASSWORD})
    assert refused.status_code == 200
    assert other.get("/admin/clients/").status_code == 302
    # The other organisation works on.
    colleague_elsewhere = auth.browser(world.b.case_manager_email)
    assert colleague_elsewhere.get("/admin/clients/").status_code == 200


# --- 6. referral rules on every change of partner and status ----------------------------


def row_version(client: FlaskClient, url: str) -> str:
    body = client.get(url).get_data(as_text=True)
    match = re.search(r'id="row_version"[^>]*value="(\d+)"', body) or re.search(
        r'value="(\d+)"[^>]*id="row_version"', body
    )
    assert match, "no row_version on the form"
    return match.group(1)


def referral_form(referral: Referral, **values: object) -> dict[str, object]:
    form: dict[str, object] = {
        "case": referral.case_id,
        "partner": referral.partner_id,
        "referred_on": referral.referred_on.isoformat(),
        "follow_up_on": referral.follow_up_on.isoformat(),
        "status": referral.status,
        "consent_confirmed": "y",
    }
    form.update(values)
    return form


def kim_partner_of(session: Session, organisation_id: int, name: str) -> Partner:
    partner = make_partner(session, name, kind="kim_provider", organisation_id=organisation_id)
    session.commit()
    return partner


def test_the_sender_cannot_answer_by_switching_an_accepted_referral_to_a_kim_partner(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    plain_partner = session.get_one(Partner, world.partner_id)
    referral = make_referral(
        session,
        session.get_one(Case, world.a.case_id),
        plain_partner,
        status=ReferralStatus.ACCEPTED,
        consent_confirmed=True,
        referred_on=today() - dt.timedelta(days=10),
        responded_on=today() - dt.timedelta(days=5),
    )
    session.commit()
    caritas = kim_partner_of(session, world.b.organisation_id, "Caritas (KIM)")
    auth.login(world.a.case_manager_email)
    url = f"/admin/referrals/edit/?id={referral.id}"

    response = client.post(
        url,
        data=referral_form(
            referral,
            partner=caritas.id,
            responded_on=referral.responded_on.isoformat(),
            row_version=row_version(client, url),
        ),
    )

    assert response.status_code == 200
    assert "Empfänger einer bereits versendeten Vermittlung" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get_one(Referral, referral.id).partner_id == plain_partner.id


def test_a_referral_to_the_own_organisations_kim_partner_is_refused(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    awo_itself = kim_partner_of(session, world.a.organisation_id, "AWO (KIM)")
    auth.login(world.a.case_manager_email)
    before = session.scalars(select(Referral.id)).all()

    response = client.post(
        "/admin/referrals/new/",
        data={
            "case": world.a.case_id,
            "partner": awo_itself.id,
            "referred_on": today().isoformat(),
            "follow_up_on": (today() + dt.timedelta(days=14)).isoformat(),
            "status": "planned",
        },
    )

    assert response.status_code == 200
    assert "an die eigene Organisation ist nicht möglich" in response.get_data(as_text=True)
    assert session.scalars(select(Referral.id)).all() == before


# --- 7. malformed parameters are a 4xx, never a 500 --------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "search=%00",
        "search=Haddad%00x",
        "flt0_nachname_enthalt=%00",
        "page=-1",
        "page=99999999999999999999",
        "page=100001",
    ],
)
def test_malformed_list_parameters_are_refused_with_a_german_page(
    client: FlaskClient, auth, world: World, query: str
) -> None:
    auth.login(world.a.case_manager_email)
    response = client.get(f"/admin/clients/?{query}")
    assert response.status_code in (400, 404)
    assert 'lang="de"' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["99999999999", "-99999999999", "1,99999999999"])
def test_an_integer_filter_value_out_of_range_is_a_message_not_a_500(
    client: FlaskClient, auth, world: World, value: str
) -> None:
    auth.login(world.a.lead_email)
    page = client.get("/admin/audit/").get_data(as_text=True)
    names = re.findall(r"flt\d+_(datensatz_nr_[a-z_]+)", page) or ["datensatz_nr_gleich"]
    for name in set(names):
        response = client.get(f"/admin/audit/?flt0_{name}={value}")
        assert response.status_code == 200, name


def test_the_audit_time_filter_between_two_local_times_works(
    client: FlaskClient, auth, world: World
) -> None:
    auth.login(world.a.lead_email)
    page = client.get("/admin/audit/").get_data(as_text=True)
    [name] = set(re.findall(r"flt\d+_(zeitpunkt_zwischen)", page)) or {"zeitpunkt_zwischen"}
    day = today().isoformat()
    response = client.get(
        f"/admin/audit/?flt0_{name}={day} 00:00:00 to {day} 23:59:59",
    )
    assert response.status_code == 200
    assert "Fehler" not in response.get_data(as_text=True).split("<main", 1)[-1][:2000]


# --- 8. a connection lost at teardown -----------------------------------------------------


def test_a_connection_lost_while_the_request_ends_does_not_escape_as_a_bare_500(
    app: Flask, client: FlaskClient, auth, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.login(world.a.case_manager_email)
    real_close = Session.close

    def close_on_a_dead_connection(self: Session) -> None:
        real_close(self)
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)

    response = client.get("/admin/clients/")

    assert response.status_code == 200  # the page was chosen before the teardown
    monkeypatch.undo()
    assert client.get("/admin/clients/").status_code == 200  # and the next request works


# --- 9. one's own password --------------------------------------------------------------


def test_changing_ones_own_password_needs_the_current_one(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    me = session.execute(select(User).where(User.email == world.a.case_manager_email)).scalar_one()
    auth.login(world.a.case_manager_email)
    url = f"/admin/users/edit/?id={me.id}"
    assert 'name="current_password"' in client.get(url).get_data(as_text=True)
    new_password = "ein-ganz-neues-Passwort-2026"

    refused = client.post(
        url,
        data={
            "full_name": me.full_name,
            "current_password": "falsch",
            "new_password": new_password,
        },
    )
    assert "Das aktuelle Passwort ist nicht richtig." in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get_one(User, me.id).check_password(PASSWORD)

    accepted = client.post(
        url,
        data={
            "full_name": me.full_name,
            "current_password": PASSWORD,
            "new_password": new_password,
        },
    )
    assert accepted.status_code == 302
    session.expire_all()
    assert session.get_one(User, me.id).check_password(new_password)


def test_a_lead_sets_a_team_members_password_without_knowing_it(
    client: FlaskClient, auth, session: Session, world: World
) -> None:
    auth.login(world.a.lead_email)
    url = f"/admin/users/edit/?id={world.a.case_manager_id}"
    assert 'name="current_password"' not in client.get(url).get_data(as_text=True)


# --- 10. the client's address behind a reverse proxy -------------------------------------


@pytest.mark.commits  # a second app instance writes through a connection of its own
def test_behind_a_trusted_proxy_the_throttle_counts_the_clients_address(
    app: Flask, engine, world: World
) -> None:
    proxied = create_app({**app.config, "KIM_TRUSTED_PROXIES": 1})
    try:
        browser = proxied.test_client()
        browser.post(
            "/login",
            data={"email": "niemand@example.org", "password": "falsch"},
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
    finally:
        with proxied.app_context():
            db.engine.dispose()
    with Session(engine) as session:
        addresses = set(session.scalars(select(LoginAttempt.client_address)))
    assert "203.0.113.7" in addresses
    assert "10.0.0.2" not in addresses
