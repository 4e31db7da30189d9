"""The system level's domain rules, tested directly: the state machine of a structural
issue, the closing gate, the merge, the personal-data check of a proposal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from models.choices import BarrierStatus, IssueStatus, Role
from models.proposals import (
    ProposalError,
    check_proposal,
    personal_data_findings,
    propose_issue,
    report_errors,
)
from models.structural import (
    IssueError,
    StructuralIssue,
    change_status,
    evidence_issue_ids,
    merge_issue,
    new_issue,
)
from models.system_level import evidence_counts
from tests.factories import (
    TODAY,
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_organisation,
    make_user,
)

S = IssueStatus
OPEN_STATES = [
    S.RECEIVED,
    S.VALIDATED,
    S.IN_WORKING_GROUP,
    S.MEASURE_DECIDED,
    S.IN_IMPLEMENTATION,
    S.IMPLEMENTED,
    S.EFFECT_CHECKED,
    S.DEFERRED,
]
# The specification's table, written out: from each status, where it may go.
ALLOWED: dict[IssueStatus, set[IssueStatus]] = {
    S.RECEIVED: {S.VALIDATED, S.DEFERRED, S.REJECTED, S.MERGED},
    S.VALIDATED: {S.IN_WORKING_GROUP, S.DEFERRED, S.REJECTED, S.MERGED},
    S.IN_WORKING_GROUP: {S.MEASURE_DECIDED, S.DEFERRED, S.REJECTED, S.MERGED},
    S.MEASURE_DECIDED: {S.IN_IMPLEMENTATION, S.DEFERRED, S.REJECTED, S.MERGED},
    S.IN_IMPLEMENTATION: {S.IMPLEMENTED, S.DEFERRED, S.REJECTED, S.MERGED},
    S.IMPLEMENTED: {S.EFFECT_CHECKED, S.DEFERRED, S.REJECTED, S.MERGED},
    S.EFFECT_CHECKED: {S.CLOSED, S.DEFERRED, S.REJECTED, S.MERGED},
    S.DEFERRED: {S.VALIDATED, S.IN_WORKING_GROUP, S.REJECTED, S.MERGED},
    S.CLOSED: set(),
    S.REJECTED: set(),
    S.MERGED: set(),
}


@pytest.fixture
def category(session: Session):
    return make_category(session, "Wartezeiten Ausländerbehörde")


def issue_in(session: Session, category, status: IssueStatus, title: str = "Wartezeiten"):
    issue = new_issue(session, title=title, category_id=category.id, today=TODAY)
    issue.status = status.value
    session.flush()
    return issue


def test_numbers_run_per_year(session, category):
    first = new_issue(session, title="A", category_id=category.id, today=TODAY)
    second = new_issue(session, title="B", category_id=category.id, today=TODAY)
    assert first.number == f"ST-{TODAY.year}-001"
    assert second.number == f"ST-{TODAY.year}-002"
    assert first.status == S.RECEIVED
    assert first.reported_on == TODAY


@pytest.mark.parametrize("target", list(IssueStatus))
@pytest.mark.parametrize("current", list(IssueStatus))
def test_every_transition_is_allowed_or_refused_as_specified(session, category, current, target):
    issue = issue_in(session, category, current)
    allowed = target in ALLOWED[current]

    if target is S.MERGED:
        other = issue_in(session, category, S.VALIDATED, "Ziel")
        if allowed:
            merge_issue(session, issue, other, TODAY)
            assert issue.status == S.MERGED
        else:
            with pytest.raises(IssueError):
                merge_issue(session, issue, other, TODAY)
            assert issue.status == current
        return
    if allowed:
        change_status(
            issue,
            target,
            TODAY,
            reason="Zuständigkeit liegt beim Land",
            effect_rating="effective",
            effect_justification="Wartezeit von 12 auf 4 Wochen gesunken",
        )
        assert issue.status == target
    else:
        with pytest.raises(IssueError) as refused:
            change_status(
                issue,
                target,
                TODAY,
                reason="Begründung",
                effect_rating="effective",
                effect_justification="Wartezeit deutlich gesunken",
            )
        assert issue.status == current
        assert "kann nicht" in str(refused.value)


def test_dates_follow_the_status(session, category):
    issue = issue_in(session, category, S.RECEIVED)
    change_status(issue, S.VALIDATED, TODAY)
    change_status(issue, S.IN_WORKING_GROUP, TODAY)
    change_status(issue, S.MEASURE_DECIDED, TODAY)
    assert (issue.validated_on, issue.decided_on, issue.closed_on) == (TODAY, TODAY, None)


@pytest.mark.parametrize("status", [S.DEFERRED, S.REJECTED])
def test_deferring_and_rejecting_need_a_reason(session, category, status):
    issue = issue_in(session, category, S.VALIDATED)
    with pytest.raises(IssueError, match="Begründung"):
        change_status(issue, status, TODAY, reason="  ")
    change_status(issue, status, TODAY, reason="Landesrecht, nicht kommunal lösbar")
    assert issue.status_reason == "Landesrecht, nicht kommunal lösbar"


def test_unknown_status_is_refused(session, category):
    issue = issue_in(session, category, S.RECEIVED)
    with pytest.raises(IssueError, match="gibt es nicht"):
        change_status(issue, "gone", TODAY)


# --- the closing gate ---------------------------------------------------------------------


def test_closing_needs_an_effect_rating(session, category):
    issue = issue_in(session, category, S.EFFECT_CHECKED)
    with pytest.raises(IssueError, match="Wirkung bewertet"):
        change_status(issue, S.CLOSED, TODAY, effect_justification="lange genug begründet")
    assert issue.status == S.EFFECT_CHECKED


def test_closing_refuses_an_unknown_rating(session, category):
    issue = issue_in(session, category, S.EFFECT_CHECKED)
    with pytest.raises(IssueError, match="Wirkung bewertet"):
        change_status(
            issue, S.CLOSED, TODAY, effect_rating="great", effect_justification="lang genug"
        )


@pytest.mark.parametrize("justification", [None, "", "kurz"])
def test_closing_needs_a_justification(session, category, justification):
    issue = issue_in(session, category, S.EFFECT_CHECKED)
    with pytest.raises(IssueError, match="begründen"):
        change_status(
            issue, S.CLOSED, TODAY, effect_rating="effective", effect_justification=justification
        )
    assert issue.status == S.EFFECT_CHECKED
    assert issue.closed_on is None


def test_closing_with_rating_and_justification(session, category):
    issue = issue_in(session, category, S.EFFECT_CHECKED)
    change_status(
        issue,
        S.CLOSED,
        TODAY,
        effect_rating="not_assessable",
        effect_justification="Zu wenige Fälle im Vergleichszeitraum",
    )
    assert (issue.status, issue.effect_rating, issue.closed_on) == (
        S.CLOSED,
        "not_assessable",
        TODAY,
    )


# --- the merge ----------------------------------------------------------------------------


@pytest.fixture
def two_organisations(session: Session, category):
    """Barriers of two organisations; one case of a feeds both issues."""
    records = {}
    for slug in ("awo", "caritas"):
        organisation = make_organisation(session, slug)
        manager = make_user(session, Role.CASE_MANAGER, organisation)
        cases = [
            make_case(session, make_client(session, organisation, manager), manager)
            for _number in range(3)
        ]
        records[slug] = cases
    return records


def link(session, case, category, issue, day=None):
    return make_barrier(
        session,
        case,
        category,
        structural_issue=issue,
        status=BarrierStatus.REPORTED,
        observed_on=day or TODAY - dt.timedelta(days=30),
    )


def test_merge_moves_the_evidence_and_counts_distinct_cases_once(
    session, category, two_organisations
):
    awo, caritas = two_organisations["awo"], two_organisations["caritas"]
    target = issue_in(session, category, S.VALIDATED, "Termine Ausländerbehörde")
    source = issue_in(session, category, S.RECEIVED, "Keine Termine online")
    for case in (awo[0], awo[1], caritas[0]):
        link(session, case, category, target)
    for case in (awo[0], caritas[1], caritas[2]):
        link(session, case, category, source)
    assert evidence_counts(session, target.id) == (3, 3)
    assert evidence_counts(session, source.id) == (3, 3)

    merge_issue(session, source, target, TODAY)

    assert source.status == S.MERGED
    assert source.merged_into_id == target.id
    assert source.closed_on == TODAY
    # Six barriers; awo[0] fed both issues and is one case.
    assert evidence_counts(session, target.id) == (6, 5)
    assert evidence_issue_ids(session, target.id) == {target.id, source.id}


def test_merge_follows_chains(session, category, two_organisations):
    awo = two_organisations["awo"]
    first, second, third = (issue_in(session, category, S.VALIDATED, t) for t in "ABC")
    for issue, case in zip((first, second, third), awo, strict=True):
        link(session, case, category, issue)
    merge_issue(session, first, second, TODAY)
    merge_issue(session, second, third, TODAY)
    assert evidence_counts(session, third.id) == (3, 3)


@pytest.mark.parametrize("target_status", [S.CLOSED, S.REJECTED, S.MERGED])
def test_merge_into_a_closed_issue_is_refused(session, category, target_status):
    source = issue_in(session, category, S.VALIDATED, "A")
    target = issue_in(session, category, target_status, "B")
    with pytest.raises(IssueError, match="offenes"):
        merge_issue(session, source, target, TODAY)
    assert source.status == S.VALIDATED


def test_merge_with_itself_is_refused(session, category):
    issue = issue_in(session, category, S.VALIDATED)
    with pytest.raises(IssueError, match="mit sich selbst"):
        merge_issue(session, issue, issue, TODAY)


def test_merge_back_into_a_part_is_refused(session, category):
    first = issue_in(session, category, S.VALIDATED, "A")
    second = issue_in(session, category, S.VALIDATED, "B")
    merge_issue(session, first, second, TODAY)
    first.status = S.VALIDATED.value  # even if someone reopened it by hand
    with pytest.raises(IssueError, match="bereits Teil"):
        merge_issue(session, first, second, TODAY)


# --- no persons at the system level --------------------------------------------------------


@pytest.fixture
def own_clients(session: Session):
    awo = make_organisation(session, "awo")
    caritas = make_organisation(session, "caritas")
    manager = make_user(session, Role.CASE_MANAGER, awo)
    other_manager = make_user(session, Role.CASE_MANAGER, caritas)
    make_client(session, awo, manager, first_name="Amina", last_name="Haddad")
    make_client(session, caritas, other_manager, first_name="Oleksandr", last_name="Shevchenko")
    return awo


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("Frau hat Aktenzeichen AWO-2026-0042", "Aktenzeichen"),
        ("siehe CARITAS-F-2026-0007", "Fallnummer"),
        ("Az. 12/345 beim Amt", "Aktenzeichen"),
        ("Rückfragen an a.haddad@example.org", "E-Mail"),
        ("erreichbar unter 0211 8921234", "Telefonnummer"),
        ("erreichbar unter +49 211 892-1234", "Telefonnummer"),
        ("Frau Haddad wartet seit Monaten", "Namen"),
        ("Amina wartet seit Monaten", "Namen"),
        ("frau haddád wartet", "Namen"),  # any case, any accent
    ],
)
def test_proposal_with_personal_data_is_refused(session, own_clients, text, finding):
    findings = personal_data_findings(session, [text], own_clients.id)
    assert any(finding in message for message in findings), findings
    with pytest.raises(ProposalError) as refused:
        check_proposal(session, "Wartezeiten", text, own_clients.id)
    assert "nicht die Person" in " ".join(refused.value.messages)


@pytest.mark.parametrize(
    "text",
    [
        "Wartezeit auf einen Termin bei der Ausländerbehörde: 12 Wochen im 3. Quartal 2026",
        "Hotline des Jobcenters ist am 01.03.2026 nicht erreichbar gewesen",
        "Verwandt mit ST-2026-007 (Sprachmittlung)",
        "Herr Shevchenko",  # a client of another organisation: the proposer cannot know it
        "Anträge nur digital, 2026-2027 geplant",
    ],
)
def test_proposal_without_personal_data_passes(session, own_clients, text):
    assert personal_data_findings(session, [text], own_clients.id) == []
    check_proposal(session, "Wartezeiten Ausländerbehörde", text, own_clients.id)


def test_the_title_is_checked_too(session, own_clients):
    with pytest.raises(ProposalError, match="Namen"):
        check_proposal(session, "Fall Haddad", None, own_clients.id)


def test_an_empty_title_is_refused(session, own_clients):
    with pytest.raises(ProposalError, match="Titel"):
        check_proposal(session, "  ", "Beschreibung", own_clients.id)


def test_a_checked_proposal_is_a_received_issue(session, own_clients, category):
    issue = propose_issue(
        session,
        title="Dolmetscher für Arzttermine fehlen",
        description="Praxen lehnen Termine ohne Sprachmittlung ab",
        category_id=category.id,
        organisation_id=own_clients.id,
        today=TODAY,
    )
    assert isinstance(issue, StructuralIssue)
    assert issue.status == S.RECEIVED


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (
            {"status": "reported", "structural_issue": None, "proposal_title": ""},
            "structural_issue",
        ),
        ({"status": "open", "structural_issue": None, "proposal_title": ""}, None),
        ({"status": "reported", "structural_issue": None, "proposal_title": "Neu"}, None),
    ],
)
def test_a_reported_barrier_names_an_issue(values, field):
    errors = report_errors(values)
    assert list(errors) == ([field] if field else [])


def test_a_barrier_links_to_open_issues_only(session, category):
    closed = issue_in(session, category, S.CLOSED)
    values = {"status": "reported", "structural_issue": closed, "proposal_title": ""}
    assert "structural_issue" in report_errors(values)
    # ... but keeps the link it already has.
    assert report_errors(values, previous_issue_id=closed.id) == {}


def test_issue_and_proposal_together_are_refused(session, category):
    issue = issue_in(session, category, S.VALIDATED)
    values = {"status": "reported", "structural_issue": issue, "proposal_title": "Neu"}
    assert "proposal_title" in report_errors(values)
