"""Figures of the system level: evidence suppressed for the coordination and exact for a
lead, the effect check on a fixed dataset, the report, and the loop back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from models.audit import record_event
from models.choices import BarrierStatus, IssueStatus, MeasureStatus, Role
from models.statistics.coordination import ALL, CoordinationFigures
from models.statistics.periods import YEAR, quarter_start
from models.statistics.scope import load_scope
from models.statistics.suppression import alternatives, protect, unprotected_cells
from models.structural import AgendaItem, Measure, Meeting, change_status, merge_issue, new_issue
from models.system_level import (
    NOT_YET_CHECKABLE,
    effect_check,
    evidence_cover,
    evidence_for,
    evidence_rows,
    feedback_for,
    system_report,
)
from tests.factories import (
    TODAY,
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_organisation,
    make_partner,
    make_user,
)

S = IssueStatus


def quarter_before(day: dt.date, count: int) -> dt.date:
    """The first day of the quarter ``count`` quarters before the quarter of ``day``."""
    start = quarter_start(day)
    for _step in range(count):
        start = quarter_start(start - dt.timedelta(days=1))
    return start


@pytest.fixture
def register(session: Session):
    """Issue with barriers of awo (7, in 6 cases) and caritas (2, in 2 cases)."""
    category = make_category(session, "Wartezeiten Ausländerbehörde")
    partner = make_partner(session, "Ausländerbehörde Düsseldorf", kind="authority")
    issue = new_issue(session, title="Termine", category_id=category.id, today=TODAY)
    people = {}
    observed = quarter_before(TODAY, 1) + dt.timedelta(days=5)
    for slug, cases, extra in (("awo", 6, 1), ("caritas", 2, 0)):
        organisation = make_organisation(session, slug)
        manager = make_user(session, Role.CASE_MANAGER, organisation)
        lead = make_user(session, Role.ORG_LEAD, organisation)
        made = [
            make_case(session, make_client(session, organisation, manager), manager)
            for _n in range(cases)
        ]
        for case in [*made, *made[:extra]]:
            make_barrier(
                session,
                case,
                category,
                partner=partner,
                observed_on=observed,
                structural_issue=issue,
                status=BarrierStatus.REPORTED,
                created_by_id=manager.id,
            )
        people[slug] = (manager, lead, made)
    people["coordinator"] = make_user(session, Role.COORDINATOR)
    people["admin"] = make_user(session, Role.ADMIN)
    session.flush()
    return issue, category, partner, people


def cells(table, label):
    return next(row.cells for row in table.rows if row.label == label)


def test_coordination_sees_evidence_suppressed(session, register):
    issue, _category, _partner, people = register
    evidence = evidence_for(session, people["coordinator"], issue)
    assert evidence is not None and not evidence.exact
    barriers, cases, partners = evidence.tables
    # caritas' 2 is small; awo's 7 and the total 9 would give it away: one is withheld.
    assert cells(barriers, "CARITAS Düsseldorf")[-1] == "<5"
    assert "x" in (cells(barriers, "AWO Düsseldorf")[-1], cells(barriers, "Summe")[-1])
    assert "<5" in cells(cases, "CARITAS Düsseldorf")
    shown = [cell for row in barriers.rows for cell in row.cells]
    assert 2 not in shown
    assert cells(partners, "Ausländerbehörde Düsseldorf") == [9]


def test_every_hidden_evidence_cell_has_an_alternative_table(session, register):
    """The audit of the suppression method: no hidden cell follows from the shown ones,
    the partner table's total included (it equals the barrier table's)."""
    issue, _category, _partner, _people = register
    rows = evidence_rows(session, [issue.id])
    cover = evidence_cover(rows)
    publication = protect(cover)
    assert publication.hidden
    assert unprotected_cells(cover, publication, alternatives(cover)) == set()
    shown_total = publication.shown(("b", ALL, ALL))
    awo_total = publication.shown(("b", "AWO Düsseldorf", ALL))
    assert not (isinstance(shown_total, int) and isinstance(awo_total, int))


def test_coordination_never_gets_a_barrier_or_case_id(session, register):
    issue, _category, _partner, people = register
    evidence = evidence_for(session, people["coordinator"], issue)
    labels = {row.label for table in evidence.tables for row in table.rows}
    assert labels <= {
        "AWO Düsseldorf",
        "CARITAS Düsseldorf",
        "Ausländerbehörde Düsseldorf",
        "Summe",
    }


def test_a_lead_sees_exact_figures_of_the_own_organisation_only(session, register):
    issue, _category, _partner, people = register
    _manager, caritas_lead, _cases = people["caritas"]
    evidence = evidence_for(session, caritas_lead, issue)
    assert evidence is not None and evidence.exact
    barriers, cases, _partners = evidence.tables
    assert cells(barriers, "CARITAS Düsseldorf")[-1] == 2
    assert cells(cases, "CARITAS Düsseldorf")[-1] == 2
    assert all(row.label != "AWO Düsseldorf" for row in barriers.rows)
    assert (evidence.barriers, evidence.cases) == (2, 2)


@pytest.mark.parametrize("who", ["case_manager", "admin"])
def test_case_managers_and_admins_see_no_evidence(session, register, who):
    issue, _category, _partner, people = register
    user = people["admin"] if who == "admin" else people["awo"][0]
    assert evidence_for(session, user, issue) is None


def test_merged_evidence_counts_for_the_target(session, register):
    issue, category, _partner, people = register
    target = new_issue(session, title="Ausländerbehörde", category_id=category.id, today=TODAY)
    merge_issue(session, issue, target, TODAY)
    evidence = evidence_for(session, people["awo"][1], target)
    assert (evidence.barriers, evidence.cases) == (7, 6)


# --- the effect check ---------------------------------------------------------------------


@pytest.fixture
def indicator_data(session: Session):
    """20 cases open from before the first quarter, 5 more from the third; barriers of the
    indicator's category: 6 and 4 before, 2 and 1 after; one of another category."""
    category = make_category(session, "Hotline Jobcenter nicht erreichbar")
    other = make_category(session, "Sprachmittlung fehlt")
    organisation = make_organisation(session, "awo")
    manager = make_user(session, Role.CASE_MANAGER, organisation)
    implemented_on = quarter_before(TODAY, 3) + dt.timedelta(days=20)
    before = [quarter_before(TODAY, 5), quarter_before(TODAY, 4)]
    after = [quarter_before(TODAY, 2), quarter_before(TODAY, 1)]
    early = [
        make_case(
            session,
            make_client(session, organisation, manager),
            manager,
            opened_on=before[0] - dt.timedelta(days=10),
        )
        for _n in range(20)
    ]
    late = [
        make_case(
            session,
            make_client(session, organisation, manager),
            manager,
            opened_on=after[0] - dt.timedelta(days=1),
        )
        for _n in range(5)
    ]
    for start, count in zip([*before, *after], (6, 4, 2, 1), strict=True):
        for case in early[:count]:
            make_barrier(session, case, category, observed_on=start + dt.timedelta(days=3))
    make_barrier(session, late[0], other, observed_on=after[1] + dt.timedelta(days=3))
    issue = new_issue(session, title="Hotline", category_id=category.id, today=TODAY)
    measure = Measure(
        issue=issue,
        title="Rückrufservice",
        status=MeasureStatus.IMPLEMENTED,
        decided_on=implemented_on - dt.timedelta(days=30),
        implemented_on=implemented_on,
        indicator_category_id=category.id,
        indicator_quarters=2,
    )
    session.add(measure)
    session.flush()
    return measure


