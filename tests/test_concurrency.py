"""Several people at once: no 500, no lost record, no duplicate file number, one event each.

Two people editing the same client, case or referral (the second is refused, the first
change kept) is covered in tests/test_forms.py; here only its audit trail is checked.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Case, Client
from tests.factories import OPENED_ON, World
from tests.lifecycle_helpers import client_form, count_rows, events

if TYPE_CHECKING:
    from tests.conftest import AuthActions

# Each browser is a thread with connections of its own: real commits.
pytestmark = pytest.mark.commits
THREADS_PER_ORG = 3
CLIENTS_PER_THREAD = 4


def row_version(body: str) -> str:
    tag = re.search(r'<input[^>]*id="row_version"[^>]*>', body)
    assert tag is not None
    value = re.search(r'value="(\d+)"', tag.group(0))
    assert value is not None
    return value.group(1)


class Worker(threading.Thread):
    """One person: creates clients, then edits each of them once."""

    def __init__(self, auth: AuthActions, email: str, tag: str) -> None:
        super().__init__(daemon=True)
        self.auth = auth
        self.email = email
        self.tag = tag
        self.statuses: list[tuple[str, int]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            client = self.auth.browser(self.email)
            created_ids = []
            for number in range(CLIENTS_PER_THREAD):
                name = f"{self.tag}-{number}"
                response = client.post("/admin/clients/new/", data=client_form(last_name=name))
                self.statuses.append(("create", response.status_code))
                created_ids.append(name)
            for name in created_ids:
                listing = client.get(f"/admin/clients/?search={name}").get_data(as_text=True)
                found = re.search(r"/admin/clients/edit/\?id=(\d+)", listing)
                assert found is not None, name
                url = f"/admin/clients/edit/?id={found.group(1)}"
                version = row_version(client.get(url).get_data(as_text=True))
                response = client.post(
                    url, data=client_form(last_name=name, household_size="5", row_version=version)
                )
                self.statuses.append(("edit", response.status_code))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error


def test_parallel_creates_and_edits_lose_nothing_and_number_uniquely(
    auth: AuthActions, engine: Engine, world: World
) -> None:
    clients_before = count_rows(engine, Client)
    workers = [
        Worker(auth, email, f"T{org.slug}{index}")
        for org in (world.a, world.b)
        for index, email in enumerate(
            [org.case_manager_email, org.lead_email, org.case_manager_email][:THREADS_PER_ORG]
        )
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)

    assert [worker.error for worker in workers] == [None] * len(workers)
    statuses = Counter(status for worker in workers for _kind, status in worker.statuses)
    assert statuses == {302: len(workers) * CLIENTS_PER_THREAD * 2}
    created = len(workers) * CLIENTS_PER_THREAD
    assert count_rows(engine, Client) == clients_before + created
    with Session(engine) as session:
        rows = session.execute(
            select(Client.organisation_id, Client.file_number, Client.household_size).where(
                Client.last_name.like("T%")
            )
        ).all()
    assert len(rows) == created
    assert len({(org, number) for org, number, _size in rows}) == created
    assert {size for *_rest, size in rows} == {5}
    actions = Counter((event.action, event.record_type) for event in events(engine))
    # Each new client also opens its residence period and its consent to the processing.
    assert actions == {
        ("create", "Client"): created,
        ("update", "Client"): created,
        ("create", "StatusPeriod"): created,
        ("create", "Consent"): created,
    }


def test_stale_edit_of_a_case_leaves_exactly_one_update_event(
    auth: AuthActions, engine: Engine, world: World
) -> None:
    first = auth.browser(world.a.case_manager_email)
    second = auth.browser(world.a.lead_email)
    url = f"/admin/cases/edit/?id={world.a.case_id}"
    form: dict[str, Any] = {
        "client": str(world.a.client_id),
        "case_manager": str(world.a.case_manager_id),
        "opened_on": OPENED_ON.isoformat(),
        "row_version": "1",
    }

    assert first.post(url, data={**form, "phase": "assessment"}).status_code == 302
    refused = second.post(url, data={**form, "phase": "planning"})

    assert refused.status_code == 200
    assert count_rows(engine, Case, Case.phase == "assessment") == 1
    assert len(events(engine)) == 1
    [event] = events(engine)
    assert event.actor_user_id == world.a.case_manager_id
