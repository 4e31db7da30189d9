"""The strict policy stays as it is, and our copies of Flask-Admin's files stay in step.

``tests/test_security_headers.py`` checks single directives on a list page; here the whole
policy is compared word for word (nonce aside) on every kind of answer a browser gets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import flask_admin
import pytest

from tests.e2e.walk import Walk, assert_strict_policy

pytestmark = pytest.mark.e2e

FLASK_ADMIN = Path(flask_admin.__file__).parent
TEMPLATES = FLASK_ADMIN / "templates" / "bootstrap4" / "admin"
SCRIPTS = FLASK_ADMIN / "static" / "admin" / "js"

# Flask-Admin 2.2.1's files that templates/admin/… copy (a template cannot extend the one it
# replaces) or static/js/kim.js relies on (names, markup, faForm/modelActions). When one of
# them changes, compare it with our copy and carry the change over, then update the hash.
ORIGINALS = {
    TEMPLATES / "base.html": "a6add6a45c2ac3c55046ea283318e719269ac7b4e181cc3787904db53b8aaea4",
    TEMPLATES / "layout.html": "5e62de8b5e527fc754d529ff9099d38ab4cd27b37e351bab1e7eccd692b57ddd",
    TEMPLATES / "actions.html": "685288ebd9108462ae72a04b894303142f1f6b953834295a85f4c4e8d233a514",
    TEMPLATES / "model/list.html": (
        "21003d92feb9a75c9cbb3b816b2ebdd5e8479917edac2483c803561c5cfb5159"
    ),
    TEMPLATES / "model/create.html": (
        "8930a13e4d81cd59811ff487314156efa07ebd078471edeca5a97212e145cff2"
    ),
    TEMPLATES / "model/edit.html": (
        "b606efe0a695ead26c97616afacbe16ac1a83dcdfec0caeea1888515be7724d0"
    ),
    TEMPLATES / "model/details.html": (
        "c4aa5d6ca9b9b82d52b9bf97e93ea34fa678da0bc181afdf618d4bab5ed5a04f"
    ),
    TEMPLATES / "model/layout.html": (
        "9801f7f6e21b6dfef6231ea0a2e297ff9903692e894ac1f72e84bd6dddea8cbe"
    ),
    TEMPLATES / "model/row_actions.html": (
        "4dc1ade152ecd029860ea8248d10d60ec558571d798ccb20017cd2cc4bb42a7d"
    ),
    TEMPLATES / "model/inline_list_base.html": (
        "9385d36000f838cdc0cd90bc310baa5a6e328c738b9ff862f36c75661e1df23b"
    ),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("original", sorted(ORIGINALS), ids=lambda path: path.name)
def test_flask_admin_files_we_copy_are_unchanged(original: Path):
    assert _sha256(original) == ORIGINALS[original], (
        f"Flask-Admin's {original.relative_to(FLASK_ADMIN)} changed: carry the change over "
        "to our copy in templates/admin/ (or static/js/kim.js), then update ORIGINALS"
    )


SCRIPTS_WE_DRIVE = {
    "form.js": ("this.addInlineField", "addFieldConverter", "adminFormReady"),
    "actions.js": ("this.execute = function(name)", "var modelActions"),
    "bs4_filters.js": ("remove-filter", "$('a.filter', filtersElement)", "filter-val"),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS_WE_DRIVE))
def test_flask_admin_scripts_still_offer_what_kim_js_uses(script: str):
    source = (SCRIPTS / script).read_text(encoding="utf-8")
    for needle in SCRIPTS_WE_DRIVE[script]:
        assert needle in source, f"{script} no longer has {needle!r}: check static/js/kim.js"


def test_every_answer_carries_the_unchanged_strict_policy(
    open_walk: Callable[..., Walk],
):
    walk = open_walk("lead-awo")
    walk.login("lead.awo@example.org")
    request = walk.context.request
    answers = {
        "/login": 302,  # logged in: on to the start page
        "/admin/": 200,
        "/admin/clients/": 200,
        "/admin/clients/new/": 200,
        "/admin/referral-tracking/": 200,
        "/admin/statistics/": 200,
        "/admin/gibt-es-nicht/": 404,
        "/admin/organisations/": 403,
        "/admin/clients/export/csv/": 200,
        "/static/js/kim.js": 200,
        "/healthz": 200,
    }
    for path, status in answers.items():
        answer = request.get(walk.url(path), max_redirects=0)
        assert answer.status == status, f"{path}: {answer.status}"
        assert_strict_policy(path, answer.headers.get("content-security-policy"))
        answer.dispose()
    # The German error page, as the browser shows it.
    walk.visit_error_page("/admin/gibt-es-nicht/", 404)
    walk.visit_error_page("/admin/organisations/", 403)
    with walk.page.expect_navigation():
        walk.page.get_by_role("link", name="Zur Startseite").click()
    walk.check()
    walk.logout()
