"""List pages render their rows and filters in Python (``admin_views.paging``): the same
page as the template's own loops, and no filter option kept from another organisation."""

from __future__ import annotations

import html as html_module
import json
import re

import pytest
from flask_admin.model.base import BaseModelView

import admin_views.base
import admin_views.paging
from admin_views.casework import CaseView
from admin_views.paging import STAMP_ID, ListRow, list_rows
from models import Case, Client, User
from models.choices import Role
from models.visibility import visible_criteria
from tests import test_paging

many_clients = test_paging.many_clients  # the fixture: 23 clients with cases and referrals

LISTS = (
    "/admin/clients/",
    "/admin/clients/?page=1&page_size=20&search=Seite",
    "/admin/cases/?page_size=20",
    "/admin/referrals/",
    "/admin/contacts/",
    "/admin/barriers/",
    "/admin/tasks/",
)
FILTERS_DATA = re.compile(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', re.S)


def normalise(page: str) -> str:
    """Without tokens and nonces (new on every page) and whitespace between tags."""
    page = re.sub(r'(nonce|value)="[A-Za-z0-9._\-]{20,}"', "", page)
    return re.sub(r"\s+", " ", re.sub(r">\s+", ">", re.sub(r"\s+<", "<", page)))


def template_page(client, url, monkeypatch):
    """The page as the template's loops render it: every cell, every row action."""
    with monkeypatch.context() as patch:
        patch.setattr(admin_views.paging, "is_id_only", lambda action: False)
        patch.setattr(admin_views.base, "row_cells", lambda columns: None)
        patch.setattr(admin_views.base.KimModelView, "_get_filter_groups", _flask_admin_groups)
        return client.get(url).get_data(as_text=True)


def _flask_admin_groups(view):
    return BaseModelView._get_filter_groups(view)


@pytest.mark.usefixtures("many_clients")
@pytest.mark.parametrize("email", ["case_manager_email", "lead_email"])
def test_the_list_pages_are_the_same_as_the_templates_loops(
    client, auth, world, monkeypatch, email
):
    auth.login(getattr(world.a, email))
    for url in LISTS:
        fast = client.get(url)
        assert fast.status_code == 200, url
        fast_page = fast.get_data(as_text=True)
        assert normalise(fast_page) == normalise(template_page(client, url, monkeypatch)), url
        assert STAMP_ID not in fast_page


@pytest.mark.usefixtures("many_clients")
def test_every_row_of_a_stamped_page_links_its_own_id(client, auth, world):
    auth.login(world.a.lead_email)
    page = client.get("/admin/clients/").get_data(as_text=True)
    ids = re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', page)
    assert ids
    for row_id in ids:
        assert f"/admin/clients/details/?id={row_id}&" in page
        assert f"/admin/clients/archive/?id={row_id}&" in page


def test_the_stamp_falls_back_when_the_first_row_is_not_what_it_gives():
    class Action:
        def __init__(self, text):
            self.text = text

        def render_ctx(self, context, row_id, row):
            return self.text.format(row_id=row_id, name=getattr(row, "name", ""))

    admin_views.paging.ID_ONLY_ACTIONS += (Action,)
    try:
        stamp = admin_views.paging.RowActionsStamp(None, [Action("<a id={row_id}>")], 42)
        assert stamp.parts is not None
        assert stamp(7, None) == "&lt;a id=7&gt;"  # plain text is escaped, as in the template
        fixed = admin_views.paging.RowActionsStamp(None, [Action(f"{STAMP_ID}:{{row_id}}")], 42)
        assert fixed.parts is None  # the stamp's id also occurs elsewhere: each row rendered
        assert fixed(7, None) == f"{STAMP_ID}:7"
    finally:
        admin_views.paging.ID_ONLY_ACTIONS = admin_views.paging.ID_ONLY_ACTIONS[:-1]


def _colleague_options(page: str) -> list[str]:
    groups = json.loads(html_module.unescape(FILTERS_DATA.search(page).group(1)))
    (colleagues,) = (items for name, items in groups.items() if name == "Case Manager*in")
    return [label for _id, label in colleagues[0]["options"]]


def test_the_colleague_filter_is_read_for_each_organisation(client, auth, world):
    auth.login(world.a.lead_email)
    first = _colleague_options(client.get("/admin/cases/").get_data(as_text=True))
    other = auth.browser(world.b.lead_email)
    second = _colleague_options(other.get("/admin/cases/").get_data(as_text=True))
    assert first
    assert second
    assert not set(first) & set(second)


def test_static_filter_options_are_converted_once_per_language(client, auth, world):
    auth.login(world.a.case_manager_email)
    first = client.get("/admin/clients/").get_data(as_text=True)
    second = client.get("/admin/clients/").get_data(as_text=True)
    data = FILTERS_DATA.search(first).group(1)
    assert data == FILTERS_DATA.search(second).group(1)
    groups = json.loads(html_module.unescape(data))
    assert any(
        option for items in groups.values() for item in items for option in item["options"] or ()
    )


def test_the_kept_menu_follows_the_users_role(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    archive_link = 'href="/admin/archive-clients/"'
    assert archive_link not in client.get("/admin/clients/").get_data(as_text=True)
    manager = session.get(User, world.a.case_manager_id)
    manager.role = Role.ORG_LEAD.value
    session.commit()
    assert archive_link in client.get("/admin/clients/").get_data(as_text=True)
    other = auth.browser(world.b.case_manager_email)
    assert archive_link not in other.get("/admin/clients/").get_data(as_text=True)


@pytest.mark.usefixtures("many_clients")
@pytest.mark.parametrize("email", ["case_manager_email", "lead_email"])
def test_the_list_pages_from_core_rows_are_those_from_orm_entities(
    client, auth, world, monkeypatch, email
):
    auth.login(getattr(world.a, email))
    urls = (
        *LISTS,
        "/admin/cases/?search=Seite&page_size=20&page=1",
        "/admin/cases/?sort=1&desc=1",
        "/admin/referrals/?search=Seite",
        "/admin/referrals/?page=1&page_size=20&sort=2",
    )
    orm = admin_views.paging.rows_of_page
    for url in urls:
        core = client.get(url)
        assert core.status_code == 200, url
        with monkeypatch.context() as patch:
            # The query's own ORM entities, not the view's Core rows.
            patch.setattr(admin_views.base, "rows_of_page", lambda q, m, load: orm(q, m))
            entities = client.get(url).get_data(as_text=True)
        assert normalise(core.get_data(as_text=True)) == normalise(entities), url


def test_a_list_row_reads_only_the_values_its_list_names():
    person = ListRow(
        Client, {"id": 1, "last_name": "Haddad", "first_name": "Amina", "file_number": "AWO-1"}
    )
    case = ListRow(Case, {"id": 2, "case_number": "AWO-2026-0001", "client": person})
    assert str(person) == "Haddad, Amina (AWO-1)"
    assert str(case) == "AWO-2026-0001 – Haddad, Amina"
    assert person.full_name == Client.full_name.fget(person)  # a property of the model
    with pytest.raises(AttributeError, match="goals"):
        _ = case.goals


def test_core_rows_are_scoped_by_the_visibility_rule(session, world):
    user = session.get_one(User, world.a.case_manager_id)
    rows = list_rows(
        session,
        Case,
        CaseView.list_row_columns or {},
        {},
        [world.a.case_id, world.b.case_id],
        visible_criteria(user, Case),
    )
    assert [row.id for row in rows] == [world.a.case_id]
    assert rows[0].client.id == world.a.client_id
