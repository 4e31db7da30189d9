"""What people do with KIM Admin, in a real browser under the real Content-Security-Policy.

Each test is one journey through the screens; every page it lands on is checked by
``Walk.check`` (German, one heading, a main landmark, axe-core, no CSP violation, no
JavaScript error). The demo seed of ``live.py`` gives every organisation a small caseload.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, SHOTS
from tests.e2e.walk import FILE_NUMBER, Walk

pytestmark = pytest.mark.e2e

OpenWalk = Callable[..., Walk]
CARITAS_PARTNER = "KIM Case Management – Caritas Düsseldorf"


# --- widgets -------------------------------------------------------------------------------


def select2_search(page: Page, field_id: str, text: str) -> Locator:
    """Open the select2 box of ``field_id`` and type ``text``; returns the open drop-down."""
    page.locator(f"#s2id_{field_id}").click()
    drop = page.locator("#select2-drop")
    expect(drop).to_be_visible()
    if text:
        drop.locator("input.select2-input").fill(text)
    return drop


def select2_choose(page: Page, field_id: str, text: str, choice: str | None = None) -> None:
    drop = select2_search(page, field_id, text)
    results = drop.locator(".select2-result-selectable")
    result = results.filter(has_text=choice or text).first if (choice or text) else results.first
    result.click()
    expect(drop).to_be_hidden()


def fill_date(page: Page, selector: str, iso_day: str) -> None:
    """A native date input takes the ISO value whatever the display format (TT.MM.JJJJ)."""
    page.locator(selector).fill(iso_day)


def save(walk: Walk, button: str = "Speichern") -> None:
    with walk.page.expect_navigation():
        walk.page.get_by_role("button", name=button, exact=True).click()
    walk.check()


# --- journeys --------------------------------------------------------------------------------


def test_a_referral_travels_from_awo_to_caritas_and_is_accepted_there(open_walk: OpenWalk):
    awo = open_walk("cm-awo")
    awo.login("cm.awo@example.org")
    page = awo.page

    # A new client, reached through the menu.
    awo.open_menu_and_choose("Fallarbeit", "Klient*innen")
    with page.expect_navigation():
        page.get_by_role("link", name="Erstellen").click()
    awo.check()
    page.get_by_label("Vorname").fill("Samira")
    page.get_by_label("Nachname").fill("E2E-Haddad")
    fill_date(page, "#consent_given_on", "2026-11-20")
    save(awo)
    assert "erfolgreich" in awo.flash_text()
    row = page.locator("table.model-list tr", has_text="E2E-Haddad")
    file_number = FILE_NUMBER.search(row.inner_text()).group(0)

    # Her case, with two contacts added inline.
    awo.visit("/admin/cases/new/")
    select2_choose(page, "client", "E2E-Haddad")
    add_contact = page.get_by_role("button", name="Hinzufügen: Kontakte")
    for _ in range(3):
        add_contact.click()
    expect(page.locator("#contacts-2-contact_date")).to_be_focused()
    with awo.answering_dialogs(accept=False):
        page.locator("#contacts-2").get_by_role("button", name="Entfernen").click()
    expect(page.locator("#contacts-2")).to_have_count(1)
    page.locator("#contacts-2").get_by_role("button", name="Entfernen").click()
    assert awo.dialogs[-1] == "Diesen neuen Eintrag verwerfen?"
    expect(page.locator("#contacts-2")).to_have_count(0)
    fill_date(page, "#contacts-0-contact_date", "2026-11-23")
    page.locator("#contacts-0-minutes").fill("45")
    page.locator("#contacts-0-note").fill("Erstgespräch")
    fill_date(page, "#contacts-1-contact_date", "2026-11-24")
    page.locator("#contacts-1-minutes").fill("20")
    page.locator("#contacts-1-note").fill("Rückruf Jobcenter")
    awo.check()  # the page with its two new rows
    save(awo)
    assert "erfolgreich" in awo.flash_text()
    case_row = page.locator("table.model-list tr", has_text="E2E-Haddad").first
    case_number = re.search(r"[A-Z]+-F-\d{4}-\d{4}", case_row.inner_text()).group(0)

    with page.expect_navigation():
        case_row.get_by_role("link", name="Eintrag ansehen").click()
    awo.check()
    contacts = page.locator("section.kim-related", has_text="Kontakte")
    expect(contacts).to_contain_text("23.11.2026")
    expect(contacts).to_contain_text("24.11.2026")

    # A barrier on the case.
    awo.visit("/admin/barriers/new/")
    select2_choose(page, "case", case_number)
    select2_choose(page, "category", "Wartezeit")
    page.get_by_label("Beschreibung").fill("Termin beim Jobcenter erst in acht Wochen")
    save(awo)
    assert "erfolgreich" in awo.flash_text()

    # Her consent to share name and contact with Caritas for its support (issue 16).
    record_consent_to_share(awo, "E2E-Haddad", "Caritas", CARITAS_PARTNER)

    # A referral to Caritas' KIM case management (a KIM organisation).
    awo.visit("/admin/referrals/new/")
    select2_choose(page, "case", case_number)
    select2_choose(page, "partner", "Caritas", CARITAS_PARTNER)
    page.get_by_label("Anlass").fill("Wohnortwechsel nach Düsseldorf-Rath")
    page.get_by_label("Einwilligung zur Datenweitergabe liegt vor").check()
    save(awo)
    assert "erfolgreich" in awo.flash_text(), awo.flash_text()

    # Sent from the tracking screen.
    awo.visit("/admin/referral-tracking/?manager=all")
    referral = page.locator("tr.outgoing-referral", has_text=case_number)
    with page.expect_navigation():
        referral.get_by_role("button", name="Als vermittelt markieren").click()
    awo.check()
    expect(page.locator("main .alert").first).to_be_visible()

    # Accepted by the Caritas case manager in the incoming list.
    caritas = open_walk("cm-caritas")
    caritas.login("cm.caritas@example.org")
    caritas.visit("/admin/referral-tracking/")
    incoming = caritas.page.locator("tr.incoming-referral", has_text="E2E-Haddad")
    expect(incoming).to_contain_text("Wohnortwechsel nach Düsseldorf-Rath")
    with caritas.page.expect_navigation():
        incoming.get_by_role("button", name="Annehmen und Fall anlegen").click()
    caritas.check()
    assert file_number not in caritas.page.content()
    caritas.visit("/admin/clients/?search=E2E-Haddad")
    expect(caritas.page.locator("table.model-list")).to_contain_text("Samira")


def record_consent_to_share(walk: Walk, client: str, search: str, partner: str) -> None:
    """A written consent of ``client`` to share name and contact with ``partner``."""
    page = walk.page
    walk.visit("/admin/consents/new/")
    select2_choose(page, "client", client)
    select2_choose(page, "kind", "", "Weitergabe an eine Stelle")
    page.locator("#s2id_recipients").click()
    page.locator("#s2id_recipients input.select2-input").fill(search)
    page.locator("#select2-drop .select2-result-selectable", has_text=partner).first.click()
    page.get_by_label("Vermittlung und Unterstützung durch die empfangende Stelle").check()
    page.get_by_label("Name", exact=True).check()
    page.get_by_label("Kontaktdaten (Telefon, E-Mail, Anschrift)").check()
    fill_date(page, "#signed_on", "2026-11-20")
    save(walk)
    assert "erfolgreich" in walk.flash_text(), walk.flash_text()


def create_client(walk: Walk, first_name: str, last_name: str) -> str:
    """A new client of the walker's organisation; returns its file number."""
    page = walk.page
    walk.visit("/admin/clients/new/")
    page.get_by_label("Vorname").fill(first_name)
    page.get_by_label("Nachname").fill(last_name)
    fill_date(page, "#consent_given_on", "2026-11-20")
    save(walk)
    assert "erfolgreich" in walk.flash_text(), walk.flash_text()
    row = page.locator("table.model-list tr", has_text=last_name)
    return FILE_NUMBER.search(row.inner_text()).group(0)


