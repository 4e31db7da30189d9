"""A browser walk through the app that checks every page it lands on.

Throughout the walk every Content-Security-Policy violation (the page's own
``securitypolicyviolation`` events, reported to Python from an init script), every console
error and every uncaught JavaScript error is recorded; each one fails the test. On each page
``check()`` asserts the strict Content-Security-Policy header of every page received,
``<html lang="de">``, exactly one ``<h1>``, a ``<main>``, and an axe-core scan without
"serious" or "critical" violations. A page that was loaded but never checked
fails the test as well, so no page of a walk goes unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Response,
    expect,
)

from tests.e2e.live import PASSWORD

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

# The policy of app/security.py, word for word: scripts only from our origin or with the
# response's nonce; no 'unsafe-inline', 'unsafe-hashes' or 'unsafe-eval' for scripts.
STRICT_POLICY = re.compile(
    re.escape(
        "default-src 'self'; script-src 'self' 'nonce-NONCE'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ).replace("NONCE", "[A-Za-z0-9_-]{24}")
)


def assert_strict_policy(url: str, policy: str | None) -> None:
    assert policy is not None, f"{url}: no Content-Security-Policy"
    assert STRICT_POLICY.fullmatch(policy), f"{url}: policy changed: {policy}"


BLOCKING_IMPACTS = ("serious", "critical")

# Flask-Admin's, select2's, Bootstrap's and the date picker's own English words, as they
# would show in texts, titles, labels and placeholders if a translation were missing.
ENGLISH = re.compile(
    r"\b(Save|Cancel|Delete|Search|Apply|Create|Edit|List|Select all|Select record|records?"
    r"|items?|Add Filter|Reset Filters|With selected|Are you sure|Please|Loading|Searching"
    r"|No matches|Toggle navigation|Sort by|equals|not equal|between|greater than|smaller than"
    r"|Yes|No|View Record|Edit Record|Custom Range|Submit|Previous|Next|Close)\b"
)
PAGE_WORDS = """() => {
  const parts = [document.title, document.body.innerText];
  for (const element of document.querySelectorAll(
      "[title], [aria-label], [placeholder], [alt], input[type=submit], input[type=button]")) {
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      if (element.hasAttribute(name)) parts.push(element.getAttribute(name));
    }
    if (element.type === "submit" || element.type === "button") parts.push(element.value);
  }
  return parts.join("\\n");
}"""

# Runs in every document before its own scripts: CSP violations go straight to Python.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.kimReportViolation({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: document.location.href,
  });
});
"""