def test_effect_check_numbers_on_a_fixed_dataset(session, indicator_data):
    check = effect_check(session, indicator_data, TODAY)
    assert check is not None and check.checkable
    assert [(q.barriers, q.open_cases, q.rate) for q in check.before] == [
        (6, 20, 30.0),
        (4, 20, 20.0),
    ]
    assert [(q.barriers, q.open_cases, q.rate) for q in check.after] == [
        (2, 25, 8.0),
        (1, 25, 4.0),
    ]
    assert (check.rate_before, check.rate_after) == (25.0, 6.0)


def test_effect_check_shows_the_cells_the_statistics_publish(session, indicator_data):
    check = effect_check(session, indicator_data, TODAY)
    organisations = load_scope(session, None, True).organisations
    rows = {row.label: row.cells for row in check.shown().rows}
    for quarter in [*check.before, *check.after]:
        year, number = quarter.quarter
        statistics = CoordinationFigures(session, organisations, (year, YEAR), TODAY)
        shown_barriers = statistics.barriers.shown(
            ("b", indicator_data.indicator_category_id, ALL, ALL, number)
        )
        phase = "vorher" if quarter in check.before else "nachher"
        barriers, open_cases, shown_rate = rows[f"{phase}: {quarter.label}"]
        assert barriers == shown_barriers
        if isinstance(barriers, int):
            assert barriers == quarter.barriers
        if isinstance(open_cases, int):
            assert open_cases == quarter.open_cases
        if isinstance(barriers, int) and isinstance(open_cases, int):
            assert shown_rate == quarter.rate
        else:
            assert shown_rate == "x"
    # The small counts (2 and 1 after the measure) are never shown, nor a rate behind them.
    after_rows = [cells for label, cells in rows.items() if label.startswith("nachher: ")]
    assert all(cells[0] in ("<5", "x") for cells in after_rows)
    assert all(cells[2] == "x" for cells in after_rows)


def test_a_pooled_count_is_hidden_when_a_part_is(session, indicator_data):
    rows = {
        row.label: row.cells for row in effect_check(session, indicator_data, TODAY).shown().rows
    }
    for phase in ("vorher", "nachher"):
        parts = [
            cells[0]
            for label, cells in rows.items()
            if label.startswith(f"{phase}: ") and "zusammen" not in label
        ]
        pooled = rows[f"{phase}: zusammen"][0]
        if all(isinstance(part, int) for part in parts):
            assert pooled == sum(parts)
        else:
            assert pooled == "x"