def list_row(page: Page, text: str) -> Locator:
    return page.locator("table.model-list tbody tr", has_text=text)


@pytest.mark.parametrize(
    "email",
    [
        "cm.awo@example.org",
        "lead.awo@example.org",
        "cm.caritas@example.org",
        "lead.caritas@example.org",
        "koordination@example.org",
        "admin@example.org",
    ],
)
def test_each_role_logs_in_and_walks_every_screen_of_its_menu(open_walk: OpenWalk, email: str):
    walk = open_walk(email.split("@", maxsplit=1)[0])
    walk.login(email)
    page = walk.page
    entries = page.locator(
        "#admin-navbar-collapse a.dropdown-item, #admin-navbar-collapse a.nav-link"
    )
    hrefs = {entries.nth(i).get_attribute("href") for i in range(entries.count())}
    paths = sorted(href for href in hrefs if href and href != "#")
    assert paths, "an empty menu"
    for path in paths:
        walk.visit(path)
    walk.visit("/admin/")
    walk.logout()


def test_lead_archives_a_client_and_restores_it_by_row_button_and_by_bulk_action(
    open_walk: OpenWalk,
):
    lead = open_walk("lead-awo")
    lead.login("lead.awo@example.org")
    page = lead.page
    file_number = create_client(lead, "Olena", "E2E-Archiv")

    # Archived by the row's button, on a page that says what goes along.
    with page.expect_navigation():
        list_row(page, file_number).get_by_role("link", name="Archivieren").click()
    lead.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, archivieren").click()
    lead.check()
    assert "archiviert" in lead.flash_text()
    expect(list_row(page, file_number)).to_have_count(0)

    # Restored by the archive list's row button.
    lead.visit(f"/admin/archive-clients/?search={file_number}")
    with page.expect_navigation():
        list_row(page, file_number).get_by_role("button", name="Wiederherstellen").click()
    lead.check()
    assert "wiederhergestellt" in lead.flash_text()
    expect(list_row(page, file_number)).to_have_count(0)

    # Archived by bulk action from the working list, which asks first.
    lead.visit(f"/admin/clients/?search={file_number}")
    lead.tick_row(file_number)
    with lead.answering_dialogs(accept=False):
        lead.bulk_action_entry("Archivieren").click()
    assert lead.dialogs[-1].startswith("Die ausgewählten Datensätze archivieren?")
    expect(list_row(page, file_number)).to_have_count(1)
    lead.bulk_action("Archivieren")
    assert "archiviert" in lead.flash_text()

    # Restored by bulk action, the row chosen with "select all".
    lead.visit(f"/admin/archive-clients/?search={file_number}")
    page.get_by_label("Alle Einträge dieser Seite auswählen").check()
    expect(list_row(page, file_number).locator("input.action-checkbox")).to_be_checked()
    lead.bulk_action("Wiederherstellen")
    assert lead.dialogs[-1] == "Die ausgewählten Datensätze wiederherstellen?"
    assert "1 Datensatz wiederhergestellt." in lead.flash_text()
    lead.visit(f"/admin/clients/?search={file_number}")
    expect(list_row(page, file_number)).to_have_count(1)


