"""Organisation scoping on every path: a's users never see, pick, find or export b's records.

Organisation a is "awo", b is "caritas" (``tests.factories.build_world``). Each test asks as
a's users and proves that b's records, which exist, stay invisible.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from models import Barrier, Case, Client, Contact, Organisation, Referral, User
from tests.factories import (
    CONSENT_GIVEN_ON,
    TODAY,
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_partner,
    make_referral,
    make_topic,
)

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

CASEWORK_VIEWS = ("clients", "cases", "contacts", "barriers", "referrals")
RECENTLY = TODAY - dt.timedelta(days=23)
ALL_VIEWS = (
    *CASEWORK_VIEWS,
    "partners",
    "barrier-categories",
    "topics",
    "organisations",
    "users",
)
MODEL = {
    "clients": Client,
    "cases": Case,
    "contacts": Contact,
    "barriers": Barrier,
    "referrals": Referral,
}


# --- helpers -----------------------------------------------------------------------------


class _SelectOptions(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.inside = False
        self.options: dict[str, str] = {}
        self._value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "select":
            self.inside = attributes.get("name") == self.name
        elif tag == "option" and self.inside:
            self._value = attributes.get("value") or ""
            self.options[self._value] = ""

    def handle_data(self, data: str) -> None:
        if self._value is not None:
            self.options[self._value] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._value = None
        elif tag == "select":
            self.inside = False


def select_options(html: str, name: str) -> dict[str, str]:
    """The options (value → text) of the select box ``name``; empty if there is none."""
    parser = _SelectOptions(name)
    parser.feed(html)
    return {value: text for value, text in parser.options.items() if value not in ("", "__None")}


def list_rows(html: str) -> int:
    """Rows in the list table of a Flask-Admin list page (each has its buttons cell)."""
    return html.count('<td class="list-buttons-column"')


def listed_count(html: str) -> int:
    """The total in the "Liste (n)" tab; the tab shows no number when the list is empty."""
    match = re.search(r"Liste \((\d+)\)", html)
    return int(match.group(1)) if match else 0


def count_rows(connection: Connection, model: type[Any], *criteria: Any) -> int:
    statement = select(func.count()).select_from(model).where(*criteria)
    return connection.execute(statement).scalar_one()


def b_names(session: Session, world) -> list[str]:
    """What must never show to a's users: b's client's names and b's users' names and e-mails."""
    b_client = session.get(Client, world.b.client_id)
    b_users = session.scalars(select(User).where(User.organisation_id == world.b.organisation_id))
    names = [b_client.first_name, b_client.last_name, b_client.file_number]
    for user in b_users:
        names += [user.full_name, user.email]
    return names


def own_users(session: Session, organisation_id: int) -> dict[str, str]:
    users = session.scalars(select(User).where(User.organisation_id == organisation_id))
    return {str(user.id): user.full_name for user in users}


A_USERS = pytest.mark.parametrize("a_user", ["case_manager_email", "lead_email"])


# --- select boxes and look-ups offer only the own organisation's records ------------------


@A_USERS
def test_case_manager_select_offers_only_own_org_users(client, auth, session, world, a_user):
    auth.login(getattr(world.a, a_user))

    html = client.get("/admin/cases/new/").get_data(as_text=True)

    assert select_options(html, "case_manager") == own_users(session, world.a.organisation_id)


def test_case_manager_select_of_an_existing_case_offers_only_own_org_users(
    client, auth, session, world
):
    auth.login(world.a.lead_email)

    html = client.get(f"/admin/cases/edit/?id={world.a.case_id}").get_data(as_text=True)

    assert select_options(html, "case_manager") == own_users(session, world.a.organisation_id)


@pytest.mark.parametrize("path", [f"/admin/{view}/new/" for view in CASEWORK_VIEWS])
def test_new_record_forms_name_no_record_of_the_other_org(client, auth, session, world, path):
    auth.login(world.a.case_manager_email)

    response = client.get(path)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in b_names(session, world):
        assert name not in html


