"""The Integrationsplan in the browser: plan, two goals, three steps, a referral, the PDF."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from models import Case, Client, Organisation
from models.plan import IntegrationPlan, default_review_on
from tests.e2e.live import E2E_TODAY, LiveServer
from tests.e2e.test_journeys import fill_date, save, select2_choose
from tests.e2e.walk import Walk

pytestmark = pytest.mark.e2e

OpenWalk = Callable[..., Walk]


def awo_case_without_plan(live_server: LiveServer) -> tuple[int, str]:
    with live_server.app.app_context():
        planned = select(IntegrationPlan.case_id)
        case = db.session.execute(
            select(Case)
            .join(Organisation, Case.organisation_id == Organisation.id)
            .join(Client, Case.client_id == Client.id)
            .where(
                Organisation.slug == "awo",
                Case.closed_on.is_(None),
                Case.archived_at.is_(None),
                Client.archived_at.is_(None),
                Case.id.not_in(planned),
            )
            .order_by(Case.id)
            .limit(1)
        ).scalar_one()
        found = (case.id, case.case_number)
        db.session.remove()
    return found


def add_goal(walk: Walk, topic: str, text: str) -> None:
    page = walk.page
    with page.expect_navigation():
        page.get_by_role("link", name="Ziel hinzufügen").first.click()
    walk.check()
    select2_choose(page, "topic", topic)
    page.get_by_label("Ziel in den Worten der Klient*in").fill(text)
    select2_choose(page, "status", "in Arbeit")
    save(walk)
    assert "erfolgreich" in walk.flash_text(), walk.flash_text()


def add_step(walk: Walk, goal_text: str, description: str, who: str, due_on: str) -> None:
    page = walk.page
    section = page.locator("section.kim-related", has_text="Schritte zu: ").filter(
        has_text=goal_text[:30]
    )
    with page.expect_navigation():
        section.get_by_role("link", name="Schritt hinzufügen").click()
    walk.check()
    page.get_by_label("Beschreibung").fill(description)
    select2_choose(page, "responsible", who)
    if who == "Partner":
        select2_choose(page, "partner", "Jobcenter", "Jobcenter Düsseldorf")
    fill_date(page, "#due_on", due_on)
    save(walk)
    assert "erfolgreich" in walk.flash_text(), walk.flash_text()


def test_a_case_manager_writes_a_plan_makes_a_referral_and_prints_it(
    open_walk: OpenWalk, live_server: LiveServer, tmp_path
):
    case_id, case_number = awo_case_without_plan(live_server)
    cm = open_walk("cm-awo")
    cm.login("cm.awo@example.org")
    page = cm.page

    # The plan, from the case's page.
    cm.visit(f"/admin/cases/details/?id={case_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Integrationsplan anlegen").click()
    cm.check()
    expect(page.locator("#s2id_case")).to_contain_text(case_number)
    select2_choose(page, "status", "vereinbart")
    fill_date(page, "#agreed_on", E2E_TODAY.isoformat())
    select2_choose(page, "agreement_form", "schriftlich")
    page.get_by_label("Sprache").fill("Arabisch")
    page.get_by_label("Mit Sprachmittlung").check()
    save(cm)
    assert "erfolgreich" in cm.flash_text(), cm.flash_text()
    plans = page.locator("section.kim-related", has_text="Integrationsplan")
    expect(plans.first).to_contain_text("vereinbart")
    with page.expect_navigation():
        plans.first.get_by_role("link", name="Fassung 1").click()
    cm.check()

    # Two goals in the client's words, three steps.
    first_goal = "Ich möchte wieder als Pflegehelferin arbeiten."
    second_goal = "Wir wollen eine eigene Wohnung in Düsseldorf finden."
    add_goal(cm, "Arbeit und Beruf", first_goal)
    add_goal(cm, "Wohnen", second_goal)
    add_step(cm, first_goal, "Beratung beim Jobcenter zur Anerkennung", "Partner", "2026-12-04")
    add_step(cm, first_goal, "Zeugnisse übersetzen lassen", "Klient*in", "2026-12-10")
    add_step(cm, second_goal, "WBS-Antrag ausfüllen", "Case Manager*in", "2026-12-01")
    steps = page.locator("section.kim-related", has_text="Schritte zu:")
    expect(steps).to_have_count(2)
    expect(steps.first).to_contain_text("Beratung beim Jobcenter zur Anerkennung")
    expect(steps.first).to_contain_text("Zeugnisse übersetzen lassen")
    expect(steps.nth(1)).to_contain_text("WBS-Antrag ausfüllen")
    plan_url = page.url

    # One step becomes a referral to its partner, pre-filled.
    with page.expect_navigation():
        steps.first.get_by_role("link", name="Beratung beim Jobcenter zur Anerkennung").click()
    cm.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Vermittlung an Jobcenter Düsseldorf anlegen").click()
    cm.check()
    assert "/admin/referrals/edit/" in page.url
    assert "Vermittlung an Jobcenter Düsseldorf angelegt" in cm.flash_text()
    expect(page.get_by_label("Anlass")).to_have_value("Beratung beim Jobcenter zur Anerkennung")
    expect(page.locator("#s2id_case")).to_contain_text(case_number)

    # The review date is a task.
    review_on = default_review_on(E2E_TODAY).strftime("%d.%m.%Y")
    cm.visit("/admin/tasks/?flt0_status_equals=open&search=" + case_number)
    review_row = page.locator("table.model-list tr", has_text="Planüberprüfung")
    expect(review_row).to_contain_text(review_on)
    step_row = page.locator("table.model-list tr", has_text="WBS-Antrag ausfüllen")
    expect(step_row).to_contain_text("01.12.2026")

    # Meine Aufgaben on the start page, and the PDF of the plan.
    cm.visit("/admin/")
    expect(page.locator("section.kim-my-tasks")).to_contain_text("WBS-Antrag ausfüllen")
    cm.page.goto(plan_url)
    cm.check()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Plan als PDF (zum Unterschreiben)").click()
    target = tmp_path / "plan.pdf"
    download_info.value.save_as(target)
    text = "".join(
        sheet.extract_text() for sheet in PdfReader(io.BytesIO(target.read_bytes())).pages
    )
    assert "Integrationsplan" in text
    assert first_goal in text
    assert second_goal in text
    assert "WBS-Antrag ausfüllen" in text
    assert "Unterschrift Klient*in" in text