def test_lead_erases_an_archived_client_for_good(open_walk: OpenWalk):
    lead = open_walk("lead-awo")
    lead.login("lead.awo@example.org")
    page = lead.page
    by_button = create_client(lead, "Jonas", "E2E-Loeschen-Knopf")
    by_action = create_client(lead, "Mira", "E2E-Loeschen-Aktion")
    lead.visit("/admin/clients/?search=E2E-Loeschen")
    lead.tick_row(by_button)
    lead.tick_row(by_action)
    lead.bulk_action("Archivieren")
    assert "2 Datensätze archiviert" in lead.flash_text()

    lead.visit("/admin/archive-clients/?search=E2E-Loeschen")
    with page.expect_navigation():
        list_row(page, by_button).get_by_role("button", name="Eintrag löschen").click()
    lead.check()
    assert lead.dialogs[-1] == "Diesen Eintrag endgültig löschen?"
    expect(list_row(page, by_button)).to_have_count(0)

    lead.tick_row(by_action)
    lead.bulk_action("Endgültig löschen")
    assert "endgültig löschen" in lead.dialogs[-1]
    assert "1 Datensatz endgültig gelöscht." in lead.flash_text()
    lead.visit("/admin/clients/?search=E2E-Loeschen")
    expect(page.locator("table.model-list")).to_contain_text("Die Tabelle ist leer.")


def test_client_list_exports_a_german_excel_csv(open_walk: OpenWalk):
    walk = open_walk("cm-awo")
    walk.login("cm.awo@example.org")
    page = walk.page
    file_number = create_client(walk, "Ayşe", "E2E-Export")
    walk.visit("/admin/clients/?search=E2E-Export")
    with page.expect_download() as download:
        page.get_by_role("link", name="Als CSV exportieren").click()
    raw = download.value.path().read_bytes()
    assert download.value.suggested_filename.endswith(".csv")
    assert raw.startswith(b"\xef\xbb\xbf"), "no byte order mark for Excel"
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert ";" in header and "," not in header
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Aktenzeichen", "Vorname", "Nachname"]
    assert "Einwilligung erteilt am" in rows[0]
    assert len(rows) == 2, "the export honours the list's search"
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Aktenzeichen"] == file_number
    assert record["Vorname"] == "Ayşe"
    assert record["Einwilligung erteilt am"] == "20.11.2026"
    walk.check()  # the list is still fine after the download