def test_client_lookup_finds_own_client_but_not_other_orgs(client, auth, world):
    auth.login(world.a.case_manager_email)

    own = client.get(f"/admin/cases/ajax/lookup/?name=client&query={world.a.client_name}")
    foreign = client.get(f"/admin/cases/ajax/lookup/?name=client&query={world.b.client_name}")

    assert [row[0] for row in json.loads(own.get_data())] == [world.a.client_id]
    assert json.loads(foreign.get_data()) == []


def lookup_ids(client, path: str, query: str) -> list[int]:
    response = client.get(path, query_string={"name": "case", "query": query})
    return [row[0] for row in json.loads(response.get_data())]


@pytest.mark.parametrize("view", ["contacts", "barriers", "referrals"])
def test_case_lookup_offers_only_own_cases(client, auth, session, world, view):
    auth.login(world.a.case_manager_email)
    path = f"/admin/{view}/ajax/lookup/"
    b_case_number = session.get(Case, world.b.case_id).case_number

    assert lookup_ids(client, path, f"F-{TODAY.year}") == [world.a.case_id]  # matches both cases
    assert lookup_ids(client, path, b_case_number) == []
    assert lookup_ids(client, path, world.b.client_name) == []


# --- forged form posts are refused -------------------------------------------------------


def new_case_form(world, **changes: Any) -> dict[str, Any]:
    return {
        "client": world.a.client_id,
        "case_manager": world.a.case_manager_id,
        "opened_on": RECENTLY.isoformat(),
        "phase": "intake",
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "foreign_id"),
    [
        ("client", lambda world: world.b.client_id),
        ("case_manager", lambda world: world.b.case_manager_id),
    ],
)
def test_new_case_linking_other_org_record_is_refused(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, connection, world, field, foreign_id
):
    auth.login(world.a.case_manager_email)
    cases_before = count_rows(connection, Case)

    response = client.post(
        "/admin/cases/new/", data=new_case_form(world, **{field: foreign_id(world)})
    )

    assert response.status_code == 200  # the form again, with the field's error
    assert re.search(
        rf'id="{field}"[^>]*is-invalid|is-invalid[^>]*id="{field}"', response.get_data(as_text=True)
    )
    assert count_rows(connection, Case) == cases_before


def test_new_case_with_own_client_and_colleague_is_saved(client, auth, connection, world):
    auth.login(world.a.case_manager_email)

    response = client.post("/admin/cases/new/", data=new_case_form(world))

    assert response.status_code == 302
    assert count_rows(connection, Case, Case.organisation_id == world.a.organisation_id) == 2


def test_editing_own_case_to_other_orgs_client_is_refused(client, auth, connection, world):
    auth.login(world.a.case_manager_email)

    response = client.post(
        f"/admin/cases/edit/?id={world.a.case_id}",
        data=new_case_form(world, client=world.b.client_id, row_version="1"),
    )

    assert response.status_code == 200
    row = connection.execute(
        select(Case.client_id, Case.version).where(Case.id == world.a.case_id)
    ).one()
    assert tuple(row) == (world.a.client_id, 1)


@pytest.mark.parametrize("view", ["contacts", "barriers", "referrals"])
def test_new_record_for_other_orgs_case_is_refused(client, auth, connection, world, view):
    auth.login(world.a.case_manager_email)
    model = MODEL[view]
    rows_before = count_rows(connection, model)
    form = {
        "case": world.b.case_id,
        "contact_date": RECENTLY.isoformat(),
        "kind": "phone",
        "category": world.category_id,
        "observed_on": RECENTLY.isoformat(),
        "status": "planned" if view == "referrals" else "open",
        "partner": world.partner_id,
        "referred_on": RECENTLY.isoformat(),
        "follow_up_on": (RECENTLY + dt.timedelta(days=14)).isoformat(),
    }

    response = client.post(f"/admin/{view}/new/", data=form)

    assert response.status_code == 200
    assert count_rows(connection, model) == rows_before