@dataclass
class Walk:
    """One browser tab of one user, with everything that went wrong on the way."""

    context: BrowserContext
    page: Page
    base_url: str
    name: str
    violations: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    # (url, Content-Security-Policy) of each page (document) the tab received.
    policies: list[tuple[str, str | None]] = field(default_factory=list)
    # What the next dialog (confirm, alert) is answered with.
    accept_dialogs: bool = True

    @classmethod
    def open(cls, context: BrowserContext, base_url: str, name: str) -> Walk:
        violations: list[dict[str, Any]] = []
        # A lambda: Playwright cannot wrap a built-in method such as list.append.
        context.expose_function("kimReportViolation", lambda found: violations.append(found))  # noqa: PLW0108
        context.add_init_script(script=REPORT_VIOLATIONS)
        page = context.new_page()
        walk = cls(context=context, page=page, base_url=base_url, name=name, violations=violations)
        page.on("console", walk._on_console)
        page.on("pageerror", lambda error: walk.errors.append(f"JavaScript: {error}"))
        page.on("dialog", walk._on_dialog)
        page.on("load", lambda loaded: walk.unchecked.append(loaded.url))
        page.on("response", walk._on_response)
        return walk

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.frame == self.page.main_frame:
            self.policies.append((response.url, response.headers.get("content-security-policy")))

    # --- events -------------------------------------------------------------------------

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({self.page.url})")

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    # --- moving around ------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def visit(self, path: str) -> Page:
        response = self.page.goto(self.url(path))
        assert response is not None
        assert response.status == 200, f"{path}: HTTP {response.status}"
        self.check()
        return self.page

    def visit_error_page(self, path: str, status: int) -> Page:
        """A page that answers with an error status on purpose (the German error page)."""
        response = self.page.goto(self.url(path))
        assert response is not None
        assert response.status == status, f"{path}: HTTP {response.status}"
        # Chromium logs the document's own status as a console error; only that one is expected.
        own = f"console: Failed to load resource: the server responded with a status of {status}"
        self.errors = [error for error in self.errors if not error.startswith(own)]
        self.check()
        return self.page

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.visit("/login")
        self.page.get_by_label("E-Mail").fill(email)
        self.page.get_by_label("Passwort").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Anmelden").click()
        assert "/admin/" in self.page.url, f"login of {email} failed: {self.page.url}"
        self.check()

    def logout(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Abmelden").click()
        expect(self.page.get_by_text("Sie wurden abgemeldet.")).to_be_visible()
        self.check()

    @contextmanager
    def answering_dialogs(self, accept: bool) -> Iterator[None]:
        previous, self.accept_dialogs = self.accept_dialogs, accept
        try:
            yield
        finally:
            self.accept_dialogs = previous

    # --- the checks on every page --------------------------------------------------------

    def check(self) -> None:
        """Structure and accessibility of the current page; no errors so far."""
        page = self.page
        where = page.url
        assert page.evaluate("document.documentElement.lang") == "de", f"{where}: lang"
        headings = page.locator("h1")
        assert headings.count() == 1, f"{where}: {headings.count()} <h1> elements"
        assert page.locator("main").count() == 1, f"{where}: no <main>"
        english = sorted(set(ENGLISH.findall(page.evaluate(PAGE_WORDS))))
        assert not english, f"{where}: English on the page: {english}"
        for url, policy in self.policies:
            assert_strict_policy(url, policy)
        self.policies.clear()
        self.assert_accessible()
        self.assert_clean()
        self.checked.append(where)
        self.unchecked = [url for url in self.unchecked if url != where]

    def assert_accessible(self) -> None:
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.evaluate(AXE_SOURCE)
        results = self.page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: '"
            " + n.failureSummary)})); }"
        )
        blocking = [item for item in results if item["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{self.page.url}: axe\n" + json.dumps(
            blocking, indent=1, ensure_ascii=False
        )

    def assert_clean(self) -> None:
        assert not self.violations, "CSP violations:\n" + json.dumps(
            self.violations, indent=1, ensure_ascii=False
        )
        assert not self.errors, "JavaScript errors:\n" + "\n".join(self.errors)

    def finish(self) -> None:
        """At the end of a test: nothing went wrong, and every page loaded was checked."""
        self.assert_clean()
        assert not self.unchecked, f"pages loaded but never checked: {self.unchecked}"

    # --- helpers for Flask-Admin screens ------------------------------------------------

    def flash_text(self) -> str:
        return " ".join(self.page.locator("main .alert").all_inner_texts())

    def open_menu_and_choose(self, menu: str, entry: str) -> None:
        self.page.get_by_role("button", name=menu).click()
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=entry, exact=True).click()
        self.check()

    def tick_row(self, text: str) -> None:
        row = self.page.locator("table.model-list tr", has_text=text)
        row.locator("input.action-checkbox").check()

    def bulk_action_entry(self, label: str) -> Locator:
        """Opens "Mit Auswahl" and returns the entry ``label`` of its menu."""
        toggle = self.page.get_by_role("button", name="Mit Auswahl")
        toggle.click()
        menu = toggle.locator("xpath=following-sibling::div[contains(@class, 'dropdown-menu')]")
        return menu.get_by_role("button", name=label, exact=True)

    def bulk_action(self, label: str) -> None:
        entry = self.bulk_action_entry(label)
        with self.page.expect_navigation():
            entry.click()
        self.check()


FILE_NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{4}")