def test_statistics_with_a_preset_and_a_drill_down(open_walk: OpenWalk):
    walk = open_walk("lead-awo")
    walk.login("lead.awo@example.org")
    page = walk.page
    walk.visit("/admin/statistics/")
    with page.expect_navigation():
        page.get_by_role("link", name="letzte 12 Monate").click()
    walk.check()
    assert "preset=last_12_months" in page.url
    drill = page.locator("main table th a").first
    category = drill.inner_text().strip()
    with page.expect_navigation():
        drill.click()
    walk.check()
    expect(page.locator("h1")).to_contain_text(category)
    with page.expect_navigation():
        page.get_by_role("link", name="zurück zum Barrierebericht").click()
    walk.check()

    coordination = open_walk("koordination")
    coordination.login("koordination@example.org")
    coordination.visit("/admin/statistics/?preset=last_year")
    with coordination.page.expect_navigation():
        coordination.page.get_by_role("link", name="dieses Jahr").click()
    coordination.check()
    expect(coordination.page.locator("main")).to_contain_text("eine Zahl von 1 bis 4")


def test_the_second_of_two_concurrent_edits_is_refused_and_keeps_its_input(
    open_walk: OpenWalk,
):
    first = open_walk("cm-awo")
    first.login("cm.awo@example.org")
    file_number = create_client(first, "Dario", "E2E-Konflikt")
    first.visit(f"/admin/clients/?search={file_number}")
    edit_path = (
        list_row(first.page, file_number)
        .get_by_role("link", name="Eintrag bearbeiten")
        .get_attribute("href")
    )

    second = open_walk("lead-awo")
    second.login("lead.awo@example.org")
    first.visit(edit_path)
    second.visit(edit_path)

    first.page.get_by_label("Telefon").fill("0211 123456")
    save(first)
    assert "erfolgreich" in first.flash_text()

    second.page.get_by_label("Notizen").fill("Notiz der Teamleitung")
    save(second)
    message = second.flash_text()
    assert "inzwischen" in message and "geändert" in message, message
    assert "Kerstin Vogel" in message or "einer anderen Person" in message
    expect(second.page.get_by_label("Notizen")).to_have_value("Notiz der Teamleitung")

    first.visit(edit_path)
    expect(first.page.get_by_label("Telefon")).to_have_value("0211 123456")
    expect(first.page.get_by_label("Notizen")).to_have_value("")


def test_admin_keeps_the_catalogues(open_walk: OpenWalk):
    admin = open_walk("admin")
    admin.login("admin@example.org")
    page = admin.page

    admin.visit("/admin/partners/new/")
    page.get_by_label("Name").fill("E2E Beratungsstelle Rath")
    select2_choose(page, "kind", "Beratung", "Beratungsstelle")
    select2_choose(page, "organisation", "Caritas", "Caritas Düsseldorf")
    page.get_by_label("E-Mail").fill("rath@example.org")
    save(admin)
    assert "erfolgreich" in admin.flash_text()
    expect(list_row(page, "E2E Beratungsstelle Rath")).to_contain_text("Caritas Düsseldorf")

    for path, name in (
        ("/admin/barrier-categories/", "E2E Kategorie Wohnungssuche"),
        ("/admin/topics/", "E2E Handlungsfeld Mobilität"),
    ):
        admin.visit(path + "new/")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Beschreibung").fill("angelegt im Browser-Test")
        save(admin)
        assert "erfolgreich" in admin.flash_text()
        with page.expect_navigation():
            list_row(page, name).get_by_role("link", name="Eintrag bearbeiten").click()
        admin.check()
        page.get_by_label("Reihenfolge").fill("99")
        save(admin)
        expect(list_row(page, name)).to_contain_text("99")
        with page.expect_navigation():
            list_row(page, name).get_by_role("button", name="Eintrag löschen").click()
        admin.check()
        assert admin.dialogs[-1] == "Diesen Eintrag endgültig löschen?"
        expect(list_row(page, name)).to_have_count(0)


def add_filter(walk: Walk, name: str) -> Locator:
    """Adds the filter ``name`` from "Filter hinzufügen"; returns its row in the filter form."""
    page = walk.page
    page.get_by_role("button", name="Filter hinzufügen").click()
    page.locator(".field-filters").get_by_role("button", name=name, exact=True).click()
    row = page.locator("#filter_form table.filters tr", has_text=name).last
    expect(row).to_be_visible()
    return row