def test_forged_organisation_field_is_ignored_on_create(client, auth, connection, world):
    auth.login(world.a.case_manager_email)

    response = client.post(
        "/admin/clients/new/",
        data={
            "first_name": "Jana",
            "last_name": "Novak",
            "gender": "female",
            "consent_given_on": RECENTLY.isoformat(),
            "organisation": world.b.organisation_id,
            "organisation_id": world.b.organisation_id,
        },
    )

    assert response.status_code == 302
    owner = connection.execute(
        select(Client.organisation_id).where(Client.last_name == "Novak")
    ).scalar_one()
    assert owner == world.a.organisation_id


def test_forged_organisation_field_is_ignored_on_edit(client, auth, connection, world):
    auth.login(world.a.case_manager_email)

    response = client.post(
        f"/admin/clients/edit/?id={world.a.client_id}",
        data={
            "first_name": "Amina",
            "last_name": "Haddad",
            "gender": "female",
            "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
            "row_version": "1",
            "organisation": world.b.organisation_id,
            "organisation_id": world.b.organisation_id,
        },
    )

    assert response.status_code == 302
    owner = connection.execute(
        select(Client.organisation_id).where(Client.id == world.a.client_id)
    ).scalar_one()
    assert owner == world.a.organisation_id


# --- ids: foreign, missing and malformed are all "not found" ------------------------------

BAD_IDS = {
    "two_ids": lambda world, view: f"{world.a.client_id},{world.b.client_id}",
    "letters": lambda world, view: "abc",
    "negative": lambda world, view: "-1",
    "zero": lambda world, view: "0",
    "missing": lambda world, view: "999999",
    "other_org": lambda world, view: str(world.record_id(world.b, view)),
}


@pytest.mark.parametrize("page", ["details", "edit"])
@pytest.mark.parametrize("kind", sorted(BAD_IDS))
@pytest.mark.parametrize("view", CASEWORK_VIEWS)
def test_foreign_missing_or_malformed_id_is_404(client, auth, world, view, kind, page):  # noqa: PLR0917 - pytest passes fixtures
    auth.login(world.a.lead_email)
    record_id = BAD_IDS[kind](world, view)

    response = client.get(f"/admin/{view}/{page}/", query_string={"id": record_id})

    assert response.status_code == 404


# --- lists, counts, search, filters ------------------------------------------------------


@pytest.fixture
def more_clients(session, world):
    """Three more clients for a, five more for b."""
    for org, extra in ((world.a, 3), (world.b, 5)):
        organisation = session.get(Organisation, org.organisation_id)
        author = session.get(User, org.case_manager_id)
        for number in range(extra):
            make_client(session, organisation, author, last_name=f"Zusatz-{org.slug}-{number}")
    session.commit()
    return world


@pytest.mark.parametrize(("org", "expected"), [("a", 4), ("b", 6)])
def test_list_count_is_the_number_of_own_rows(client, auth, more_clients, org, expected):
    own = getattr(more_clients, org)
    auth.login(own.case_manager_email)

    html = client.get("/admin/clients/").get_data(as_text=True)

    assert listed_count(html) == expected
    assert list_rows(html) == expected


def test_list_count_of_small_pages_counts_own_rows_only(client, auth, more_clients):
    auth.login(more_clients.a.case_manager_email)

    html = client.get("/admin/clients/?page_size=20&page=0").get_data(as_text=True)

    assert listed_count(html) == 4


@pytest.mark.parametrize(
    ("view", "search"),
    [
        ("clients", lambda world: world.b.client_name),
        ("clients", lambda world: "Oleksandr"),
        ("cases", lambda world: world.b.client_name),
    ],
)
def test_search_for_other_orgs_client_finds_nothing(client, auth, world, view, search):
    auth.login(world.a.case_manager_email)

    html = client.get(f"/admin/{view}/", query_string={"search": search(world)}).get_data(
        as_text=True
    )

    assert list_rows(html) == 0
    assert listed_count(html) == 0


