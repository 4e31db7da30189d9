"""The system level through its screens: a barrier reported to a new or existing issue,
the refusal of personal data, the coordination's status changes and merge, the evidence
each role sees, the loop back, the meeting packet as PDF, the register as CSV, the report."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from models import AuditEvent, Barrier, Measure, Meeting, StructuralIssue, User
from models.choices import BarrierStatus
from tests.factories import OBSERVED_ON, TODAY

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world


def barrier_form(world, **values):
    return {
        "case": world.a.case_id,
        "category": world.category_id,
        "observed_on": OBSERVED_ON.isoformat(),
        "status": "reported",
        "description": "Termin erst in drei Monaten",
        **values,
    }


def issue_count(session) -> int:
    return session.execute(select(func.count(StructuralIssue.id))).scalar_one()


def test_a_case_manager_reports_a_barrier_to_a_new_issue(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    before = issue_count(session)

    response = client.post(
        "/admin/barriers/new/",
        data=barrier_form(
            world,
            proposal_title="Dolmetscher für Arzttermine fehlen",
            proposal_description="Praxen vergeben ohne Sprachmittlung keine Termine",
        ),
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert issue_count(session) == before + 1
    issue = session.execute(
        select(StructuralIssue).where(StructuralIssue.title == "Dolmetscher für Arzttermine fehlen")
    ).scalar_one()
    assert issue.status == "received"
    assert issue.number == f"ST-{TODAY.year}-002"
    barrier = session.execute(
        select(Barrier).where(Barrier.structural_issue_id == issue.id)
    ).scalar_one()
    assert barrier.status == BarrierStatus.REPORTED
    assert barrier.organisation_id == world.a.organisation_id
    created = session.execute(
        select(AuditEvent).where(
            AuditEvent.record_type == "StructuralIssue", AuditEvent.record_id == issue.id
        )
    ).scalar_one()
    assert created.action == "create"
    assert "Dolmetscher" not in (created.changed_fields or "")  # free text: named only


@pytest.mark.parametrize(
    "text",
    ["Frau Haddad wartet", "Rückruf unter 0211 8921234", "Mail an a@example.org", "AWO-2026-0001"],
)
def test_a_proposal_with_personal_data_is_refused_and_nothing_saved(
    client, auth, world, session, text
):
    auth.login(world.a.case_manager_email)
    before = issue_count(session)
    barriers = session.execute(select(func.count(Barrier.id))).scalar_one()

    response = client.post(
        "/admin/barriers/new/",
        data=barrier_form(world, proposal_title="Wartezeiten", proposal_description=text),
    )

    assert response.status_code == 200
    assert "nicht die Person" in response.get_data(as_text=True)
    assert issue_count(session) == before
    assert session.execute(select(func.count(Barrier.id))).scalar_one() == barriers


def test_a_reported_barrier_needs_an_issue(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.post("/admin/barriers/new/", data=barrier_form(world))
    assert response.status_code == 200
    assert "gehört zu einem Strukturthema" in response.get_data(as_text=True)


def test_a_barrier_links_to_an_existing_issue_and_shows_what_became_of_it(
    client, auth, world, session
):
    auth.login(world.a.case_manager_email)
    response = client.post(
        f"/admin/barriers/edit/?id={world.a.barrier_id}",
        data=barrier_form(world, structural_issue=world.issue_id, row_version="1"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    barrier = session.get(Barrier, world.a.barrier_id)
    session.refresh(barrier)
    assert barrier.structural_issue_id == world.issue_id

    page = client.get(f"/admin/barriers/details/?id={world.a.barrier_id}").get_data(as_text=True)
    issue = session.get(StructuralIssue, world.issue_id)
    assert issue.number in page
    assert "Status: validiert" in page
    assert "Letzter Beschluss: AG beauftragt" in page


def test_the_issue_select_offers_open_issues_only(client, auth, world, session):
    closed = session.get(StructuralIssue, world.issue_id)
    closed.status = "closed"
    session.commit()
    auth.login(world.a.case_manager_email)
    page = client.get(f"/admin/barriers/new/?case={world.a.case_id}").get_data(as_text=True)
    assert closed.number not in page


# --- the coordination keeps the register ------------------------------------------------------


def transition(client, world, status, **extra):
    return client.post(
        "/admin/structural-issues/transition/",
        data={"id": world.issue_id, "status": status, "version": "1", **extra},
    )


def test_coordination_moves_an_issue_along(client, auth, world, session):
    auth.login(world.coordinator_email)
    response = transition(client, world, "in_working_group")
    assert response.status_code == 302
    issue = session.get(StructuralIssue, world.issue_id)
    session.refresh(issue)
    assert issue.status == "in_working_group"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Der Status ist jetzt „in Arbeitsgruppe“." in page


def test_a_status_change_is_audited_with_its_values(client, auth, world, session):
    auth.login(world.coordinator_email)
    transition(client, world, "in_working_group")
    event = (
        session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.record_type == "StructuralIssue", AuditEvent.record_id == world.issue_id
            )
            .order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event.action == "update"
    assert '"status": ["validated", "in_working_group"]' in event.changed_fields
    assert event.organisation_id is None  # a system-level record belongs to no organisation


def test_a_forbidden_transition_is_refused_with_a_german_message(client, auth, world, session):
    auth.login(world.coordinator_email)
    response = transition(client, world, "closed")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kann nicht in den Status „abgeschlossen“ wechseln" in page
    issue = session.get(StructuralIssue, world.issue_id)
    session.refresh(issue)
    assert issue.status == "validated"


def test_a_stale_transition_is_refused(client, auth, world, session):
    auth.login(world.coordinator_email)
    transition(client, world, "in_working_group")
    response = transition(client, world, "measure_decided")  # still says version 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "inzwischen" in page
    issue = session.get(StructuralIssue, world.issue_id)
    session.refresh(issue)
    assert issue.status == "in_working_group"


def test_the_closing_gate_through_the_screen(client, auth, world, session):
    issue = session.get(StructuralIssue, world.issue_id)
    issue.status = "effect_checked"
    session.commit()
    auth.login(world.coordinator_email)
    refused = transition(client, world, "closed", version=str(issue.version))
    assert "Wirkung bewertet" in client.get(refused.headers["Location"]).get_data(as_text=True)
    transition(
        client,
        world,
        "closed",
        version=str(issue.version),
        effect_rating="partly_effective",
        effect_justification="Wartezeit gesunken, aber nicht überall",
    )
    session.refresh(issue)
    assert (issue.status, issue.effect_rating) == ("closed", "partly_effective")


def test_coordination_merges_two_issues(client, auth, world, session):
    auth.login(world.coordinator_email)
    client.post(
        "/admin/structural-issues/new/",
        data={"title": "Keine Online-Termine", "category": world.category_id, "priority": "high"},
    )
    other = session.execute(
        select(StructuralIssue).where(StructuralIssue.title == "Keine Online-Termine")
    ).scalar_one()
    response = client.post(
        "/admin/structural-issues/merge/",
        data={"id": other.id, "into": world.issue_id, "version": str(other.version)},
    )
    assert response.status_code == 302
    session.refresh(other)
    assert (other.status, other.merged_into_id) == ("merged", world.issue_id)


# --- evidence: suppressed for the coordination, exact for a lead, none otherwise -------------


@pytest.fixture
def linked(world, session):
    for barrier_id in (world.a.barrier_id, world.b.barrier_id):
        barrier = session.get(Barrier, barrier_id)
        barrier.structural_issue_id = world.issue_id
        barrier.status = "reported"
    session.commit()
    return world


def test_coordination_sees_suppressed_evidence_and_no_person(client, auth, linked):
    auth.login(linked.coordinator_email)
    page = client.get(f"/admin/structural-issues/details/?id={linked.issue_id}").get_data(
        as_text=True
    )
    assert "Verknüpfte Barrieren je Quartal" in page
    assert "&lt;5" in page
    for secret in (linked.a.client_name, linked.b.client_name, "AWO-F-", "CARITAS-F-"):
        assert secret not in page


@pytest.mark.parametrize(
    ("lead", "own", "foreign"),
    [("a", "AWO Düsseldorf", "CARITAS Düsseldorf"), ("b", "CARITAS Düsseldorf", "AWO Düsseldorf")],
)
def test_a_lead_sees_the_exact_figures_of_the_own_organisation(  # noqa: PLR0917 - fixtures
    client, auth, linked, lead, own, foreign
):
    auth.login(getattr(linked, lead).lead_email)
    page = client.get(f"/admin/structural-issues/details/?id={linked.issue_id}").get_data(
        as_text=True
    )
    assert "Genaue Zahlen Ihrer Organisation." in page
    assert own in page
    assert foreign not in page
    assert "&lt;5" not in page


def test_a_case_manager_sees_the_register_but_no_figures(client, auth, linked):
    auth.login(linked.a.case_manager_email)
    page = client.get(f"/admin/structural-issues/details/?id={linked.issue_id}").get_data(
        as_text=True
    )
    assert "Verknüpfte Barrieren je Quartal" not in page
    assert "Status: in Arbeitsgruppe" not in page  # no buttons for the case level


# --- the loop back on the start page ---------------------------------------------------------


def test_the_start_page_tells_the_case_manager_what_changed(client, auth, linked, clock):
    auth.login(linked.a.case_manager_email)
    auth.logout()
    clock.shift(60)
    coordination = auth.browser(linked.coordinator_email)
    coordination.post(
        "/admin/structural-issues/transition/",
        data={"id": linked.issue_id, "status": "in_working_group", "version": "1"},
    )
    clock.shift(60)
    auth.login(linked.a.case_manager_email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Rückmeldungen zu Ihren Meldungen" in page
    assert "Status: in Arbeitsgruppe" in page
    # Signed in once more, nothing has changed since.
    auth.logout()
    clock.shift(60)
    auth.login(linked.a.case_manager_email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "hat sich an den Strukturthemen Ihrer Meldungen nichts geändert" in page


# --- register, measures, meetings, packet, CSV, report ---------------------------------------


def test_a_proposal_in_the_register_is_checked_and_has_no_assignment_fields(
    client, auth, world, session
):
    auth.login(world.a.lead_email)
    form = client.get("/admin/structural-issues/new/").get_data(as_text=True)
    assert 'name="working_group"' not in form
    assert 'name="title"' in form
    refused = client.post(
        "/admin/structural-issues/new/",
        data={"title": "Fall Haddad", "category": world.category_id},
    )
    assert refused.status_code == 200
    assert "Namen einer Klientin" in refused.get_data(as_text=True)
    accepted = client.post(
        "/admin/structural-issues/new/",
        data={"title": "Anerkennung dauert zu lange", "category": world.category_id},
    )
    assert accepted.status_code == 302


def test_an_implemented_measure_needs_its_date(client, auth, world, session):
    auth.login(world.coordinator_email)
    response = client.post(
        f"/admin/measures/edit/?id={world.measure_id}",
        data={
            "issue": world.issue_id,
            "title": "Online",
            "status": "implemented",
            "row_version": "1",
        },
    )
    assert response.status_code == 200
    assert "wann die Maßnahme umgesetzt wurde" in response.get_data(as_text=True)
    response = client.post(
        f"/admin/measures/edit/?id={world.measure_id}",
        data={
            "issue": world.issue_id,
            "title": "Online",
            "status": "implemented",
            "implemented_on": TODAY.isoformat(),
            "indicator_category": world.category_id,
            "indicator_quarters": "2",
            "row_version": "1",
        },
    )
    assert response.status_code == 302
    measure = session.get(Measure, world.measure_id)
    session.refresh(measure)
    assert measure.status == "implemented"
    page = client.get(f"/admin/measures/details/?id={world.measure_id}").get_data(as_text=True)
    assert "noch nicht prüfbar" in page


def test_a_meeting_with_agenda_and_decision(client, auth, world, session):
    auth.login(world.coordinator_email)
    response = client.post(
        "/admin/meetings/new/",
        data={
            "kind": "steering_group",
            "held_on": TODAY.isoformat(),
            "title": "Lenkungsgruppe Dezember",
            "items-0-position": "1",
            "items-0-issue": world.issue_id,
            "items-0-decision": "Terminkontingent für KIM-Fälle",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    meeting = session.execute(
        select(Meeting).where(Meeting.title == "Lenkungsgruppe Dezember")
    ).scalar_one()
    assert [item.decision for item in meeting.items] == ["Terminkontingent für KIM-Fälle"]


def test_the_meeting_packet_downloads_as_a_pdf(client, auth, linked):
    auth.login(linked.coordinator_email)
    page = client.get(f"/admin/meetings/packet/?id={linked.meeting_id}")
    assert page.status_code == 200
    assert "Sitzungsunterlage" in page.get_data(as_text=True)
    response = client.get(f"/admin/meetings/packet.pdf?id={linked.meeting_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Sitzungsunterlage: Lenkungsgruppe" in text
    assert "Wartezeiten auf Termine" in text
    assert "Fällige und überfällige Maßnahmen" in text
    assert linked.a.client_name not in text


def test_the_register_downloads_as_csv_without_persons(client, auth, linked, session):
    auth.login(linked.coordinator_email)
    response = client.get("/admin/structural-issues/export/csv/")
    assert response.status_code == 200
    body = response.get_data().decode("utf-8-sig")
    issue = session.get(StructuralIssue, linked.issue_id)
    assert issue.number in body
    assert "Wartezeiten auf Termine" in body
    assert linked.a.client_name not in body


def test_the_statistics_page_has_the_system_report_for_the_coordination(client, auth, world):
    auth.login(world.coordinator_email)
    page = client.get("/admin/statistics/?preset=this_year").get_data(as_text=True)
    assert "Systemebene: Strukturthemen und Maßnahmen" in page
    assert "Meldung bis Beschluss" in page
    auth.logout()
    auth.login(world.a.lead_email)
    page = client.get("/admin/statistics/").get_data(as_text=True)
    assert "Systemebene: Strukturthemen und Maßnahmen" not in page


@pytest.mark.parametrize("view", ["structural-issues", "measures"])
def test_a_stale_edit_of_the_register_is_refused_and_the_first_change_kept(
    client, auth, world, session, view
):
    auth.login(world.coordinator_email)
    record_id = world.issue_id if view == "structural-issues" else world.measure_id
    url = f"/admin/{view}/edit/?id={record_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="row_version" type="hidden" value="1"' in page
    record = session.get(StructuralIssue if view == "structural-issues" else Measure, record_id)
    form = {"issue": world.issue_id, "category": world.category_id, "status": record.status}
    form |= {"priority": "medium", "indicator_quarters": "2"}
    first = client.post(url, data={**form, "title": "Erste Änderung", "row_version": "1"})
    assert first.status_code == 302
    stale = client.post(url, data={**form, "title": "Zweite Änderung", "row_version": "1"})
    assert stale.status_code == 200
    assert "inzwischen" in stale.get_data(as_text=True)
    session.refresh(record)
    assert (record.title, record.version) == ("Erste Änderung", 2)


def test_the_register_names_roles_not_the_people_who_proposed(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    client.post(
        "/admin/structural-issues/new/",
        data={"title": "Wartezeiten Bürgerbüro", "category": world.category_id},
    )
    proposed = session.scalar(
        select(StructuralIssue).where(StructuralIssue.title == "Wartezeiten Bürgerbüro")
    )
    coordination = auth.browser(world.coordinator_email)
    page = coordination.get(f"/admin/structural-issues/details/?id={proposed.id}")
    history = page.get_data(as_text=True).split("Verlauf", 1)[-1]
    manager = session.scalar(select(User).where(User.email == world.a.case_manager_email))
    assert "Case Manager*in" in history
    assert manager.full_name not in history


@pytest.mark.parametrize(
    "reason",
    ["Rückfrage an anna.beispiel@example.org", "siehe Aktenzeichen AWO-2026-000123"],
)
def test_a_reason_with_personal_data_is_refused(client, auth, world, session, reason):
    auth.login(world.coordinator_email)
    before = session.get(StructuralIssue, world.issue_id).status
    response = transition(client, world, "deferred", reason=reason)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "aussieht" in page or "E-Mail" in page
    issue = session.get(StructuralIssue, world.issue_id)
    session.refresh(issue)
    assert (issue.status, issue.status_reason) == (before, None)


def test_an_overlong_reason_gets_a_german_message_not_a_500(client, auth, world, session):
    auth.login(world.coordinator_email)
    response = transition(client, world, "deferred", reason="x" * 2001)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "höchstens 2.000 Zeichen" in page
