"""List pages read their ids first, then their rows: the same rows in the same order as
one query with OFFSET, and each row link built once per request, the same links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_admin.contrib.sqla import ModelView

import admin_views.base
from admin_views.paging import RowUrls, StaticUrls
from models import Organisation, Partner, User
from tests.factories import REFERRED_ON, make_case, make_client, make_referral

ROW_LINK = re.compile(r'href="(/admin/[a-z_]+/(?:details|edit|archive)/\?[^"]+)"')


@pytest.fixture
def many_clients(session, world):
    organisation = session.get(Organisation, world.a.organisation_id)
    manager = session.get(User, world.a.case_manager_id)
    partner = session.get(Partner, world.partner_id)
    for number in range(23):
        client = make_client(
            session, organisation, manager, last_name=f"Seite-{number % 7}", first_name="Zoë"
        )
        case = make_case(session, client, manager)
        for day in range(number % 3):
            make_referral(
                session,
                case,
                partner,
                referred_on=REFERRED_ON,
                follow_up_on=REFERRED_ON + dt.timedelta(days=day * 7 % 5),
            )
    session.commit()


ROW_ID = re.compile(r"/details/\?id=(\d+)")


@pytest.mark.parametrize("endpoint", ["clients", "cases", "referrals"])
@pytest.mark.parametrize(
    "arguments",
    [
        "page_size=5",
        "page=2&page_size=5",
        "page=4&page_size=5&sort=1&desc=1",
        "page=1&page_size=5&search=Seite",
        "page=9&page_size=5",
        "page=1&page_size=5&sort=2",
    ],
)
def test_every_page_has_the_rows_of_the_one_query_page(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, world, many_clients, monkeypatch, endpoint, arguments
):
    auth.login(world.a.case_manager_email)
    url = f"/admin/{endpoint}/?{arguments}"
    by_ids = client.get(url)
    with monkeypatch.context() as patch:
        # Flask-Admin's own page: LIMIT and OFFSET on the whole query.
        patch.setattr(admin_views.base, "rows_of_page", lambda query, model, load: query.all())
        one_query = client.get(url)
    assert by_ids.status_code == one_query.status_code == 200
    assert ROW_ID.findall(by_ids.get_data(as_text=True)) == ROW_ID.findall(
        one_query.get_data(as_text=True)
    )


def test_the_list_page_is_the_same_with_links_built_once(
    client, auth, world, many_clients, monkeypatch
):
    auth.login(world.a.case_manager_email)
    for url in ("/admin/clients/", "/admin/cases/?page=1&page_size=20", "/admin/referrals/"):
        once = client.get(url).get_data(as_text=True)
        with monkeypatch.context() as patch:
            patch.setattr(admin_views.base.KimModelView, "get_url", ModelView.get_url)
            each = client.get(url).get_data(as_text=True)
        normalise = lambda html: re.sub(r'(nonce|value)="[A-Za-z0-9._\-]{20,}"', "", html)  # noqa: E731
        assert normalise(once) == normalise(each)
        assert ROW_LINK.search(once)


def test_row_urls_put_the_id_in_place_and_build_other_links_once():
    built = []

    def build(endpoint, **values):
        built.append((endpoint, values))
        query = "&".join(f"{name}={value}" for name, value in values.items())
        return f"/{endpoint}/?{query}"

    urls = RowUrls()
    assert (
        urls.url(build, "details", {"id": 7, "url": "/back?id=1"})
        == "/details/?id=7&url=/back?id=1"
    )
    assert (
        urls.url(build, "details", {"id": "12", "url": "/back?id=1"})
        == "/details/?id=12&url=/back?id=1"
    )
    assert urls.url(build, "delete", {}) == "/delete/?"
    assert urls.url(build, "delete", {}) == "/delete/?"
    assert len(built) == 2
    assert urls.url(build, "details", {"id": "x1"}) == "/details/?id=x1"  # not a number: built
    assert urls.url(build, "details", {"id": True}) == "/details/?id=True"


def test_row_urls_put_a_page_number_in_place():
    built = []

    def build(endpoint, **values):
        built.append(values)
        return f"/{endpoint}/?" + "&".join(f"{name}={value}" for name, value in values.items())

    urls = RowUrls()
    for page in (1, 2, 9, 12):
        assert (
            urls.url(build, "cases.index_view", {"page": page, "search": "page=3"})
            == f"/cases.index_view/?page={page}&search=page=3"
        )
    assert len(built) == 1
    assert urls.url(build, "cases.index_view", {"search": "x"}) == "/cases.index_view/?search=x"


@pytest.mark.usefixtures("many_clients")
def test_the_pager_links_each_page_of_the_list(client, auth, world):
    auth.login(world.a.case_manager_email)
    pager = re.compile(r'class="page-link" href="([^"]+)"')
    first = client.get("/admin/clients/?page_size=20&search=Seite").get_data(as_text=True)
    assert "/admin/clients/?page=1&amp;search=Seite&amp;page_size=20" in pager.findall(first)
    second = client.get("/admin/clients/?page=1&page_size=20&search=Seite").get_data(as_text=True)
    assert "/admin/clients/?search=Seite&amp;page_size=20" in pager.findall(second)


def test_static_urls_are_built_once_for_each_script_root():
    built = []

    def build(endpoint, **values):
        built.append(values)
        return f"/{endpoint}/{values['filename']}?v={values.get('v', '')}"

    urls = StaticUrls(limit=3)
    for _ in range(3):
        assert urls.url(build, "admin.static", {"filename": "a.js", "v": "1"}, "") == (
            "/admin.static/a.js?v=1"
        )
    assert urls.url(build, "admin.static", {"filename": "a.js", "v": "2"}, "") == (
        "/admin.static/a.js?v=2"
    )
    assert urls.url(build, "admin.static", {"filename": "a.js", "v": "1"}, "/kim") == (
        "/admin.static/a.js?v=1"
    )
    assert len(built) == 3  # one per file, version and script root
    urls.url(build, "admin.static", {"filename": "b.js"}, "")  # over the limit: starts anew
    assert len(urls.urls) == 1
    urls.url(build, "admin.static", {"filename": "a.js", "_external": True}, "")
    urls.url(build, "admin.static", {"filename": "a.js", "_external": True}, "")
    assert len(built) == 6  # an absolute URL names the host: built each time


def test_a_page_served_under_a_path_prefix_links_its_static_files_under_it(client, auth, world):
    auth.login(world.a.case_manager_email)
    plain = client.get("/admin/cases/").get_data(as_text=True)
    prefixed = client.get("/admin/cases/", base_url="http://localhost/kim").get_data(as_text=True)
    assert 'src="/admin/static/admin/js/bs4_filters.js' in plain
    assert 'src="/kim/admin/static/admin/js/bs4_filters.js' in prefixed
    assert 'src="/admin/static/' not in prefixed