def test_a_narrowed_indicator_is_protected_as_a_cover_of_its_own(session, indicator_data):
    partner = make_partner(session, "Jobcenter Düsseldorf")
    indicator_data.indicator_partner_id = partner.id
    check = effect_check(session, indicator_data, TODAY)
    assert check.published is None
    rows = {row.label: row.cells for row in check.shown().rows}
    # No barrier names the partner: every count is 0, shown; the open cases are large.
    assert rows["vorher: zusammen"] == [0, 40, 0.0]


def test_effect_check_not_yet_checkable_until_the_quarters_passed(session, indicator_data):
    indicator_data.implemented_on = quarter_before(TODAY, 1) + dt.timedelta(days=2)
    check = effect_check(session, indicator_data, TODAY)
    assert not check.checkable
    assert check.rate_after is None
    assert NOT_YET_CHECKABLE in check.shown().note


def test_effect_check_of_a_measure_not_implemented(session, indicator_data):
    indicator_data.status = MeasureStatus.PLANNED
    indicator_data.implemented_on = None
    check = effect_check(session, indicator_data, TODAY)
    assert not check.checkable
    assert check.after == []


def test_a_measure_without_indicator_has_no_effect_check(session, indicator_data):
    indicator_data.indicator_category_id = None
    assert effect_check(session, indicator_data, TODAY) is None


# --- the report ---------------------------------------------------------------------------


def test_system_report_counts_issues_measures_and_medians(session):
    category = make_category(session, "Anerkennung ausländischer Abschlüsse")
    first = new_issue(
        session,
        title="A",
        category_id=category.id,
        today=TODAY,
        reported_on=TODAY - dt.timedelta(days=100),
    )
    first.decided_on = TODAY - dt.timedelta(days=40)  # 60 days
    second = new_issue(
        session,
        title="B",
        category_id=category.id,
        today=TODAY,
        reported_on=TODAY - dt.timedelta(days=50),
    )
    second.decided_on = TODAY - dt.timedelta(days=30)  # 20 days
    second.status = S.MEASURE_DECIDED.value
    for status, due, implemented in (
        (MeasureStatus.PLANNED, TODAY + dt.timedelta(days=10), None),
        (MeasureStatus.IN_IMPLEMENTATION, TODAY - dt.timedelta(days=1), None),
        (MeasureStatus.IMPLEMENTED, TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=8)),
        (MeasureStatus.DISCARDED, TODAY - dt.timedelta(days=5), None),
    ):
        session.add(
            Measure(
                issue=first,
                title=str(status.label),
                status=status,
                due_on=due,
                decided_on=TODAY - dt.timedelta(days=40),
                implemented_on=implemented,
            )
        )
    session.flush()
    status_table, category_table, measure_table, durations = system_report(session, TODAY).tables
    assert cells(status_table, "eingegangen") == [1]
    assert cells(status_table, "Maßnahme beschlossen") == [1]
    assert cells(category_table, "Anerkennung ausländischer Abschlüsse") == [2]
    assert cells(measure_table, "fällig (Frist noch nicht erreicht)") == [1]
    assert cells(measure_table, "überfällig") == [1]
    assert cells(measure_table, "umgesetzt") == [1]
    assert cells(measure_table, "verworfen") == [1]
    assert cells(durations, "Meldung bis Beschluss (Strukturthemen)") == [40, 2]
    assert cells(durations, "Beschluss bis Umsetzung (Maßnahmen)") == [32, 1]


# --- the loop back ------------------------------------------------------------------------


def test_case_manager_sees_the_status_change_of_the_issue_their_barrier_feeds(
    session, register, clock
):
    issue, _category, _partner, people = register
    manager, _lead, _cases = people["awo"]
    other_manager = people["caritas"][0]
    record_event(session, actor=manager, action="login")
    session.flush()
    clock.shift(3600)
    record_event(session, actor=manager, action="login")  # the current session
    session.flush()
    assert feedback_for(session, manager) == []  # nothing changed since the last sign-in

    clock.shift(60)
    change_status(issue, S.VALIDATED, TODAY)
    meeting = Meeting(kind="steering_group", held_on=TODAY, title="Lenkungsgruppe")
    meeting.items.append(AgendaItem(issue=issue, position=1, decision="AG Termine einrichten"))
    session.add(meeting)
    session.flush()
    clock.shift(60)
    record_event(session, actor=manager, action="login")
    session.flush()

    (feedback,) = feedback_for(session, manager)
    assert (feedback.number, feedback.status, feedback.decision) == (
        issue.number,
        "validiert",
        "AG Termine einrichten",
    )
    # A case manager whose barriers feed nothing of theirs sees nothing of a's.
    assert [f.number for f in feedback_for(session, other_manager)] == [issue.number]
    assert feedback_for(session, people["awo"][1]) == []


def test_feedback_of_a_merged_issue_names_where_it_went(session, register):
    issue, category, _partner, people = register
    target = new_issue(session, title="Ausländerbehörde", category_id=category.id, today=TODAY)
    merge_issue(session, issue, target, TODAY)
    (feedback,) = feedback_for(session, people["awo"][0])
    assert (feedback.number, feedback.merged_into) == (target.number, issue.number)
