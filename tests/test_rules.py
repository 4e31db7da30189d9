"""The domain rules of SPEC §4, tested directly on the models (no views involved)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Barrier, Case, Client, Contact, NumberSequence, Partner, Referral
from models.numbering import next_number
from models.referral import can_transition, default_follow_up
from tests.factories import OBSERVED_ON, OPENED_ON, REFERRED_ON, TODAY, make_organisation

YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)
CLOSED_ON = OPENED_ON + dt.timedelta(days=120)
YEAR = TODAY.year

STATUSES = ("planned", "sent", "accepted", "declined", "completed", "cancelled")
# SPEC §4, written out by hand: planned → sent → accepted → completed;
# planned/sent/accepted → cancelled; sent → declined. Keeping the status is an ordinary edit.
ALLOWED_MOVES = {
    ("planned", "sent"),
    ("sent", "accepted"),
    ("accepted", "completed"),
    ("planned", "cancelled"),
    ("sent", "cancelled"),
    ("accepted", "cancelled"),
    ("sent", "declined"),
}
ALL_PAIRS = [(current, target) for current in STATUSES for target in STATUSES]


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """The rule messages go through flask_babel, which needs an application context."""
    with app.app_context():
        yield


def client_values(**values: Any) -> dict[str, Any]:
    return {"first_name": "Amina", "last_name": "Haddad", "consent_given_on": YESTERDAY, **values}


def case_values(**values: Any) -> dict[str, Any]:
    return {"opened_on": OPENED_ON, "phase": "intake", **values}


def referral_values(**values: Any) -> dict[str, Any]:
    referred_on = values.pop("referred_on", REFERRED_ON)
    return {
        "referred_on": referred_on,
        "follow_up_on": default_follow_up(referred_on),
        "status": "planned",
        "consent_confirmed": True,
        **values,
    }


# --- Client ---------------------------------------------------------------------------


def test_valid_client_has_no_rule_errors() -> None:
    values = client_values(
        date_of_birth=dt.date(1990, 5, 1),
        arrival_date=dt.date(2015, 9, 1),
        consent_withdrawn_on=TODAY,
        postcode="40211",
    )
    assert Client.field_errors(values, TODAY) == {}


def test_client_date_of_birth_in_the_future_is_refused() -> None:
    errors = Client.field_errors(client_values(date_of_birth=TOMORROW), TODAY)
    assert errors == {"date_of_birth": "Das Datum darf nicht in der Zukunft liegen."}


def test_client_date_of_birth_today_is_allowed() -> None:
    assert Client.field_errors(client_values(date_of_birth=TODAY), TODAY) == {}


def test_client_date_of_birth_before_1900_is_refused() -> None:
    errors = Client.field_errors(client_values(date_of_birth=dt.date(1899, 12, 31)), TODAY)
    assert errors == {"date_of_birth": "Bitte ein Datum ab dem 01.01.1900 angeben."}


def test_client_arrival_before_birth_is_refused() -> None:
    values = client_values(date_of_birth=dt.date(2000, 1, 2), arrival_date=dt.date(2000, 1, 1))
    errors = Client.field_errors(values, TODAY)
    assert errors == {"arrival_date": "Die Einreise kann nicht vor der Geburt liegen."}


def test_client_arrival_on_the_day_of_birth_is_allowed() -> None:
    values = client_values(date_of_birth=dt.date(2000, 1, 1), arrival_date=dt.date(2000, 1, 1))
    assert Client.field_errors(values, TODAY) == {}


def test_client_consent_withdrawn_before_given_is_refused() -> None:
    values = client_values(
        consent_given_on=YESTERDAY, consent_withdrawn_on=YESTERDAY - dt.timedelta(days=1)
    )
    errors = Client.field_errors(values, TODAY)
    assert errors == {
        "consent_withdrawn_on": "Der Widerruf kann nicht vor der Einwilligung liegen."
    }


def test_client_consent_given_in_the_future_is_refused() -> None:
    errors = Client.field_errors(client_values(consent_given_on=TOMORROW), TODAY)
    assert set(errors) == {"consent_given_on"}


@pytest.mark.parametrize(
    "postcode",
    [
        "4021",  # too short
        "402111",  # too long
        "4021a",  # a letter
        "40 21",  # a space
        "٤٠٢١١",  # Arabic-Indic digits: digits, but not ASCII
        "\uff14\uff10\uff12\uff11\uff11",  # full-width digits
        "-4021",
    ],
)
def test_client_postcode_that_is_not_five_ascii_digits_is_refused(postcode: str) -> None:
    errors = Client.field_errors(client_values(postcode=postcode), TODAY)
    assert errors == {"postcode": "Bitte eine fünfstellige Postleitzahl angeben."}


@pytest.mark.parametrize("postcode", ["40211", "01067", "", None])
def test_client_postcode_of_five_ascii_digits_or_empty_is_allowed(postcode: str | None) -> None:
    assert Client.field_errors(client_values(postcode=postcode), TODAY) == {}


# --- Case -----------------------------------------------------------------------------


def test_open_case_has_no_rule_errors() -> None:
    assert Case.field_errors(case_values(), TODAY) == {}


def test_properly_closed_case_has_no_rule_errors() -> None:
    values = case_values(closed_on=CLOSED_ON, phase="closed", closure_reason="goals_met")
    assert Case.field_errors(values, TODAY) == {}


def test_case_closed_before_opened_is_refused() -> None:
    values = case_values(
        opened_on=OPENED_ON,
        closed_on=OPENED_ON - dt.timedelta(days=1),
        phase="closed",
        closure_reason="goals_met",
    )
    errors = Case.field_errors(values, TODAY)
    assert errors == {"closed_on": "Das Abschlussdatum darf nicht vor dem Eröffnungsdatum liegen."}


def test_case_closed_on_the_opening_day_is_allowed() -> None:
    day = OPENED_ON
    values = case_values(opened_on=day, closed_on=day, phase="closed", closure_reason="other")
    assert Case.field_errors(values, TODAY) == {}


def test_case_with_closing_date_but_no_closure_reason_is_refused() -> None:
    values = case_values(closed_on=CLOSED_ON, phase="closed", closure_reason=None)
    errors = Case.field_errors(values, TODAY)
    assert errors == {"closure_reason": "Ein abgeschlossener Fall braucht einen Abschlussgrund."}


def test_case_in_phase_closed_without_closing_date_is_refused() -> None:
    values = case_values(phase="closed", closure_reason="goals_met", closed_on=None)
    errors = Case.field_errors(values, TODAY)
    assert errors == {"closed_on": "Ein abgeschlossener Fall braucht ein Abschlussdatum."}


def test_case_in_phase_closed_without_date_or_reason_gets_both_errors() -> None:
    errors = Case.field_errors(case_values(phase="closed"), TODAY)
    assert set(errors) == {"closed_on", "closure_reason"}


def test_case_with_closing_date_but_open_phase_is_refused() -> None:
    values = case_values(closed_on=CLOSED_ON, phase="monitoring", closure_reason="goals_met")
    errors = Case.field_errors(values, TODAY)
    assert errors == {"phase": "Mit Abschlussdatum ist die Phase „abgeschlossen“."}


def test_case_opened_in_the_future_is_refused() -> None:
    errors = Case.field_errors(case_values(opened_on=TOMORROW), TODAY)
    assert errors == {"opened_on": "Das Datum darf nicht in der Zukunft liegen."}


# --- Contact --------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [-1, 1441, 10_000])
def test_contact_minutes_outside_0_to_1440_are_refused(minutes: int) -> None:
    errors = Contact.field_errors({"contact_date": TODAY, "minutes": minutes}, TODAY)
    assert errors == {"minutes": "Bitte eine Dauer zwischen 0 und 1440 Minuten angeben."}


@pytest.mark.parametrize("minutes", [0, 1, 90, 1440, None])
def test_contact_minutes_inside_0_to_1440_or_empty_are_allowed(minutes: int | None) -> None:
    assert Contact.field_errors({"contact_date": TODAY, "minutes": minutes}, TODAY) == {}


def test_contact_in_the_future_is_refused() -> None:
    errors = Contact.field_errors({"contact_date": TOMORROW, "minutes": 30}, TODAY)
    assert set(errors) == {"contact_date"}


# --- Barrier --------------------------------------------------------------------------


def test_barrier_resolved_before_observed_is_refused() -> None:
    values = {
        "observed_on": OBSERVED_ON + dt.timedelta(days=1),
        "resolved_on": OBSERVED_ON,
        "status": "solved",
    }
    errors = Barrier.field_errors(values, TODAY)
    assert errors == {"resolved_on": "Die Lösung kann nicht vor der Beobachtung liegen."}


def test_barrier_resolved_after_observed_is_allowed() -> None:
    values = {
        "observed_on": OBSERVED_ON,
        "resolved_on": OBSERVED_ON + dt.timedelta(days=1),
        "status": "solved",
    }
    assert Barrier.field_errors(values, TODAY) == {}


def test_resolved_barrier_still_marked_open_is_refused() -> None:
    values = {
        "observed_on": OBSERVED_ON,
        "resolved_on": OBSERVED_ON + dt.timedelta(days=1),
        "status": "open",
    }
    assert set(Barrier.field_errors(values, TODAY)) == {"status"}


# --- Referral: the state machine ------------------------------------------------------


def test_state_machine_table_covers_every_status_pair() -> None:
    assert len(ALL_PAIRS) == 36
    assert set(ALL_PAIRS) >= ALLOWED_MOVES


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_referral_status_change_follows_the_spec(current: str, target: str) -> None:
    allowed = current == target or (current, target) in ALLOWED_MOVES
    assert can_transition(current, target) is allowed
    errors = Referral.field_errors(referral_values(status=target), TODAY, previous_status=current)
    if allowed:
        assert errors == {}
    else:
        assert set(errors) == {"status"}
        assert "kann nicht von" in errors["status"]


@pytest.mark.parametrize(
    ("target", "allowed"),
    [(status, status in {"planned", "sent", "cancelled"}) for status in STATUSES],
)
def test_new_referral_starts_as_planned(target: str, allowed: bool) -> None:
    """Without a previous status a referral is new: it may only be planned, sent or cancelled."""
    errors = Referral.field_errors(referral_values(status=target), TODAY)
    assert ("status" not in errors) is allowed


def test_forbidden_move_names_both_statuses_in_german() -> None:
    errors = Referral.field_errors(
        referral_values(status="completed"), TODAY, previous_status="planned"
    )
    assert errors["status"] == "Der Status kann nicht von „geplant“ auf „abgeschlossen“ wechseln."


@pytest.mark.parametrize("status", ["sent", "accepted", "declined", "completed"])
def test_referral_sent_or_beyond_needs_consent_confirmed(status: str) -> None:
    previous = {"sent": "planned", "accepted": "sent", "declined": "sent", "completed": "accepted"}
    values = referral_values(status=status, consent_confirmed=False)
    errors = Referral.field_errors(values, TODAY, previous_status=previous[status])
    assert errors == {
        "consent_confirmed": "Vor der Vermittlung muss die Einwilligung zur Datenweitergabe "
        "vorliegen."
    }


@pytest.mark.parametrize("status", ["planned", "cancelled"])
def test_planned_or_cancelled_referral_needs_no_consent(status: str) -> None:
    values = referral_values(status=status, consent_confirmed=False)
    assert Referral.field_errors(values, TODAY, previous_status="planned") == {}


def test_referral_follow_up_before_referral_date_is_refused() -> None:
    values = referral_values(referred_on=REFERRED_ON)
    values["follow_up_on"] = REFERRED_ON - dt.timedelta(days=1)
    errors = Referral.field_errors(values, TODAY)
    assert errors == {"follow_up_on": "Die Wiedervorlage kann nicht vor der Vermittlung liegen."}


def test_referral_follow_up_in_the_future_is_allowed() -> None:
    values = referral_values(referred_on=TODAY)
    assert values["follow_up_on"] == TODAY + dt.timedelta(days=14)
    assert Referral.field_errors(values, TODAY) == {}


def test_referral_response_date_in_the_future_is_refused() -> None:
    values = referral_values(status="accepted", responded_on=TOMORROW)
    errors = Referral.field_errors(values, TODAY, previous_status="sent")
    assert errors == {"responded_on": "Das Datum darf nicht in der Zukunft liegen."}


def test_referral_response_before_referral_date_is_refused() -> None:
    values = referral_values(
        referred_on=REFERRED_ON, status="accepted", responded_on=REFERRED_ON - dt.timedelta(days=1)
    )
    errors = Referral.field_errors(values, TODAY, previous_status="sent")
    assert errors == {"responded_on": "Die Antwort kann nicht vor der Vermittlung liegen."}


def test_referral_referred_in_the_future_is_refused() -> None:
    errors = Referral.field_errors(referral_values(referred_on=TOMORROW), TODAY)
    assert set(errors) == {"referred_on"}


@pytest.mark.parametrize("status", ["unknown", "SENT", "geplant", " planned"])
def test_referral_unknown_status_value_is_refused(status: str) -> None:
    errors = Referral.field_errors(referral_values(status=status), TODAY, previous_status="planned")
    assert errors == {"status": "Unbekannter Status."}


@pytest.mark.parametrize("current", ["unknown", ""])
def test_no_move_from_an_unknown_status(current: str) -> None:
    assert can_transition(current, "sent") is False


# --- Numbering ------------------------------------------------------------------------


def test_next_number_counts_1_2_3_per_organisation_name_and_year(session: Session) -> None:
    awo = make_organisation(session, "awo")
    caritas = make_organisation(session, "caritas")
    session.commit()

    assert [next_number(session, awo.id, "client", YEAR) for _ in range(3)] == [1, 2, 3]
    assert [next_number(session, caritas.id, "client", YEAR) for _ in range(2)] == [1, 2]
    assert next_number(session, awo.id, "case", YEAR) == 1
    assert next_number(session, awo.id, "client", YEAR + 1) == 1
    assert next_number(session, awo.id, "client", YEAR) == 4
    session.commit()

    rows = session.execute(
        select(
            NumberSequence.organisation_id,
            NumberSequence.name,
            NumberSequence.year,
            NumberSequence.last_value,
        )
    ).all()
    assert set(rows) == {
        (awo.id, "client", YEAR, 4),
        (awo.id, "case", YEAR, 1),
        (awo.id, "client", YEAR + 1, 1),
        (caritas.id, "client", YEAR, 2),
    }


def test_next_number_continues_after_commit_in_a_new_session(session: Session) -> None:
    awo = make_organisation(session, "awo")
    session.commit()
    assert next_number(session, awo.id, "client", YEAR) == 1
    session.commit()
    bind = session.get_bind()
    with Session(bind) as other_session:
        assert next_number(other_session, awo.id, "client", YEAR) == 2
        other_session.commit()


def test_file_and_case_numbers_carry_organisation_year_and_running_number(
    session: Session,
) -> None:
    awo = make_organisation(session, "awo")
    session.commit()
    client = Client()
    client.assign_file_number(session, awo, TODAY)
    second = Client()
    second.assign_file_number(session, awo, TODAY)
    case = Case()
    case.assign_case_number(session, awo, TODAY)
    assert client.file_number == f"AWO-{TODAY.year}-0001"
    assert second.file_number == f"AWO-{TODAY.year}-0002"
    assert case.case_number == f"AWO-F-{TODAY.year}-0001"
    session.rollback()


@pytest.mark.parametrize("answer", ["accepted", "declined"])
def test_sender_cannot_answer_for_a_kim_organisation(answer: str) -> None:
    kim_partner = Partner(
        name="KIM Case Management – Caritas", kind="kim_provider", organisation_id=2
    )
    values = referral_values(status=answer, partner=kim_partner, responded_on=TODAY)
    errors = Referral.field_errors(values, TODAY, previous_status="sent")
    assert "empfangende Organisation" in errors["status"]
    by_receiver = Referral.field_errors(
        values, TODAY, previous_status="sent", answered_by_receiver=True
    )
    assert "status" not in by_receiver


def test_sender_records_the_answer_of_an_external_partner() -> None:
    jobcenter = Partner(name="Jobcenter Düsseldorf", kind="jobcenter")
    values = referral_values(status="accepted", partner=jobcenter, responded_on=TODAY)
    assert "status" not in Referral.field_errors(values, TODAY, previous_status="sent")