def apply_filters(walk: Walk) -> None:
    with walk.page.expect_navigation():
        walk.page.get_by_role("button", name="Filter anwenden").click()
    walk.check()


def test_list_widgets_work_under_the_policy_and_speak_german(open_walk: OpenWalk):
    lead = open_walk("lead-awo")
    lead.login("lead.awo@example.org")
    page = lead.page
    lead.visit("/admin/clients/")

    # Page size.
    page.get_by_role("button", name="50 pro Seite").click()
    with page.expect_navigation():
        page.get_by_role("link", name="20 Einträge").click()
    lead.check()
    assert "page_size=20" in page.url
    expect(page.get_by_role("button", name="20 pro Seite")).to_be_visible()

    # Bulk actions need a choice; "select all" ticks the page, and says when it is partial.
    lead.bulk_action_entry("Archivieren").click()
    assert lead.dialogs[-1] == "Bitte wählen Sie mindestens einen Eintrag aus."
    toggle = page.get_by_label("Alle Einträge dieser Seite auswählen")
    toggle.check()
    boxes = page.locator("input.action-checkbox")
    assert boxes.count() > 1
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    boxes.first.uncheck()
    assert toggle.evaluate("box => box.indeterminate && !box.checked")
    toggle.check()
    toggle.uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))

    # A date filter: German picker, German date typed, ISO date sent, German date shown again.
    row = add_filter(lead, "Einreise nach Deutschland")
    day = row.locator("input.filter-val")
    expect(day).to_have_attribute("placeholder", "TT.MM.JJJJ")
    day.click()
    picker = page.locator(".daterangepicker:visible")
    expect(picker).to_be_visible()
    weekdays = picker.locator("thead tr").last.locator("th").all_inner_texts()
    assert weekdays[:2] == ["Mo", "Di"], weekdays
    months = picker.locator("select.monthselect option").all_inner_texts()
    assert "März" in months and "Okt." in months, months
    lead.check()  # with the picker open
    day.fill("31.02.2025")
    page.get_by_role("button", name="Filter anwenden").click()
    expect(row.locator(".kim-filter-error")).to_contain_text("Bitte ein Datum im Format TT.MM.JJJJ")
    assert "flt" not in page.url, "an impossible date is never sent"
    lead.check()
    day.fill("15.08.2025")
    apply_filters(lead)
    assert "2025-08-15" in page.url
    assert "Ungültig" not in lead.flash_text()
    expect(page.locator("#filter_form input.filter-val")).to_have_value("15.08.2025")

    # The same filter as a range, after switching its comparison.
    row = page.locator("#filter_form table.filters tr").first
    row.locator(".select2-container").click()
    page.locator("#select2-drop .select2-result-selectable", has_text="zwischen").first.click()
    span = row.locator("input.filter-val")
    expect(span).to_have_attribute("placeholder", "TT.MM.JJJJ bis TT.MM.JJJJ")
    span.fill("01.01.2025 bis 31.12.2025")
    page.keyboard.press("Escape")
    apply_filters(lead)
    assert "2025-01-01+to+2025-12-31" in page.url or "2025-01-01%20to%202025-12-31" in page.url
    expect(page.locator("#filter_form input.filter-val")).to_have_value("01.01.2025 bis 31.12.2025")

    # A filter with options, added and removed again before it is applied.
    row = add_filter(lead, "Aufenthaltsstatus")
    lead.check()
    row.get_by_role("link", name="Filter entfernen: Aufenthaltsstatus").click()
    expect(
        page.locator("#filter_form table.filters tr", has_text="Aufenthaltsstatus")
    ).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("link", name="Filter zurücksetzen").click()
    lead.check()
    assert "flt" not in page.url

    # Search has a label.
    page.get_by_label("Suchen in Klient*innen").fill("E2E-nicht-vorhanden")
    with page.expect_navigation():
        page.get_by_role("button", name="Suchen", exact=True).click()
    lead.check()
    expect(page.locator("table.model-list")).to_contain_text("Die Tabelle ist leer.")

    # Date and time range in the audit trail.
    lead.visit("/admin/audit/")
    row = add_filter(lead, "Zeitpunkt")
    row.locator("input.filter-val").fill("25.11.2026 00:00 bis 25.11.2026 23:59")
    apply_filters(lead)
    assert "2026-11-25+00%3A00%3A00+to+2026-11-25+23%3A59%3A59" in page.url, page.url
    expect(page.locator("#filter_form input.filter-val")).to_have_value(
        "25.11.2026 00:00 bis 25.11.2026 23:59"
    )

    # select2 in German: the client look-up of a new case.
    lead.visit("/admin/cases/new/")
    drop = select2_search(page, "client", "")
    expect(drop).to_contain_text("Bitte mindestens 1 Zeichen eingeben")
    drop.locator("input.select2-input").fill("zzzxq")
    expect(drop).to_contain_text("Keine Treffer")
    lead.check()  # with the look-up open and nothing found
    drop.locator("input.select2-input").fill("a")
    expect(drop.locator(".select2-result-selectable").first).to_be_visible()
    lead.check()  # with results
    page.keyboard.press("Escape")

    # The quick filter of a details page takes any text, also "(".
    lead.visit("/admin/clients/")
    with page.expect_navigation():
        page.get_by_role("link", name="Eintrag ansehen").first.click()
    lead.check()
    quick = page.get_by_label("Angaben filtern")
    quick.fill("(")
    quick.fill("aktenzeichen")
    rows = page.locator("table.searchable tr:visible")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Aktenzeichen")
    lead.assert_clean()


