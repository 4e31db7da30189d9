"""The task list, the plan screens and the start page: own organisation only, bounded queries."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, insert, select
from sqlalchemy.orm import Session

from models import Case, Organisation, User
from models.choices import Role, TaskKind, TaskSource, TaskStatus
from models.plan import IntegrationPlan, PlanGoal
from models.tasks import Task
from tests.conftest import AuthActions
from tests.factories import TODAY, World, make_task, make_user
from tests.test_permissions import database_contents

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

PLAN_VIEWS = {
    "plans": lambda world, org: getattr(world, org).plan_id,
    "plan-goals": lambda world, org: getattr(world, org).goal_id,
    "plan-steps": lambda world, org: getattr(world, org).step_id,
    "tasks": lambda world, org: getattr(world, org).task_id,
}
MISSING_ID = 999999


def user(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def option_values(page: str, field: str) -> set[str]:
    select_html = re.search(rf'<select[^>]*name="{field}".*?</select>', page, re.S)
    assert select_html, field
    return set(re.findall(r'<option[^>]*value="(\d+)"', select_html.group(0)))


# --- a foreign plan, goal, step and task is a missing one --------------------------------


@pytest.mark.parametrize("view", sorted(PLAN_VIEWS))
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/{view}/details/?id={id}"),
        ("GET", "/admin/{view}/edit/?id={id}"),
        ("POST", "/admin/{view}/edit/?id={id}"),
        ("POST", "/admin/{view}/delete/"),
    ],
)
def test_a_foreign_record_answers_like_a_missing_one(  # noqa: PLR0917 - fixtures
    client, auth, connection, world, view, method, path
):
    auth.login(world.b.lead_email)
    before = database_contents(connection)

    def ask(record_id: int) -> object:
        url = path.format(view=view, id=record_id)
        if method == "GET":
            return client.get(url)
        return client.post(url, data={"id": record_id, "row_version": "1"})

    foreign = ask(PLAN_VIEWS[view](world, "a"))
    missing = ask(MISSING_ID)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()
    assert database_contents(connection) == before


@pytest.mark.parametrize("view", sorted(PLAN_VIEWS))
def test_lists_exports_and_bulk_actions_keep_to_the_own_organisation(
    client, auth, connection, world, view
):
    auth.login(world.b.lead_email)
    own_id, foreign_id = PLAN_VIEWS[view](world, "b"), PLAN_VIEWS[view](world, "a")
    listing = client.get(f"/admin/{view}/").get_data(as_text=True)
    assert f"id={own_id}" in listing
    assert f"id={foreign_id}&" not in listing and f'value="{foreign_id}"' not in listing
    exported = client.get(f"/admin/{view}/export/csv/").get_data(as_text=True)
    assert "Haddad" not in exported and world.a.slug.upper() + "-F-" not in exported

    before = database_contents(connection)
    client.post(f"/admin/{view}/action/", data={"action": "delete", "rowid": [foreign_id]})
    assert database_contents(connection) == before


@pytest.mark.parametrize(
    ("view", "field"),
    [("plans", "case"), ("plan-goals", "plan"), ("plan-steps", "goal"), ("tasks", "case")],
)
def test_look_ups_offer_only_own_records(  # noqa: PLR0917 - pytest passes fixtures so
    client, auth, session, world, view, field
):
    case_number = session.get(Case, world.a.case_id).case_number
    auth.login(world.b.case_manager_email)
    found = client.get(f"/admin/{view}/ajax/lookup/?name={field}&query={case_number}")
    assert found.status_code == 200
    assert found.get_json() == []
    auth.logout()
    auth.login(world.a.case_manager_email)
    own = client.get(f"/admin/{view}/ajax/lookup/?name={field}&query={case_number}")
    assert len(own.get_json()) >= 1


def test_the_assignee_select_offers_only_active_colleagues(client, auth, session, world):
    organisation = session.get(Organisation, world.a.organisation_id)
    gone = make_user(session, Role.CASE_MANAGER, organisation, email="weg.awo@example.org")
    gone.active = False
    session.commit()
    auth.login(world.a.case_manager_email)

    page = client.get("/admin/tasks/new/").get_data(as_text=True)

    lead = user(session, world.a.lead_email)
    assert option_values(page, "assignee") == {str(world.a.case_manager_id), str(lead.id)}


def test_a_task_for_a_foreign_colleague_is_refused(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    before = session.execute(select(Task.id)).scalars().all()
    response = client.post(
        "/admin/tasks/new/",
        data={
            "assignee": world.b.case_manager_id,
            "kind": "call_back",
            "due_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 200
    assert session.execute(select(Task.id)).scalars().all() == before


def test_filtering_by_a_foreign_assignee_finds_nothing(client, auth, world):
    auth.login(world.b.lead_email)
    page = client.get(f"/admin/tasks/?flt1_zustndig_equals={world.a.case_manager_id}")
    assert page.status_code == 200
    assert f"/admin/tasks/details/?id={world.a.task_id}&" not in page.get_data(as_text=True)
    unfiltered = client.get("/admin/tasks/").get_data(as_text=True)
    assert f"/admin/tasks/details/?id={world.b.task_id}&" in unfiltered


# --- working with tasks ------------------------------------------------------------------


def test_a_manual_task_is_written_and_finished(client, auth, session, world):
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/tasks/new/",
        data={
            "case": world.a.case_id,
            "assignee": world.a.lead_id,
            "kind": "authority_deadline",
            "due_on": (TODAY + dt.timedelta(days=3)).isoformat(),
            "note": "Frist Ausländerbehörde",
        },
    )
    assert response.status_code == 302
    task = session.execute(select(Task).where(Task.note == "Frist Ausländerbehörde")).scalar_one()
    assert (task.organisation_id, task.status, task.source_kind) == (
        world.a.organisation_id,
        TaskStatus.OPEN,
        None,
    )

    done = client.post("/admin/tasks/finish/", data={"id": task.id, "url": "/admin/"})
    assert done.headers["Location"].endswith("/admin/")
    session.refresh(task)
    assert (task.status, task.done_on) == (TaskStatus.DONE, TODAY)


@pytest.mark.parametrize("elsewhere", ["//evil.example/", "/\\evil.example/", "https://x.example/"])
def test_finishing_returns_only_to_own_pages_whatever_the_spelling(client, auth, world, elsewhere):
    auth.login(world.a.case_manager_email)
    response = client.post("/admin/tasks/finish/", data={"id": world.a.task_id, "url": elsewhere})
    assert response.headers["Location"].endswith("/admin/tasks/")


def test_finishing_returns_only_to_own_pages(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.post(
        "/admin/tasks/finish/", data={"id": world.a.task_id, "url": "//evil.example/"}
    )
    assert response.headers["Location"].endswith("/admin/tasks/")


def test_a_referral_task_is_finished_by_its_referral(client, auth, session, world):
    task = session.execute(
        select(Task).where(
            Task.source_kind == TaskSource.REFERRAL, Task.source_id == world.a.referral_id
        )
    ).scalar_one()
    auth.login(world.a.case_manager_email)
    page = client.post(
        "/admin/tasks/finish/", data={"id": task.id, "url": "/admin/"}, follow_redirects=True
    )
    assert "mit ihrer Quelle erledigt" in page.get_data(as_text=True)
    session.refresh(task)
    assert task.status == TaskStatus.OPEN


def test_an_automatic_task_keeps_its_case_and_assignee(client, auth, session, world):
    task = session.execute(
        select(Task)
        .where(Task.source_kind == TaskSource.PLAN_STEP)
        .where(Task.source_id == world.a.step_id)
    ).scalar_one()
    auth.login(world.a.case_manager_email)
    response = client.post(
        f"/admin/tasks/edit/?id={task.id}",
        data={
            "case": world.a.case_id,
            "assignee": world.a.lead_id,
            "kind": task.kind,
            "due_on": task.due_on.isoformat(),
            "row_version": task.version,
        },
    )
    assert response.status_code == 200
    assert "Case Manager*in des Falls" in response.get_data(as_text=True)


def test_an_automatic_task_is_not_marked_done_by_editing_it(client, auth, session, world):
    task = session.execute(
        select(Task)
        .where(Task.source_kind == TaskSource.PLAN_STEP)
        .where(Task.source_id == world.a.step_id)
    ).scalar_one()
    auth.login(world.a.case_manager_email)
    response = client.post(
        f"/admin/tasks/edit/?id={task.id}",
        data={
            "case": world.a.case_id,
            "assignee": world.a.case_manager_id,
            "kind": task.kind,
            "due_on": task.due_on.isoformat(),
            "done_on": TODAY.isoformat(),
            "row_version": task.version,
        },
    )
    assert response.status_code == 200
    assert "wenn ihre Quelle es ist" in response.get_data(as_text=True)
    session.refresh(task)
    assert (task.status, task.done_on) == (TaskStatus.OPEN, None)


def test_no_task_for_a_closed_case(client, auth, session, world):
    case = session.get(Case, world.b.case_id)
    case.phase, case.closed_on, case.closure_reason = "closed", TODAY, "other"
    session.execute(PlanGoal.__table__.update().values(status="achieved"))
    session.commit()
    auth.login(world.b.case_manager_email)
    response = client.post(
        "/admin/tasks/new/",
        data={
            "case": world.b.case_id,
            "assignee": world.b.case_manager_id,
            "kind": "other",
            "due_on": TODAY.isoformat(),
        },
    )
    assert "abgeschlossenen Fall" in response.get_data(as_text=True)


def test_the_review_date_of_an_agreed_plan_is_on_the_task_list(client, auth, session, world):
    plan = session.get(IntegrationPlan, world.a.plan_id)
    auth.login(world.a.case_manager_email)
    page = client.get("/admin/tasks/?flt0_status_equals=open").get_data(as_text=True)
    assert "Planüberprüfung" in page
    assert plan.review_on.strftime("%d.%m.%Y") in page


# --- start page, team view, hand-over ----------------------------------------------------


def test_the_start_page_shows_my_tasks(client, auth, session, world):
    lead = user(session, world.a.lead_email)
    leads_task = make_task(session, lead, note="Teamsitzung vorbereiten")
    session.get(Task, world.a.task_id).status = TaskStatus.OPEN
    session.commit()
    auth.login(world.a.case_manager_email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Meine Aufgaben" in page
    assert "Überfällig" in page and "Nächste 14 Tage" in page
    assert "Termin bei der Pflegeschule vereinbaren" in page
    assert "Team-Übersicht" not in page  # leads only
    link = re.search(r'href="(/admin/tasks/\?[^"]+)"', page)
    assert link
    listing = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f"/admin/tasks/details/?id={world.a.task_id}&" in listing
    assert f"/admin/tasks/details/?id={leads_task.id}&" not in listing


def test_the_start_page_of_the_coordination_has_no_tasks(client, auth, world):
    auth.login(world.coordinator_email)
    assert "Meine Aufgaben" not in client.get("/admin/").get_data(as_text=True)


def test_the_team_view_lists_the_own_team(client, auth, world):
    auth.login(world.a.lead_email)
    page = client.get("/admin/team/").get_data(as_text=True)
    assert "Case Manager*in AWO" in page
    assert "CARITAS" not in page
    assert f"/admin/team/reassign/?user_id={world.a.case_manager_id}" in page


def test_deactivating_a_case_manager_asks_to_whom_their_work_goes(
    client: FlaskClient, auth: AuthActions, session: Session, world: World
) -> None:
    auth.login(world.a.lead_email)
    leaving = user(session, world.a.case_manager_email)
    response = client.post(
        f"/admin/users/edit/?id={leaving.id}",
        data={
            "full_name": leaving.full_name,
            "email": leaving.email,
            "role": "case_manager",
            "new_password": "",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/team/reassign/?user_id={leaving.id}")
    asked = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 offene Fälle und 5 offene Aufgaben" in asked

    handed = client.post(
        f"/admin/team/reassign/?user_id={leaving.id}", data={"successor": world.a.lead_id}
    )
    assert handed.status_code == 302
    session.expire_all()
    assert session.get(Case, world.a.case_id).case_manager_id == world.a.lead_id
    open_tasks = session.scalars(
        select(Task.assignee_id).where(
            Task.organisation_id == world.a.organisation_id, Task.status == TaskStatus.OPEN
        )
    ).all()
    assert set(open_tasks) == {world.a.lead_id}


def test_work_is_not_handed_to_a_stranger(client, auth, session, world):
    auth.login(world.a.lead_email)
    client.post(
        f"/admin/team/reassign/?user_id={world.a.case_manager_id}",
        data={"successor": world.b.lead_id},
    )
    session.expire_all()
    assert session.get(Case, world.a.case_id).case_manager_id == world.a.case_manager_id


def test_the_plan_page_offers_the_pdf_a_new_version_and_goals(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.get(f"/admin/plans/details/?id={world.a.plan_id}")
    page = response.get_data(as_text=True)
    assert "Plan als PDF" in page
    assert "Neue Fassung anlegen" in page
    assert "Ziel hinzufügen" in page


# --- bounded queries at 10,000 tasks per organisation ------------------------------------


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


def add_tasks(session: Session, world: World, per_organisation: int) -> None:
    """Open, done and cancelled tasks, due from 200 days ago to 200 days ahead, half on cases."""
    for org in (world.a, world.b):
        rows = [
            {
                "organisation_id": org.organisation_id,
                "case_id": org.case_id if number % 2 else None,
                "assignee_id": org.case_manager_id if number % 3 else org.lead_id,
                "kind": list(TaskKind)[number % len(TaskKind)].value,
                "due_on": TODAY + dt.timedelta(days=number % 400 - 200),
                "status": (TaskStatus.OPEN, TaskStatus.OPEN, TaskStatus.DONE, "cancelled")[
                    number % 4
                ],
                "done_on": TODAY if number % 4 == 2 else None,
                "note": f"Aufgabe {number}",
                "version": 1,
            }
            for number in range(per_organisation)
        ]
        session.execute(insert(Task), rows)
    session.commit()


PAGES = ("/admin/", "/admin/tasks/", "/admin/tasks/?flt0_status_equals=open&page=3", "/admin/team/")


def measure(
    manager: FlaskClient, lead: FlaskClient, connection: Connection
) -> dict[str, tuple[int, float]]:
    figures = {}
    for page in PAGES:
        client = lead if page.startswith("/admin/team/") else manager
        client.get(page)  # warm
        with counted_queries(connection) as statements:
            started = time.perf_counter()
            response = client.get(page)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, page
        figures[page] = (len(statements), elapsed)
    return figures


def test_start_page_and_task_list_take_bounded_queries_at_10000_tasks(  # noqa: PLR0917
    client, auth, session, connection, world, capsys
):
    # The case manager has tasks overdue, today and ahead already, so every list is read.
    auth.login(world.a.case_manager_email)
    lead = auth.browser(world.a.lead_email)
    add_tasks(session, world, 400)  # page 3 has rows: an empty page skips reading them
    few = measure(client, lead, connection)
    add_tasks(session, world, 10_000 - 400)
    many = measure(client, lead, connection)

    for page in PAGES:
        assert many[page][0] == few[page][0], page
        assert many[page][0] <= 20, page
    with capsys.disabled():
        print(  # the figure for the report
            "\ntasks at 10,000 per organisation (queries, seconds): "
            + ", ".join(
                f"{page} {count} q {seconds:.3f} s" for page, (count, seconds) in many.items()
            )
        )


@pytest.fixture(autouse=True)
def _no_stray_tasks(session: Session, world: World) -> None:
    """Every organisation starts with its five tasks (one manual, four automatic)."""
    counts = {
        org.organisation_id: len(
            session.scalars(
                select(Task.id).where(Task.organisation_id == org.organisation_id)
            ).all()
        )
        for org in (world.a, world.b)
    }
    assert set(counts.values()) == {5}
