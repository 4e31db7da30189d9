"""Issue 16 in a real browser: a status change becomes a timeline, a consent a printed form."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.live import E2E_TODAY
from tests.e2e.test_journeys import fill_date, record_consent_to_share, save, select2_choose
from tests.e2e.walk import Walk

pytestmark = pytest.mark.e2e

OpenWalk = Callable[..., Walk]
JOBCENTER = "Jobcenter"


def test_a_status_change_on_the_client_form_shows_on_the_timeline_and_the_start_page(
    open_walk: OpenWalk,
) -> None:
    awo = open_walk("cm-awo-status")
    awo.login("cm.awo@example.org")
    page = awo.page
    awo.visit("/admin/clients/new/")
    page.get_by_label("Vorname").fill("Nour")
    page.get_by_label("Nachname").fill("E2E-Statusverlauf")
    select2_choose(page, "residence_status", "", "Aufenthaltsgestattung")
    fill_date(page, "#consent_given_on", E2E_TODAY.isoformat())
    save(awo)
    assert "erfolgreich" in awo.flash_text(), awo.flash_text()

    # A case of her own, so that the start page counts her among "my" clients.
    awo.visit("/admin/cases/new/")
    select2_choose(page, "client", "E2E-Statusverlauf")
    save(awo)

    # The same day the document is shown: a residence permit, expiring in 40 days.
    awo.visit("/admin/clients/?search=E2E-Statusverlauf")
    row = page.locator("table.model-list tr", has_text="E2E-Statusverlauf").first
    with page.expect_navigation():
        row.get_by_role("link", name="Eintrag ansehen").click()
    awo.check()
    client_page = page.url.removeprefix(awo.base_url)
    awo.visit(client_page.replace("/details/", "/edit/"))
    select2_choose(page, "residence_status", "", "Aufenthaltserlaubnis humanitär")
    select2_choose(page, "status_source", "", "Dokument eingesehen")
    expires = E2E_TODAY.fromordinal(E2E_TODAY.toordinal() + 40)
    fill_date(page, "#title_expires_on", expires.isoformat())
    save(awo)

    awo.visit(client_page)
    timeline = page.locator("section.kim-related", has_text="Statusverlauf")
    expect(timeline).to_contain_text("Aufenthaltsstatus: Aufenthaltserlaubnis humanitär")
    expect(timeline).to_contain_text("Dokument eingesehen")
    expect(timeline).to_contain_text(f"Titel gültig bis {expires:%d.%m.%Y}")

    awo.visit("/admin/")
    reminders = page.locator("section.kim-reminders")
    expect(reminders).to_contain_text("E2E-Statusverlauf")
    expect(reminders).to_contain_text(f"gültig bis {expires:%d.%m.%Y}")


def test_a_consent_is_recorded_and_printed_as_a_pdf(open_walk: OpenWalk) -> None:
    awo = open_walk("cm-awo-consent")
    awo.login("cm.awo@example.org")
    page = awo.page
    awo.visit("/admin/clients/new/")
    page.get_by_label("Vorname").fill("Ilya")
    page.get_by_label("Nachname").fill("E2E-Einwilligung")
    fill_date(page, "#consent_given_on", E2E_TODAY.isoformat())
    save(awo)

    record_consent_to_share(awo, "E2E-Einwilligung", JOBCENTER, JOBCENTER)
    listing = page.locator("table.model-list tr", has_text="Weitergabe an eine Stelle").filter(
        has_text="E2E-Einwilligung"
    )
    expect(listing).to_contain_text("gültig")
    with page.expect_navigation():
        listing.get_by_role("link", name="Eintrag ansehen").click()
    awo.check()

    link = page.get_by_role("link", name="Einwilligungsformular drucken (PDF)")
    response = page.request.get(awo.url(link.get_attribute("href") or ""))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "E2E-Einwilligung" in text
    assert "Vermittlung und Unterstützung durch die empfangende Stelle" in text