def test_search_for_own_client_finds_it(client, auth, world):
    auth.login(world.a.case_manager_email)

    html = client.get("/admin/clients/", query_string={"search": world.a.client_name}).get_data(
        as_text=True
    )

    assert list_rows(html) == 1


@pytest.fixture
def b_only_values(session, world):
    """Values that occur only in b's records: a residence status, a topic, a partner."""
    b_client = session.get(Client, world.b.client_id)
    b_client.residence_status = "toleration"
    b_case = session.get(Case, world.b.case_id)
    b_case.topics.append(make_topic(session, "Gesundheit"))
    b_partner = make_partner(session, "Ausländerbehörde")
    make_barrier(session, b_case, make_category(session, "Sprache"), partner=b_partner)
    make_referral(session, b_case, b_partner)
    session.commit()
    return world


@pytest.mark.parametrize(
    ("view", "filter_arg", "value"),
    [
        ("clients", "flt0_aufenthaltsstatus_equals", "toleration"),
        ("cases", "flt0_handlungsfeld_equals", "Gesundheit"),
        ("barriers", "flt0_partner_equals", "Ausländerbehörde"),
        ("barriers", "flt0_kategorie_equals", "Sprache"),
        ("referrals", "flt0_partner_equals", "Ausländerbehörde"),
    ],
)
def test_filter_with_other_org_only_value_gives_no_rows(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, b_only_values, view, filter_arg, value
):
    auth.login(b_only_values.a.case_manager_email)

    html = client.get(f"/admin/{view}/", query_string={filter_arg: value}).get_data(as_text=True)

    assert list_rows(html) == 0
    assert listed_count(html) == 0


def test_the_same_filter_finds_the_rows_for_the_other_org(client, auth, b_only_values):
    auth.login(b_only_values.b.case_manager_email)

    html = client.get(
        "/admin/clients/", query_string={"flt0_aufenthaltsstatus_equals": "toleration"}
    ).get_data(as_text=True)

    assert list_rows(html) == 1


# --- export ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"search": "Shevchenko"},
        {"search": "CARITAS"},
        {"flt0_aufenthaltsstatus_equals": "toleration"},
        {"flt0_aufenthaltsstatus_not_equal": "settlement"},
        {"flt0_aufenthaltsstatus_empty": "0"},
        {"page_size": "100", "page": "0"},
    ],
    ids=["plain", "search_name", "search_file_number", "filter", "filter_not", "empty", "paged"],
)
def test_export_contains_only_own_clients(client, auth, session, b_only_values, query):
    world = b_only_values
    auth.login(world.a.case_manager_email)

    response = client.get("/admin/clients/export/csv/", query_string=query)

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in b_names(session, world):
        assert name not in text


def test_export_contains_own_client(client, auth, world):
    auth.login(world.a.case_manager_email)

    text = client.get("/admin/clients/export/csv/").get_data(as_text=True)

    assert world.a.client_name in text


@pytest.mark.parametrize("view", ["cases", "contacts", "barriers", "referrals"])
def test_export_of_casework_names_no_other_org_case(client, auth, session, world, view):
    auth.login(world.a.case_manager_email)
    b_case = session.get(Case, world.b.case_id)

    text = client.get(f"/admin/{view}/export/csv/").get_data(as_text=True)

    assert world.a.client_name in text
    assert b_case.client.last_name not in text


# --- bulk actions ------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["contacts", "barriers", "referrals"])
def test_bulk_delete_with_other_org_id_deletes_only_own_row(client, auth, connection, world, view):
    model = MODEL[view]
    own_id, foreign_id = world.record_id(world.a, view), world.record_id(world.b, view)
    auth.login(world.a.lead_email)

    response = client.post(
        f"/admin/{view}/action/", data={"action": "delete", "rowid": [own_id, foreign_id]}
    )

    assert response.status_code == 302
    assert count_rows(connection, model, model.id == own_id) == 0
    assert count_rows(connection, model, model.id == foreign_id) == 1


