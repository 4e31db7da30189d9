"""The system level in a real browser: from a case manager's barrier to a structural issue,
the coordination's decision and measure, and the feedback back to the case manager; the
meeting packet downloads as a PDF that a PDF reader opens."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.live import E2E_TODAY
from tests.e2e.test_journeys import fill_date, save, select2_choose
from tests.e2e.walk import Walk

pytestmark = pytest.mark.e2e

OpenWalk = Callable[..., Walk]
# No "E2E" in it: the other journeys name their clients "E2E-…", and names are refused.
TITLE = "Dolmetscher für Arzttermine fehlen im Probelauf"
ISSUE_NUMBER = re.compile(r"ST-\d{4}-\d{3}")


def test_a_barrier_becomes_a_decision_a_measure_and_feedback(open_walk: OpenWalk):
    case_manager = open_walk("cm-awo")
    case_manager.login("cm.awo@example.org")
    page = case_manager.page

    # A barrier on one of the own cases, reported to the system level with a new issue.
    case_manager.visit("/admin/cases/")
    details = page.locator("table.model-list tbody tr").first.get_by_role(
        "link", name="Eintrag ansehen"
    )
    case_id = re.search(r"id=(\d+)", details.get_attribute("href") or "").group(1)
    case_manager.visit(f"/admin/barriers/new/?case={case_id}")
    select2_choose(page, "category", "Sprachmittlung")
    select2_choose(page, "status", "Systemebene", "an Systemebene gemeldet")
    page.get_by_label("Neues Strukturthema vorschlagen: Titel").fill(TITLE)
    page.get_by_label("Neues Strukturthema vorschlagen: Erläuterung").fill(
        "Rückruf unter 0211 8921234"
    )
    save(case_manager)
    expect(page.locator("main")).to_contain_text("nicht die Person")  # refused, nothing saved
    page.get_by_label("Neues Strukturthema vorschlagen: Erläuterung").fill(
        "Praxen vergeben ohne Sprachmittlung keine Termine"
    )
    save(case_manager)
    assert "erfolgreich" in case_manager.flash_text()

    coordinator = open_walk("koordination")
    coordinator.login("koordination@example.org")
    cpage = coordinator.page
    coordinator.visit("/admin/structural-issues/?search=Arzttermine+Probelauf")
    row = cpage.locator("table.model-list tbody tr", has_text=TITLE)
    number = ISSUE_NUMBER.search(row.inner_text()).group(0)
    expect(row).to_contain_text("eingegangen")
    with cpage.expect_navigation():
        row.get_by_role("link", name="Eintrag ansehen").click()
    coordinator.check()
    issue_url = cpage.url

    # Validate it.
    with cpage.expect_navigation():
        cpage.get_by_role("button", name="Status: validiert").click()
    coordinator.check()
    assert "Der Status ist jetzt „validiert“." in coordinator.flash_text()

    # A Lenkungsgruppe meeting with the issue on its agenda and a decision.
    coordinator.visit("/admin/meetings/new/")
    select2_choose(cpage, "kind", "Lenkungs", "Lenkungsgruppe")
    fill_date(cpage, "#held_on", E2E_TODAY.isoformat())
    cpage.get_by_label("Titel").fill("E2E Lenkungsgruppe")
    cpage.get_by_role("button", name="Hinzufügen: Tagesordnung").click()
    cpage.locator("#items-0-position").fill("1")
    select2_choose(cpage, "items-0-issue", number)
    cpage.locator("#items-0-decision").fill("Dolmetscherpool für Arztpraxen aufbauen")
    coordinator.check()
    save(coordinator)
    assert "erfolgreich" in coordinator.flash_text()

    # The measure it decided, with an indicator, then marked implemented.
    coordinator.visit("/admin/measures/new/")
    select2_choose(cpage, "issue", number)
    cpage.get_by_label("Titel").fill("E2E Dolmetscherpool")
    select2_choose(cpage, "meeting", "E2E Lenkungsgruppe")
    fill_date(cpage, "#decided_on", E2E_TODAY.isoformat())
    fill_date(cpage, "#due_on", E2E_TODAY.isoformat())
    select2_choose(cpage, "status", "geplant")
    select2_choose(cpage, "indicator_category", "Sprachmittlung")
    save(coordinator)
    assert "erfolgreich" in coordinator.flash_text()
    measure_row = cpage.locator("table.model-list tbody tr", has_text="E2E Dolmetscherpool")
    with cpage.expect_navigation():
        measure_row.get_by_role("link", name="Eintrag bearbeiten").click()
    coordinator.check()
    select2_choose(cpage, "status", "umgesetzt")
    fill_date(cpage, "#implemented_on", E2E_TODAY.isoformat())
    save(coordinator)
    assert "erfolgreich" in coordinator.flash_text()
    expect(
        cpage.locator("table.model-list tbody tr", has_text="E2E Dolmetscherpool")
    ).to_contain_text("umgesetzt")
    coordinator.visit(issue_url.removeprefix(coordinator.base_url))
    expect(cpage.locator("main")).to_contain_text("noch nicht prüfbar")
    expect(cpage.locator("main")).to_contain_text("Dolmetscherpool für Arztpraxen aufbauen")

    # The case manager signs in again and sees what became of the report.
    case_manager.logout()
    case_manager.login("cm.awo@example.org")
    tile = page.locator("#kim-feedback")
    expect(tile).to_contain_text(number)
    expect(tile).to_contain_text("Status: validiert")
    expect(tile).to_contain_text("Letzter Beschluss: Dolmetscherpool für Arztpraxen aufbauen")

    # The meeting packet: printable page and PDF.
    coordinator.visit("/admin/meetings/?search=E2E+Lenkungsgruppe")
    with cpage.expect_navigation():
        cpage.locator("table.model-list tbody tr", has_text="E2E Lenkungsgruppe").get_by_role(
            "link", name="Eintrag ansehen"
        ).click()
    coordinator.check()
    with cpage.expect_download() as download:
        cpage.get_by_role("link", name="Sitzungsunterlage als PDF").click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(sheet.extract_text() for sheet in pdf.pages)
    assert "Sitzungsunterlage: Lenkungsgruppe" in text
    assert number in text
    assert "Dolmetscherpool für Arztpraxen aufbauen" in text
    with cpage.expect_navigation():
        cpage.get_by_role("link", name="Sitzungsunterlage (Druckansicht)").click()
    coordinator.check()
    expect(cpage.locator("h1")).to_contain_text("Sitzungsunterlage")


@pytest.mark.parametrize(
    ("email", "paths"),
    [
        (
            "koordination@example.org",
            [
                "/admin/structural-issues/",
                "/admin/measures/",
                "/admin/meetings/",
                "/admin/working-groups/",
                "/admin/statistics/",
                "/admin/structural-issues/new/",
            ],
        ),
        (
            "lead.awo@example.org",
            ["/admin/structural-issues/", "/admin/measures/", "/admin/structural-issues/new/"],
        ),
        ("admin@example.org", ["/admin/working-groups/", "/admin/working-groups/new/"]),
    ],
)
def test_the_system_level_screens_pass_the_page_checks(
    open_walk: OpenWalk, email: str, paths: list[str]
):
    walk = open_walk(email.split("@", maxsplit=1)[0])
    walk.login(email)
    for path in paths:
        walk.visit(path)
    if "/admin/structural-issues/" in paths:
        # The seeded register: an issue with evidence, measures and an effect check.
        walk.visit("/admin/structural-issues/?search=Hotline")
        with walk.page.expect_navigation():
            walk.page.locator("table.model-list tbody tr").first.get_by_role(
                "link", name="Eintrag ansehen"
            ).click()
        walk.check()
        expect(walk.page.locator("main")).to_contain_text("Wirkungsprüfung")