def no_sideways_scrolling(page: Page) -> int:
    """How far the page itself is wider than the window (tables scroll inside their box)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_lists_use_the_whole_width_and_screens_fit_a_phone(open_walk: OpenWalk):
    SHOTS.mkdir(parents=True, exist_ok=True)
    desk = open_walk("desktop", viewport=DESKTOP)
    desk.login("lead.awo@example.org")
    page = desk.page

    desk.visit("/admin/clients/")
    region = page.get_by_role("region", name=re.compile("Tabelle Klient"))
    box = region.bounding_box()
    assert box is not None and box["width"] >= DESKTOP["width"] - 48, box
    assert no_sideways_scrolling(page) <= 0
    region.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    last = page.locator("table.model-list thead th").last.bounding_box()
    assert last is not None and last["x"] + last["width"] <= box["x"] + box["width"] + 1
    region.evaluate("box => { box.scrollLeft = 0; }")
    page.screenshot(path=str(SHOTS / "liste-klientinnen-1366.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="Eintrag ansehen").first.click()
    desk.check()
    page.screenshot(path=str(SHOTS / "klient-details-1366.png"), full_page=True)
    desk.visit("/admin/cases/")
    with page.expect_navigation():
        page.get_by_role("link", name="Eintrag ansehen").first.click()
    desk.check()
    page.screenshot(path=str(SHOTS / "fall-details-1366.png"), full_page=True)

    phone = open_walk("phone", viewport=PHONE)
    phone.login("cm.awo@example.org")
    for path in ("/admin/clients/new/", "/admin/clients/"):
        phone.visit(path)
        assert no_sideways_scrolling(phone.page) <= 0, path
    phone.visit("/admin/cases/new/")
    phone.page.get_by_role("button", name="Hinzufügen: Kontakte").click()
    phone.check()
    assert no_sideways_scrolling(phone.page) <= 0
    phone.page.screenshot(path=str(SHOTS / "fall-neu-390.png"), full_page=True)
    phone.visit("/admin/referral-tracking/?manager=all")
    assert no_sideways_scrolling(phone.page) <= 0
    expect(phone.page.get_by_role("button", name="Filtern")).to_be_in_viewport()
    phone.page.screenshot(path=str(SHOTS / "vermittlungen-verfolgen-390.png"), full_page=True)


def test_referral_tracking_pages_each_group_in_the_browser(
    open_walk: Callable[..., Walk], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a page of one row, the groups get pagers that are accessible and lead on."""
    monkeypatch.setattr("admin_views.referral_tracking.GROUP_ROWS", 1)
    team = open_walk("tracking-pages")
    team.login("cm.jg@example.org")  # the demo's two accepted referrals of one organisation
    team.visit("/admin/referral-tracking/?manager=all")
    team.check()
    pager = team.page.locator("nav[aria-label^='Seiten:']").first
    expect(pager).to_contain_text("Zeilen 1–1 von")
    with team.page.expect_navigation():
        pager.get_by_role("link", name="nächste Seite").click()
    team.check()
    assert re.search(r"page_\w+=2", team.page.url), team.page.url
    expect(team.page.locator("nav[aria-label^='Seiten:']").first).to_contain_text("vorige Seite")
