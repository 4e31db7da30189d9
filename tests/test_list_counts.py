"""A list's count is kept while nothing it reads is written (``admin_views.paging``):
right after any write, of the ORM, a bulk statement or SQL text, the page counts what
the database holds, and a count of another organisation's rows never moves it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, event, text, update

from models import Client, Organisation, Referral, User
from models.base import Base
from models.choices import Role
from models.owned import OrgOwned
from models.permissions import Principal
from models.visibility import visible_criteria, visible_organisation
from tests.factories import make_case, make_client

pytestmark = pytest.mark.shared_world

COUNT = re.compile(r'aria-current="page">Liste \((\d+)\)</span>')
ARCHIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@contextmanager
def counted_queries(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    found = COUNT.search(response.get_data(as_text=True))
    return int(found.group(1)) if found else 0


def _new_client(session, world, org: str = "a", **values: object) -> Client:
    records = getattr(world, org)
    organisation = session.get_one(Organisation, records.organisation_id)
    author = session.get_one(User, records.case_manager_id)
    record = make_client(session, organisation, author, **values)
    session.commit()
    return record


def test_a_kept_count_runs_no_count_query(client, auth, world, connection):
    auth.login(world.a.case_manager_email)
    listed(client, "/admin/clients/")
    with counted_queries(connection) as statements:
        listed(client, "/admin/clients/")
    assert not [s for s in statements if "count(" in s.lower()], statements


@pytest.mark.parametrize(
    "url", ["/admin/clients/", "/admin/clients/?search=Quistorp", "/admin/cases/?search=Quistorp"]
)
def test_the_count_follows_a_new_and_an_archived_record_at_once(client, auth, world, session, url):
    auth.login(world.a.case_manager_email)
    before = listed(client, url)
    record = _new_client(session, world, last_name="Quistorp")
    case = make_case(session, record, session.get_one(User, world.a.case_manager_id))
    session.commit()
    assert listed(client, url) == before + 1
    record.archived_at = ARCHIVED
    case.archived_at = ARCHIVED
    session.commit()
    assert listed(client, url) == before


def test_the_count_follows_a_changed_name(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    record = _new_client(session, world, last_name="Quistorp")
    assert listed(client, "/admin/clients/?search=Quistorp") == 1
    record.last_name = "Anders"
    session.commit()
    assert listed(client, "/admin/clients/?search=Quistorp") == 0
    assert listed(client, "/admin/clients/?search=Anders") >= 1


def test_the_count_follows_a_bulk_statement_and_sql_text(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    before = listed(client, "/admin/clients/")
    record = _new_client(session, world)
    assert listed(client, "/admin/clients/") == before + 1
    session.execute(update(Client).where(Client.id == record.id).values(archived_at=ARCHIVED))
    session.commit()
    assert listed(client, "/admin/clients/") == before
    session.execute(text("UPDATE client SET archived_at = NULL WHERE id = :id"), {"id": record.id})
    session.commit()
    assert listed(client, "/admin/clients/") == before + 1


def test_the_referral_count_follows_an_archived_case(client, auth, world, session):
    auth.login(world.a.case_manager_email)
    before = listed(client, "/admin/referrals/")
    assert before >= 1
    case = session.get_one(Referral, world.a.referral_id).case
    case.archived_at = ARCHIVED
    session.commit()
    assert listed(client, "/admin/referrals/") < before


def test_another_organisations_write_leaves_the_count_and_is_not_counted(
    client, auth, world, session, connection
):
    auth.login(world.a.case_manager_email)
    before = listed(client, "/admin/clients/")
    _new_client(session, world, org="b")
    with counted_queries(connection) as statements:
        assert listed(client, "/admin/clients/") == before
    assert not [s for s in statements if "count(" in s.lower()], statements


def _users(session, world) -> list[User]:
    emails = [
        world.a.case_manager_email,
        world.a.lead_email,
        world.b.case_manager_email,
        world.coordinator_email,
        world.admin_email,
    ]
    return [session.query(User).filter(User.email == email).one() for email in emails]


def _org_owned_models() -> list[type]:
    models = {mapper.class_ for mapper in Base.registry.mappers}
    return sorted((m for m in models if issubclass(m, OrgOwned)), key=lambda m: m.__name__)


def test_the_visible_organisation_is_the_first_criterion_of_the_visibility_rule(session, world):
    for user in _users(session, world):
        principal: Principal = user
        for model in _org_owned_models():
            organisation = visible_organisation(principal, model)
            criteria = visible_criteria(principal, model)
            if organisation is None:
                assert Role(user.role).is_case_level is False or not criteria
                continue
            first = criteria[0].compile(compile_kwargs={"literal_binds": True})
            assert str(first) == f"{model.__table__.name}.organisation_id = {organisation}"
            assert organisation == user.organisation_id
