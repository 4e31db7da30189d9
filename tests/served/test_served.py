"""The app as deployed: gunicorn workers over one database, driven over real HTTP.

Issue 12: CSV downloads under gunicorn left PostgreSQL connections "idle in transaction"
until the pool ran dry, and a connection lost at teardown escaped as a bare 500. No test
in the rest of the suite serves the app; these do (``tests/served/conftest.py``).
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import AbstractContextManager, nullcontext

import pytest
from sqlalchemy import text

from tests.served.conftest import ServedApp
from tests.served.load import (
    ConnectionSampler,
    Outcome,
    Visitor,
    all_outcomes,
    idle_in_transaction,
    mixed_steps,
    run_threads,
    settled_idle_in_transaction,
)

pytestmark = pytest.mark.served

# Users of three organisations, two browsers (threads) each.
USERS = ("cm.awo@example.org", "lead.caritas@example.org", "cm.diakonie@example.org")
THREADS_PER_USER = 2
STEPS_PER_THREAD = 29  # with signing in and the first lists, about 200 requests in all
# The fault: every backend of the served database ended, a few times in a row, under load.
WARM_UP_SECONDS = 1.5
TERMINATION_ROUNDS = 3
SECONDS_BETWEEN_ROUNDS = 0.4
RECOVERY_SECONDS = 3.0
LOAD_AFTER_RECOVERY_SECONDS = 3.0
TERMINATE_BACKENDS = text(
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = :name AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


def crowd(served_app: ServedApp, seed: str) -> list[Visitor]:
    return [
        Visitor(
            f"{email.split('@')[0]}#{slot}",
            email,
            slot,
            served_app.browser(),
            random.Random(f"{seed}/{email}/{slot}"),  # noqa: S311 - a reproducible mix
        )
        for email in USERS
        for slot in range(THREADS_PER_USER)
    ]


def listed(outcomes: list[Outcome], limit: int = 15) -> str:
    return "\n".join(str(outcome) for outcome in outcomes[:limit])


def server_log_excerpt(served_app: ServedApp, offset: int, limit: int = 6000) -> str:
    lines = served_app.log_since(offset).splitlines()
    problems = [line for line in lines if '" 200 ' not in line and '" 302 ' not in line]
    return "\n".join(problems)[-limit:]


def test_mixed_load_of_three_organisations_answers_without_server_errors(
    served_app: ServedApp, figures: list[str]
) -> None:
    """~200 requests from 6 threads: lists, deep pages, searches, details, CSV, saves.

    On SQLite as well, with no 503 allowed: the few writes (logins, audit events of the
    downloads, saves) wait for each other within the busy timeout, far longer than any of
    them takes here.
    """
    database = served_app.database
    log_offset = served_app.log_offset()
    visitors = crowd(served_app, "mixed")

    def browse(visitor: Visitor) -> None:
        visitor.sign_in()
        visitor.discover()
        for step in mixed_steps(visitor, STEPS_PER_THREAD):
            visitor.run(step)

    admin = database.admin
    sampler: AbstractContextManager[ConnectionSampler | None] = nullcontext()
    if admin is not None:
        sampler = ConnectionSampler(admin, database.name)
    with sampler as sampling:
        thread_failures = run_threads(visitors, browse)
    idle_after = None
    if admin is not None:
        idle_after = settled_idle_in_transaction(admin, database.name)

    outcomes = all_outcomes(visitors)
    server_errors = [outcome for outcome in outcomes if outcome.server_error]
    unexpected = [outcome for outcome in outcomes if not outcome.succeeded]
    downloads = [outcome for outcome in outcomes if outcome.kind == "export"]
    abandoned = [outcome for outcome in outcomes if outcome.kind == "export abandoned"]
    saves = [outcome for outcome in outcomes if outcome.kind == "save" and outcome.succeeded]
    figure = (
        f"{database.dialect}, mixed load: {len(outcomes)} requests from {len(visitors)} threads "
        f"({len(USERS)} organisations) to {served_app.workers} gunicorn workers, "
        f"{len(downloads)} CSV downloads read fully, {len(abandoned)} abandoned after the "
        f"first chunk, {len(saves)} edits saved; {len(server_errors)} 5xx, "
        f"{len(unexpected)} answers other than expected"
    )
    if sampling is not None:
        figure += (
            f"; idle in transaction after the run: {idle_after}; peak connections "
            f"{sampling.peak_connections} (limit {served_app.connection_limit()} = "
            f"workers × (pool_size + max_overflow); {sampling.samples} samples; idle in a "
            f"transaction inside running requests: at most {sampling.peak_idle_in_transaction})"
        )
    figures.append(figure)
    print(figure)  # the figures for the issue, shown with -s

    assert not thread_failures, thread_failures
    assert not server_errors, (
        f"{listed(server_errors)}\n--- gunicorn log:\n{server_log_excerpt(served_app, log_offset)}"
    )
    assert not unexpected, listed(unexpected)
    assert len(outcomes) >= 190
    assert saves, "no edit was saved"
    seen_by = {visitor.email: set(visitor.client_ids) for visitor in visitors}
    for email in USERS:
        others = set().union(*(ids for other, ids in seen_by.items() if other != email))
        assert not seen_by[email] & others, f"{email} sees another organisation's clients"
    log = served_app.log_since(log_offset)
    assert "Traceback" not in log, server_log_excerpt(served_app, log_offset)
    if admin is not None and sampling is not None:
        assert idle_after == 0, idle_in_transaction(admin, database.name)
        assert sampling.samples > 0
        assert sampling.peak_connections <= served_app.connection_limit()


def test_backends_ended_under_load_answer_the_german_503_then_recover(
    served_app: ServedApp, figures: list[str]
) -> None:
    """Every app connection ended by PostgreSQL while requests run: 503 or success, then back."""
    database = served_app.database
    if database.admin is None:
        pytest.skip("PostgreSQL only: a SQLite file has no server connections to end")
    admin = database.admin
    log_offset = served_app.log_offset()
    visitors = crowd(served_app, "fault")
    for visitor in visitors:
        visitor.sign_in()
        visitor.discover()
    stop = threading.Event()

    def keep_browsing(visitor: Visitor) -> None:
        while not stop.is_set():
            for step in mixed_steps(visitor, 16):
                if stop.is_set():
                    return
                visitor.run(step)

    terminations: list[tuple[float, int]] = []

    def fault() -> None:
        try:
            time.sleep(WARM_UP_SECONDS)
            for _round in range(TERMINATION_ROUNDS):
                with admin.connect() as connection:
                    ended = connection.execute(TERMINATE_BACKENDS, {"name": database.name})
                    terminations.append((time.monotonic(), int(ended.scalar_one())))
                time.sleep(SECONDS_BETWEEN_ROUNDS)
            time.sleep(RECOVERY_SECONDS + LOAD_AFTER_RECOVERY_SECONDS)
        finally:
            stop.set()

    fault_thread = threading.Thread(target=fault)
    fault_thread.start()
    thread_failures = run_threads(visitors, keep_browsing)
    fault_thread.join()
    idle_after = settled_idle_in_transaction(admin, database.name)

    assert terminations, "the fault never ran"
    fault_started, fault_ended = terminations[0][0], terminations[-1][0]
    outcomes = [outcome for outcome in all_outcomes(visitors) if outcome.ended >= fault_started]

    def during_fault(outcome: Outcome) -> bool:
        return outcome.started <= fault_ended + SECONDS_BETWEEN_ROUNDS

    refused = [outcome for outcome in outcomes if outcome.german_503]
    truncated = [o for o in outcomes if o.truncated_download and during_fault(o)]
    wrong = [
        outcome
        for outcome in outcomes
        if not (outcome.succeeded or outcome.german_503 or outcome in truncated)
    ]
    after_recovery = [o for o in outcomes if o.started >= fault_ended + RECOVERY_SECONDS]
    failed_after_recovery = [outcome for outcome in after_recovery if not outcome.succeeded]
    failures = [outcome for outcome in outcomes if not outcome.succeeded]
    back_after = max((o.ended - fault_ended for o in failures), default=0.0)
    back_after = max(back_after, 0.0)  # 0: no request failed after the last termination
    server_errors_outside = [o for o in outcomes if o.server_error and not during_fault(o)]
    log = served_app.log_since(log_offset)
    figure = (
        f"{database.dialect}, backends ended under load: {sum(n for _t, n in terminations)} "
        f"backends ended in {len(terminations)} rounds; {len(outcomes)} requests from the "
        f"first termination on: {len(refused)} German 503 pages, {len(truncated)} CSV "
        f"downloads cut off, {len(wrong)} other failures, "
        f"{len(server_errors_outside)} 5xx outside the fault; the last failure ended "
        f"{back_after:.1f} s after the last termination; {len(after_recovery)} requests from "
        f"{RECOVERY_SECONDS:.0f} s after it all succeeded: {not failed_after_recovery}; "
        f"idle in transaction afterwards: {idle_after}; 500 handler in the log: "
        f"{log.count('unexpected error')}"
    )
    figures.append(figure)
    print(figure)  # the figures for the issue, shown with -s

    assert not thread_failures, thread_failures
    assert sum(n for _t, n in terminations) > 0, "no backend of the app was ended"
    assert not wrong, (
        f"{listed(wrong)}\n--- gunicorn log:\n{server_log_excerpt(served_app, log_offset)}"
    )
    assert not server_errors_outside, listed(server_errors_outside)
    assert len(after_recovery) > 20
    assert not failed_after_recovery, listed(failed_after_recovery)
    assert "unexpected error" not in log, server_log_excerpt(served_app, log_offset)
    assert idle_after == 0, idle_in_transaction(admin, database.name)
