"""The search box finds people as they are typed: any case, any accent, any script;
a typed % or _ is a character, not a wildcard. The same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, Client, Organisation, User
from models.search import normalise
from tests.factories import World, make_case, make_client

PEOPLE = {
    "Лесик Коваленко": ("Лесик", "Коваленко"),
    "Çetin Şahin": ("Çetin", "Şahin"),
    "Nguyễn Thị Hằng": ("Hằng", "Nguyễn Thị"),
    "Yılmaz Aydın": ("Aydın", "Yılmaz"),
    "محمّد الحسن": ("محمّد", "الحسن"),
    "Anna 100%": ("Anna", "Rabatt_100%"),
}


@pytest.fixture
def people(session: Session, world: World) -> dict[str, int]:
    organisation = session.get_one(Organisation, world.a.organisation_id)
    author = session.execute(
        select(User).where(User.email == world.a.case_manager_email)
    ).scalar_one()
    ids = {}
    for key, (first, last) in PEOPLE.items():
        ids[key] = make_client(session, organisation, author, first_name=first, last_name=last).id
    session.commit()
    return ids


def found(client: FlaskClient, typed: str) -> str:
    response = client.get("/admin/clients/", query_string={"search": typed})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "person"),
    [
        ("лесик", "Лесик Коваленко"),
        ("ЛЕСИК коваленко", "Лесик Коваленко"),
        ("cetin", "Çetin Şahin"),
        ("sahin", "Çetin Şahin"),
        ("nguyen hang", "Nguyễn Thị Hằng"),
        ("yilmaz", "Yılmaz Aydın"),
        ("YILMAZ", "Yılmaz Aydın"),
        ("محمد", "محمّد الحسن"),
    ],
)
def test_a_name_is_found_whatever_its_case_and_accents(
    auth, world: World, people: dict[str, int], typed: str, person: str
) -> None:
    body = found(auth.browser(world.a.case_manager_email), typed)
    assert f"details/?id={people[person]}" in body
    others = [key for key in PEOPLE if key != person]
    assert not any(f"details/?id={people[other]}&" in body for other in others)


@pytest.mark.parametrize("typed", ["%", "_", "100%", "a%n"])
def test_typed_wildcards_are_literal_characters(
    client: FlaskClient, auth, world: World, people: dict[str, int], typed: str
) -> None:
    auth.login(world.a.case_manager_email)
    body = found(client, typed)
    hits = [key for key, client_id in people.items() if f"details/?id={client_id}" in body]
    expected = [
        key
        for key, (first, last) in PEOPLE.items()
        if typed.lower() in normalise(f"{first} {last}")
    ]
    assert hits == expected
    assert f"details/?id={world.a.client_id}" not in body or typed in "Haddad"


def test_another_organisations_people_are_not_found(
    client: FlaskClient, auth, world: World, people: dict[str, int]
) -> None:
    auth.login(world.b.case_manager_email)
    body = found(client, "лесик")
    assert f"details/?id={people['Лесик Коваленко']}" not in body


def test_the_case_list_finds_cases_by_their_clients_name(
    client: FlaskClient, auth, world: World, session: Session
) -> None:
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/cases/", query_string={"search": "haddad"})
    assert f"details/?id={world.a.case_id}" in response.get_data(as_text=True)


def test_the_search_text_follows_a_changed_name(session: Session, world: World) -> None:
    record = session.get_one(Client, world.a.client_id)
    record.last_name = "Öztürk"
    session.flush()
    assert "ozturk" in record.search_text.split()


def test_the_case_list_finds_a_client_of_its_own_organisation_only(
    client: FlaskClient, auth, world: World, people: dict[str, int]
) -> None:
    # The client's name is searched as ``client_id IN (SELECT … FROM client …)``.
    auth.login(world.b.case_manager_email)
    response = client.get("/admin/cases/", query_string={"search": "haddad"})
    assert response.status_code == 200
    assert f"details/?id={world.a.case_id}" not in response.get_data(as_text=True)


def test_the_case_list_finds_a_client_by_a_name_without_its_accents(
    client: FlaskClient, auth, world: World, session: Session
) -> None:
    organisation = session.get_one(Organisation, world.a.organisation_id)
    author = session.get_one(User, world.a.case_manager_id)
    person = make_client(session, organisation, author, first_name="İbrahim", last_name="Öztürk")
    case = make_case(session, person, author)
    session.commit()
    auth.login(world.a.case_manager_email)
    for typed in ("ibrahim ozturk", "IBRAHIM", "öztürk"):
        response = client.get("/admin/cases/", query_string={"search": typed})
        assert f"details/?id={case.id}" in response.get_data(as_text=True), typed
    response = client.get("/admin/cases/", query_string={"search": "ibrahim_"})
    assert f"details/?id={case.id}" not in response.get_data(as_text=True)


def test_the_referral_list_finds_a_referral_by_its_case_number(
    client: FlaskClient, auth, world: World, session: Session
) -> None:
    case_number = session.get_one(Case, world.a.case_id).case_number
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/referrals/", query_string={"search": case_number.lower()})
    assert f"details/?id={world.a.referral_id}" in response.get_data(as_text=True)
    auth.logout()
    auth.login(world.b.case_manager_email)
    response = client.get("/admin/referrals/", query_string={"search": case_number})
    assert f"details/?id={world.a.referral_id}" not in response.get_data(as_text=True)
