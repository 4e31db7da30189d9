"""The plan figures of the statistics: exact for the own organisation, suppressed across."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from models import Case, Organisation, User
from models.choices import GoalStatus, PlanStatus
from models.plan import IntegrationPlan
from models.statistics import Period, Statistics, load_scope
from models.statistics.suppression import SUPPRESSED
from tests.factories import TODAY, World, make_case, make_client, make_goal, make_plan

YEAR = Period(dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 12, 31))
OPENED = dt.date(TODAY.year, 1, 2)


def report(session: Session, organisation_ids: list[int] | None, across: bool) -> Statistics:
    return Statistics(session, load_scope(session, organisation_ids, across), YEAR, TODAY)


def cases_with_plans(session: Session, world: World, slug: str, days_to_plan: list[int | None]):
    """New open cases opened on 2 January; a plan agreed that many days later (None: none)."""
    org = world.a if slug == "a" else world.b
    organisation = session.get(Organisation, org.organisation_id)
    manager = session.get(User, org.case_manager_id)
    made = []
    for number, days in enumerate(days_to_plan):
        client = make_client(session, organisation, manager, last_name=f"Statistik-{number}")
        case = make_case(session, client, manager, opened_on=OPENED)
        if days is not None:
            make_plan(session, case, agreed_on=OPENED + dt.timedelta(days=days))
        made.append(case)
    session.commit()
    return made


@pytest.fixture
def no_world_plans(session: Session, world: World) -> World:
    session.execute(delete(IntegrationPlan))
    session.commit()
    return world


def table(stats: Statistics, key: str):
    found = stats.table(key)
    assert found is not None, key
    return found


def test_the_own_share_of_cases_with_a_plan_and_the_days_to_it(session, no_world_plans):
    world = no_world_plans
    cases_with_plans(session, world, "a", [10, 20, None])

    shown = table(report(session, [world.a.organisation_id], across=False), "integrationsplaene")

    # The world's open case has no plan now: 2 of 4 open cases, after 10 and 20 days.
    assert [[row.label, *row.cells] for row in shown.rows] == [["AWO Düsseldorf", 50.0, 15.0]]


def test_a_draft_is_no_agreed_plan(session, no_world_plans):
    world = no_world_plans
    (case,) = cases_with_plans(session, world, "a", [None])
    make_plan(session, case, status=PlanStatus.DRAFT)
    session.commit()
    shown = table(report(session, [world.a.organisation_id], across=False), "integrationsplaene")
    assert shown.rows[0].cells == [0.0, None]


def test_goals_of_closed_cases_by_topic_and_final_status(session, world):
    case = session.get(Case, world.a.case_id)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    plan.goals[0].status = GoalStatus.ACHIEVED
    make_goal(session, plan, plan.goals[0].topic, status=GoalStatus.NOT_ACHIEVED)
    make_goal(session, plan, plan.goals[0].topic, status=GoalStatus.ACHIEVED)
    case.phase, case.closed_on, case.closure_reason = "closed", TODAY, "goals_met"
    session.commit()

    shown = table(report(session, [world.a.organisation_id], across=False), "ziele_handlungsfeld")

    assert shown.header == [
        "Handlungsfeld",
        "erreicht",
        "teilweise erreicht",
        "nicht erreicht",
        "verworfen",
        "Summe",
    ]
    assert shown.rows[0].label == "Arbeit und Beruf"
    assert shown.rows[0].cells == [2, 0, 1, 0, 3]


def test_the_coordination_sees_no_share_that_implies_a_small_count(session, no_world_plans):
    world = no_world_plans
    cases_with_plans(session, world, "a", [10, 20, None])  # a: 2 of 4 with a plan

    shown = table(report(session, None, across=True), "integrationsplaene")

    by_label = {row.label: row.cells for row in shown.rows}
    assert by_label["AWO Düsseldorf"] == [None, None]
    assert by_label["alle Organisationen"] == [None, None]  # 2 of 6


def test_the_coordination_sees_shares_and_medians_with_enough_behind_them(session, no_world_plans):
    world = no_world_plans
    cases_with_plans(session, world, "a", [10] * 5 + [30] * 5 + [None] * 4)  # 10 of 15

    shown = table(report(session, None, across=True), "integrationsplaene")

    by_label = {row.label: row.cells for row in shown.rows}
    assert by_label["AWO Düsseldorf"] == [66.7, 20.0]
    assert by_label["CARITAS Düsseldorf"] == [None, None]  # 1 case: too few behind it
    assert by_label["alle Organisationen"] == [62.5, 20.0]


def test_the_coordination_sees_goal_counts_only_over_all_and_whole_years(session, world):
    case = session.get(Case, world.a.case_id)
    plan = session.get(IntegrationPlan, world.a.plan_id)
    plan.goals[0].status = GoalStatus.ACHIEVED
    case.phase, case.closed_on, case.closure_reason = "closed", TODAY, "goals_met"
    session.commit()

    every = table(report(session, None, across=True), "ziele_handlungsfeld")
    assert every.rows[0].cells == [SUPPRESSED, 0, 0, 0]
    assert all(not row.is_total for row in every.rows)
    assert "Summe" not in every.header

    one = report(session, [world.a.organisation_id], across=True)
    assert one.table("ziele_handlungsfeld") is None
    quarter = Period(dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 3, 31))
    stats = Statistics(session, load_scope(session, None, True), quarter, TODAY)
    assert stats.table("ziele_handlungsfeld") is None


def test_the_statistics_page_shows_the_plan_tables(client, auth, world):
    auth.login(world.a.lead_email)
    page = client.get(
        f"/admin/statistics/?from={YEAR.start.isoformat()}&to={YEAR.end.isoformat()}"
    ).get_data(as_text=True)
    assert "Integrationspläne: Anteil und Dauer bis zum Plan" in page
    assert "Ziele abgeschlossener Fälle nach Handlungsfeld und Ergebnis" in page
