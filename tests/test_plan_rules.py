"""The Integrationsplan's rules: versions, agreement, the phase and closing rules, referrals."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Case, Client, Partner, Referral, User
from models.choices import (
    CasePhase,
    GoalStatus,
    PlanStatus,
    ReferralStatus,
    StepResponsible,
)
from models.plan import (
    IntegrationPlan,
    PlanError,
    PlanGoal,
    PlanStep,
    add_months,
    agree,
    case_plan_errors,
    default_review_on,
    new_version,
    referral_from_step,
)
from models.subject_access import subject_access_tables
from tests.factories import (
    AGREED_ON,
    OPENED_ON,
    TODAY,
    World,
    make_goal,
    make_partner,
    make_step,
)


def user(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def plan_of(session: Session, plan_id: int) -> IntegrationPlan:
    session.expire_all()
    plan = session.get(IntegrationPlan, plan_id)
    assert plan is not None
    return plan


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 4, 30)),
        (dt.date(2026, 11, 30), dt.date(2027, 2, 28)),
        (dt.date(2027, 11, 30), dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 3), dt.date(2026, 6, 3)),
    ],
)
def test_the_review_is_due_three_months_after_the_agreement(day, expected):
    assert default_review_on(day) == expected
    assert add_months(day, 3) == expected


# --- the plan's own rules ----------------------------------------------------------------

AGREED = {"status": "agreed", "agreed_on": AGREED_ON, "agreement_form": "signed"}


@pytest.mark.parametrize(
    ("values", "previous", "field", "message"),
    [
        ({"status": "agreed"}, None, "agreed_on", "Datum der Vereinbarung"),
        ({"status": "agreed", "agreed_on": AGREED_ON}, None, "agreement_form", "mündlich"),
        ({**AGREED, "review_on": AGREED_ON - dt.timedelta(days=1)}, None, "review_on", "vor"),
        ({**AGREED, "agreed_on": TODAY + dt.timedelta(days=1)}, None, "agreed_on", "Zukunft"),
        ({**AGREED, "status": "superseded"}, "agreed", "status", "Neue Fassung"),
        ({"status": "draft"}, "agreed", "status", "nicht wieder zum Entwurf"),
        (AGREED, "superseded", "status", "bleibt abgelöst"),
        ({"status": "unknown"}, None, "status", "Unbekannt"),
    ],
)
def test_plan_rules_refuse_with_a_german_message(request_context, values, previous, field, message):
    errors = IntegrationPlan.field_errors(values, TODAY, previous)
    assert message in errors[field]


@pytest.mark.parametrize(
    ("values", "previous"),
    [({"status": "draft"}, None), (AGREED, None), (AGREED, "draft"), (AGREED, "agreed")],
)
def test_plan_rules_accept_a_draft_and_an_agreement(request_context, values, previous):
    assert IntegrationPlan.field_errors(values, TODAY, previous) == {}


def test_a_partners_step_needs_the_partner(request_context):
    errors = PlanStep.field_errors({"responsible": StepResponsible.PARTNER}, TODAY)
    assert "Partner" in errors["partner"]
    assert PlanStep.field_errors({"responsible": StepResponsible.CLIENT}, TODAY) == {}


# --- phase and closing rules -------------------------------------------------------------


def fresh_case(session: Session, world: World) -> Case:
    case = session.get(Case, world.a.case_id)
    assert case is not None
    return case


def test_monitoring_needs_an_agreed_plan(session, world, request_context):
    case = fresh_case(session, world)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    plan.status = PlanStatus.DRAFT
    plan.agreed_on = plan.agreement_form = plan.review_on = None
    session.flush()

    errors = case_plan_errors(session, case.id, {"phase": CasePhase.MONITORING}, "planning")
    assert "vereinbarten Integrationsplan" in errors["phase"]
    # A new case cannot start in Umsetzung either.
    assert "phase" in case_plan_errors(session, None, {"phase": CasePhase.MONITORING}, None)

    plan.status, plan.agreed_on, plan.agreement_form = PlanStatus.AGREED, AGREED_ON, "oral"
    session.flush()
    assert case_plan_errors(session, case.id, {"phase": CasePhase.MONITORING}, "planning") == {}


def test_a_case_already_in_monitoring_may_stay_there(session, world, request_context):
    session.execute(IntegrationPlan.__table__.delete())
    errors = case_plan_errors(
        session, world.a.case_id, {"phase": CasePhase.MONITORING}, CasePhase.MONITORING
    )
    assert errors == {}


def test_closing_needs_a_final_status_on_every_goal(session, world, request_context):
    closing = {"phase": CasePhase.CLOSED, "closed_on": TODAY, "closure_reason": "goals_met"}
    errors = case_plan_errors(session, world.a.case_id, closing, CasePhase.MONITORING)
    assert "abschließenden Status" in errors["phase"]
    assert "Pflegehelferin" in errors["phase"]

    for final in (GoalStatus.ACHIEVED, GoalStatus.DISCARDED, GoalStatus.PARTLY_ACHIEVED):
        session.get(PlanGoal, world.a.goal_id).status = final
        session.flush()
        assert case_plan_errors(session, world.a.case_id, closing, CasePhase.MONITORING) == {}


def test_goals_of_a_superseded_version_do_not_block_closing(session, world, request_context):
    plan = session.get(IntegrationPlan, world.a.plan_id)
    plan.status = PlanStatus.SUPERSEDED
    session.flush()
    closing = {"phase": CasePhase.CLOSED, "closed_on": TODAY}
    assert case_plan_errors(session, world.a.case_id, closing, CasePhase.MONITORING) == {}


# --- versions ----------------------------------------------------------------------------


def test_a_new_version_copies_the_open_goals_and_steps(session, world, request_context):
    lead = user(session, world.a.lead_email)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    reached = make_goal(session, plan, plan.goals[0].topic, status=GoalStatus.ACHIEVED)
    make_step(session, plan.goals[0], description="schon erledigt", done_on=TODAY)
    make_step(session, reached, description="zum erreichten Ziel")

    draft = new_version(session, lead, plan)
    session.commit()

    assert (draft.revision, draft.status, draft.case_id) == (2, PlanStatus.DRAFT, plan.case_id)
    assert [goal.text for goal in draft.goals] == ["Ich möchte als Pflegehelferin arbeiten."]
    assert [step.description for step in draft.goals[0].steps] == [
        "Termin bei der Pflegeschule vereinbaren"
    ]
    assert draft.goals[0].steps[0].partner_id == world.partner_id
    assert {draft.created_by_id, draft.goals[0].created_by_id} == {lead.id}
    assert plan_of(session, plan.id).status == PlanStatus.AGREED  # until the draft is agreed


def test_only_one_draft_and_only_from_the_agreed_version(session, world, request_context):
    lead = user(session, world.a.lead_email)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    draft = new_version(session, lead, plan)
    session.flush()
    with pytest.raises(PlanError, match="schon einen Entwurf"):
        new_version(session, lead, plan)
    with pytest.raises(PlanError, match="vereinbarten Fassung"):
        new_version(session, lead, draft)


def test_agreeing_a_version_supersedes_the_one_before(session, world, request_context):
    lead = user(session, world.a.lead_email)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    draft = new_version(session, lead, plan)
    session.flush()
    draft.status, draft.agreed_on, draft.agreement_form = PlanStatus.AGREED, TODAY, "digital"
    agree(session, draft)
    session.commit()

    assert plan_of(session, plan.id).status == PlanStatus.SUPERSEDED
    again = plan_of(session, draft.id)
    assert again.review_on == default_review_on(TODAY)
    other = plan_of(session, world.b.plan_id)
    assert other.status == PlanStatus.AGREED  # the other organisation's plan is untouched


# --- a step becomes a referral -----------------------------------------------------------


def test_a_step_becomes_a_planned_referral_to_its_partner(session, world, request_context):
    manager = user(session, world.a.case_manager_email)
    step = session.get(PlanStep, world.a.step_id)

    referral = referral_from_step(session, manager, step, TODAY)
    session.commit()

    assert referral.partner_id == world.partner_id
    assert referral.topic_id == world.topic_id
    assert referral.case_id == world.a.case_id
    assert referral.reason == "Termin bei der Pflegeschule vereinbaren"
    assert (referral.status, referral.referred_on) == (ReferralStatus.PLANNED, TODAY)
    assert referral.follow_up_on == TODAY + dt.timedelta(days=14)
    assert referral.organisation_id == world.a.organisation_id
    assert session.get(PlanStep, step.id).referral_id == referral.id
    with pytest.raises(PlanError, match="schon eine Vermittlung"):
        referral_from_step(session, manager, step, TODAY)


def test_a_step_without_partner_or_to_the_own_organisation_makes_no_referral(
    session, world, request_context
):
    manager = user(session, world.a.case_manager_email)
    goal = session.get(PlanGoal, world.a.goal_id)
    own = make_partner(session, "AWO Beratung", organisation_id=world.a.organisation_id)
    before = session.execute(select(func.count()).select_from(Referral)).scalar_one()

    with pytest.raises(PlanError, match="braucht der Schritt einen Partner"):
        referral_from_step(session, manager, make_step(session, goal), TODAY)
    own_step = make_step(session, goal, responsible=StepResponsible.PARTNER, partner=own)
    with pytest.raises(PlanError, match="eigene Organisation"):
        referral_from_step(session, manager, own_step, TODAY)
    assert session.execute(select(func.count()).select_from(Referral)).scalar_one() == before


def test_the_other_organisation_cannot_make_a_referral_from_a_step(session, world, request_context):
    stranger = user(session, world.b.case_manager_email)
    step = session.get(PlanStep, world.a.step_id)
    with pytest.raises(PlanError):
        referral_from_step(session, stranger, step, TODAY)


# --- through the screens -----------------------------------------------------------------


def case_form(world: World, **changes: object) -> dict[str, object]:
    return {
        "client": world.a.client_id,
        "case_manager": world.a.case_manager_id,
        "opened_on": OPENED_ON.isoformat(),
        "phase": "assessment",
        "row_version": "1",
        **changes,
    }


def test_the_case_form_refuses_monitoring_without_an_agreed_plan(client, auth, session, world):
    session.execute(IntegrationPlan.__table__.delete())
    session.commit()
    auth.login(world.a.case_manager_email)

    response = client.post(
        f"/admin/cases/edit/?id={world.a.case_id}", data=case_form(world, phase="monitoring")
    )

    assert response.status_code == 200
    assert "setzt einen vereinbarten Integrationsplan voraus" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Case, world.a.case_id).phase == CasePhase.INTAKE


def test_the_case_form_refuses_closing_with_open_goals(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    closing = case_form(
        world, phase="closed", closed_on=TODAY.isoformat(), closure_reason="goals_met"
    )

    refused = client.post(f"/admin/cases/edit/?id={world.a.case_id}", data=closing)
    assert "abschließenden Status" in refused.get_data(as_text=True)

    session.get(PlanGoal, world.a.goal_id).status = GoalStatus.ACHIEVED
    session.commit()
    saved = client.post(f"/admin/cases/edit/?id={world.a.case_id}", data=closing)
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(Case, world.a.case_id).closed_on == TODAY


def test_a_plan_written_in_the_forms_is_numbered_and_agreed(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/plans/new/",
        data={
            "case": world.a.case_id,
            "status": "agreed",
            "agreed_on": TODAY.isoformat(),
            "agreement_form": "oral",
            "language": "Arabisch",
            "interpreter_used": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    newest = session.execute(
        select(IntegrationPlan)
        .where(IntegrationPlan.case_id == world.a.case_id)
        .order_by(IntegrationPlan.revision.desc())
    ).scalars()
    new, old = newest.all()[:2]
    assert (new.revision, new.status, new.review_on) == (2, "agreed", default_review_on(TODAY))
    assert new.organisation_id == world.a.organisation_id
    assert old.status == PlanStatus.SUPERSEDED


def test_goals_and_steps_take_their_case_from_the_plan(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/plan-goals/new/",
        data={
            "plan": world.a.plan_id,
            "topic": world.topic_id,
            "text": "Deutsch B1 bis zum Sommer",
            "status": "open",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/plans/details/?id={world.a.plan_id}")
    goal = session.execute(
        select(PlanGoal).where(PlanGoal.text == "Deutsch B1 bis zum Sommer")
    ).scalar_one()
    assert (goal.case_id, goal.organisation_id) == (world.a.case_id, world.a.organisation_id)

    client.post(
        "/admin/plan-steps/new/",
        data={"goal": goal.id, "description": "Kurs anmelden", "responsible": "client"},
    )
    step = session.execute(select(PlanStep).where(PlanStep.goal_id == goal.id)).scalar_one()
    assert step.case_id == world.a.case_id


def test_a_superseded_version_takes_no_new_goal(client, auth, session, world):
    plan = session.get(IntegrationPlan, world.a.plan_id)
    plan.status = PlanStatus.SUPERSEDED
    session.commit()
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/plan-goals/new/",
        data={"plan": plan.id, "topic": world.topic_id, "text": "spät", "status": "open"},
    )
    assert response.status_code == 200
    assert "abgelöste Fassung" in response.get_data(as_text=True)


def test_the_step_button_opens_the_prefilled_referral(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    page = client.get(f"/admin/plan-steps/details/?id={world.a.step_id}").get_data(as_text=True)
    assert "Vermittlung an Jobcenter Düsseldorf anlegen" in page

    response = client.post("/admin/plan-steps/referral/", data={"id": world.a.step_id})

    step = session.get(PlanStep, world.a.step_id)
    session.refresh(step)
    assert step.referral_id is not None
    assert response.headers["Location"].endswith(f"/admin/referrals/edit/?id={step.referral_id}")
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Termin bei der Pflegeschule vereinbaren" in form


def test_the_case_page_shows_the_plan_and_its_goals(client, auth, world):
    auth.login(world.a.case_manager_email)
    page = client.get(f"/admin/cases/details/?id={world.a.case_id}").get_data(as_text=True)
    assert "Integrationsplan" in page
    assert "Fassung 1" in page
    assert "Ich möchte als Pflegehelferin arbeiten." in page
    assert f"/admin/plans/details/?id={world.a.plan_id}" in page
    assert f"/admin/plans/details/?id={world.b.plan_id}" not in page


def test_the_plan_pdf_has_the_goals_in_the_clients_words(client, auth, session, world):
    goal = session.get(PlanGoal, world.a.goal_id)
    goal.text = "Ich will meine Kinder in der Kita anmelden – أريد العمل"
    session.commit()
    auth.login(world.a.case_manager_email)

    response = client.get(f"/admin/plans/print/?id={world.a.plan_id}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "Integrationsplan" in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Integrationsplan" in text
    assert "Ich will meine Kinder in der Kita anmelden" in text
    assert "Termin bei der Pflegeschule vereinbaren" in text
    assert "Unterschrift Klient*in" in text
    assert "Haddad" in text


def test_the_other_organisations_partner_is_no_problem_but_its_plan_is_missing(client, auth, world):
    auth.login(world.b.case_manager_email)
    assert client.get(f"/admin/plans/print/?id={world.a.plan_id}").status_code == 404


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def test_partner_fixture_has_no_organisation(session, world):
    assert session.get(Partner, world.partner_id).organisation_id is None


def test_the_art_15_answer_holds_the_plan_goals_steps_and_tasks(session, world, app):

    with app.test_request_context():
        lead = user(session, world.a.lead_email)
        client = session.get(Client, world.a.client_id)
        tables = {table.filename: table for table in subject_access_tables(session, lead, client)}
    plans = tables["integrationsplaene.csv"].rows
    assert [row[:3] for row in plans] == [
        [session.get(Case, world.a.case_id).case_number, 1, "vereinbart"]
    ]
    goals = tables["ziele_und_schritte.csv"].rows
    assert any("Ich möchte als Pflegehelferin arbeiten." in row for row in goals)
    assert any("Termin bei der Pflegeschule vereinbaren" in row for row in goals)
    notes = [row[-1] for row in tables["aufgaben.csv"].rows]
    assert "Rückruf wegen Wohnungsbesichtigung" in notes
    assert len(notes) == 5
