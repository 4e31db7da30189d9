"""End-to-end fixtures: the app served over HTTP, and Debian's Chromium driven by Playwright.

One server and one browser for the whole package (``live.py``); each test opens fresh
browser contexts (no cookies shared), German and in Düsseldorf's time zone. The server's
clock is travelled to ``E2E_NOW`` and ticks from there, nested inside whatever clock
``tests/conftest.py`` sets, and set back when the package ends. A failing test leaves a
full-page screenshot of each of its tabs in ``KIM_E2E_ARTIFACTS`` (default: a folder
``kim-e2e-artifacts`` in the system's temporary directory); the layout test leaves its
screenshots in ``KIM_E2E_SHOTS`` (default: ``shots`` in that folder).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.e2e.live import E2E_NOW, LiveServer, start_live_server

CHROMIUM = Path(os.environ.get("KIM_E2E_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(
    os.environ.get("KIM_E2E_ARTIFACTS") or Path(tempfile.gettempdir()) / "kim-e2e-artifacts"
)
# Screenshots the layout test takes on every run (for people to look at).
SHOTS = Path(os.environ.get("KIM_E2E_SHOTS") or ARTIFACTS / "shots")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

try:
    from playwright.sync_api import Browser, Playwright, sync_playwright

    from tests.e2e.walk import Walk
except ImportError:  # pragma: no cover - the dev extra installs playwright
    sync_playwright = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Remember each phase's report on the test, so that fixtures can see a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"kim_report_{report.when}", report)


@pytest.fixture(scope="package", autouse=True)
def _e2e_clock() -> Iterator[None]:
    with time_machine.travel(E2E_NOW, tick=True):
        yield


@pytest.fixture(scope="package")
def live_server(_e2e_clock: None) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="kim-e2e-") as workdir:
        server = start_live_server(Path(workdir))
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if sync_playwright is None:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-l10n)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # German browser UI (chromium-l10n): native date fields show TT.MM.JJJJ, messages German.
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--lang=de-DE"],
        env={**os.environ, "LANGUAGE": "de", "LANG": "de_DE.UTF-8"},
    )
    yield browser
    browser.close()


@pytest.fixture
def open_walk(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Callable[..., Walk]]:
    """Opens a tab in a context of its own; at the end: screenshots if failed, then checks."""
    walks: list[Walk] = []

    def open_one(name: str = "tab", viewport: dict[str, int] | None = None) -> Walk:
        context = browser.new_context(
            locale="de-DE",
            timezone_id="Europe/Berlin",
            viewport=viewport or DESKTOP,
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        walk = Walk.open(context, live_server.url, name)
        walks.append(walk)
        return walk

    yield open_one

    failed = getattr(request.node, "kim_report_call", None)
    for walk in walks:
        if failed is not None and failed.failed:
            _screenshot(request.node.name, walk)
        walk.context.close()
    if failed is not None and failed.passed:
        for walk in walks:
            walk.finish()


def _screenshot(test_name: str, walk: Walk) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test_name}-{walk.name}")
    target = ARTIFACTS / f"{safe}.png"
    try:
        walk.page.screenshot(path=str(target), full_page=True)
    except Exception as exc:  # noqa: BLE001 - a broken page must not hide the real failure
        print(f"no screenshot of {walk.page.url}: {exc}")
        return
    print(f"screenshot of {walk.page.url}: {target}")
