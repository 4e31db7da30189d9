"""Withdrawn consent: flagged in lists and forms, and no referral is sent any more."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models import Case, Client, Partner, Referral
from models.choices import ReferralStatus
from models.referral import Referral as ReferralModel
from tests.factories import TODAY, World, make_referral

if TYPE_CHECKING:
    from tests.conftest import AuthActions

WITHDRAWN = TODAY - dt.timedelta(days=23)


@pytest.fixture
def withdrawn(session: Session, world: World) -> World:
    client = session.get_one(Client, world.a.client_id)
    client.consent_withdrawn_on = WITHDRAWN
    session.commit()
    return world


def test_rule_refuses_sending_for_a_client_who_withdrew_consent(
    session: Session, withdrawn: World
) -> None:

    case = session.get_one(Case, withdrawn.a.case_id)
    values = {
        "case": case,
        "status": "sent",
        "consent_confirmed": True,
        "referred_on": TODAY,
        "follow_up_on": TODAY,
    }

    errors = ReferralModel.field_errors(values, TODAY, "planned")

    assert "widerrufen" in errors["status"]
    assert f"{WITHDRAWN:%d.%m.%Y}" in errors["status"]
    assert "status" not in ReferralModel.field_errors({**values, "status": "planned"}, TODAY)


def test_rule_lets_a_referral_already_sent_be_answered_or_cancelled(
    session: Session, withdrawn: World
) -> None:
    case = session.get_one(Case, withdrawn.a.case_id)
    values = {"case": case, "consent_confirmed": True, "referred_on": TODAY}

    assert ReferralModel.field_errors({**values, "status": "cancelled"}, TODAY, "sent") == {}
    assert ReferralModel.field_errors({**values, "status": "sent"}, TODAY, "sent") == {}


def test_client_list_flags_withdrawn_consent(
    client: FlaskClient, auth: AuthActions, withdrawn: World
) -> None:
    auth.login(withdrawn.a.case_manager_email)

    page = client.get("/admin/clients/").get_data(as_text=True)

    assert "Einwilligung" in page
    assert f"widerrufen am {WITHDRAWN:%d.%m.%Y}" in page


@pytest.mark.parametrize("view", ["clients", "cases"])
def test_edit_forms_warn_about_withdrawn_consent(
    client: FlaskClient, auth: AuthActions, withdrawn: World, view: str
) -> None:
    auth.login(withdrawn.a.case_manager_email)
    record_id = withdrawn.a.client_id if view == "clients" else withdrawn.a.case_id

    page = client.get(f"/admin/{view}/edit/", query_string={"id": record_id})

    assert page.status_code == 200
    assert f"Einwilligung dieser Person wurde am {WITHDRAWN:%d.%m.%Y} widerrufen" in page.get_data(
        as_text=True
    )


def test_edit_form_of_a_consenting_client_has_no_warning(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.a.case_manager_email)

    page = client.get("/admin/clients/edit/", query_string={"id": world.a.client_id})

    assert "widerrufen" not in page.get_data(as_text=True).split("<form")[0]


def test_referral_form_cannot_send_for_a_withdrawn_client(
    client: FlaskClient, auth: AuthActions, session: Session, withdrawn: World
) -> None:
    auth.login(withdrawn.a.case_manager_email)
    form = {
        "case": withdrawn.a.case_id,
        "partner": withdrawn.partner_id,
        "referred_on": (TODAY - dt.timedelta(days=5)).isoformat(),
        "follow_up_on": (TODAY + dt.timedelta(days=9)).isoformat(),
        "status": "sent",
        "consent_confirmed": "y",
    }

    response = client.post("/admin/referrals/new/", data=form)

    assert response.status_code == 200
    assert "widerrufen" in response.get_data(as_text=True)
    assert session.query(Referral).count() == 2  # the two of the world, nothing new


def test_tracking_button_cannot_send_for_a_withdrawn_client(
    client: FlaskClient, auth: AuthActions, session: Session, withdrawn: World
) -> None:
    case = session.get_one(Case, withdrawn.a.case_id)
    partner = session.get_one(Partner, withdrawn.partner_id)
    planned = make_referral(
        session, case, partner, status=ReferralStatus.PLANNED, consent_confirmed=True
    )
    session.commit()
    auth.login(withdrawn.a.case_manager_email)

    response = client.post(
        f"/admin/referral-tracking/{planned.id}/status",
        data={"status": "sent", "version": planned.version},
        follow_redirects=True,
    )

    assert "widerrufen" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get_one(Referral, planned.id).status == "planned"