def test_bulk_delete_of_only_other_org_ids_deletes_nothing(client, auth, connection, world):
    auth.login(world.b.lead_email)
    before = count_rows(connection, Contact)

    client.post("/admin/contacts/action/", data={"action": "delete", "rowid": [world.a.contact_id]})

    assert count_rows(connection, Contact) == before


# --- coordination and admins see no casework ---------------------------------------------


@pytest.mark.parametrize("view", CASEWORK_VIEWS)
@pytest.mark.parametrize("user", ["coordinator_email", "admin_email"])
def test_coordination_and_admins_get_403_on_casework_lists(client, auth, world, view, user):
    auth.login(getattr(world, user))

    assert client.get(f"/admin/{view}/").status_code == 403
    assert client.get(f"/admin/{view}/export/csv/").status_code == 403


# --- no page of a's users names b's people ------------------------------------------------


@A_USERS
@pytest.mark.parametrize("view", ALL_VIEWS)
def test_list_pages_name_no_client_or_user_of_the_other_org(  # noqa: PLR0917 - pytest passes fixtures
    client, auth, session, b_only_values, view, a_user
):
    world = b_only_values
    auth.login(getattr(world.a, a_user))

    response = client.get(f"/admin/{view}/")

    html = response.get_data(as_text=True)
    assert response.status_code in (200, 403)  # organisations are closed to case-level roles
    for name in b_names(session, world):
        assert name not in html


@A_USERS
def test_start_page_counts_only_own_organisation(client, auth, session, world, a_user):
    # b: three more overdue referrals; a: a referral to a partner linked to b, which is
    # incoming at b, not at a, and not overdue.
    b_case = session.get(Case, world.b.case_id)
    a_case = session.get(Case, world.a.case_id)
    partner_of_b = make_partner(
        session,
        "Caritas Migrationsdienst",
        kind="kim_provider",
        organisation_id=world.b.organisation_id,
    )
    for number in range(3):
        make_referral(session, b_case, make_partner(session, f"Partner {number}"))
    make_referral(
        session,
        a_case,
        partner_of_b,
        referred_on=TODAY - dt.timedelta(days=5),
        follow_up_on=TODAY + dt.timedelta(days=36),  # not overdue
    )
    b_manager = session.get(User, world.b.case_manager_id)
    b_client = session.get(Client, world.b.client_id)
    make_case(session, b_client, b_manager)
    session.commit()
    auth.login(getattr(world.a, a_user))

    html = client.get("/admin/").get_data(as_text=True)

    open_cases = 1 if a_user == "case_manager_email" else 0  # "my" cases: the user's own
    assert start_page_counts(html) == [open_cases, 1, 0]


def test_start_page_of_the_other_org_counts_its_own_data(client, auth, session, world):
    a_case = session.get(Case, world.a.case_id)
    partner_of_b = make_partner(
        session,
        "Caritas Migrationsdienst",
        kind="kim_provider",
        organisation_id=world.b.organisation_id,
    )
    make_referral(
        session,
        a_case,
        partner_of_b,
        referred_on=TODAY - dt.timedelta(days=5),
        follow_up_on=TODAY + dt.timedelta(days=36),  # not overdue
    )
    session.commit()
    auth.login(world.b.case_manager_email)

    html = client.get("/admin/").get_data(as_text=True)

    assert start_page_counts(html) == [1, 1, 1]


def start_page_counts(html: str) -> list[int]:
    """My open cases, overdue follow-ups, incoming referrals: the three figures of the page."""
    return [int(value) for value in re.findall(r'class="display-4">\s*(\d+)\s*<', html)]
