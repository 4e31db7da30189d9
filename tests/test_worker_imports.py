"""What a web worker imports and keeps: what only the command line or the other database
needs stays unloaded, and a page's garbage does not wait for dozens of pages (each of these
is megabytes in every worker)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The demo seed is a ``flask.commands`` entry point (app/seed_cli.py).
CLI_ONLY = ("alembic", "flask_migrate", "mako", "faker", "seeds")
# PostgreSQL's driver; SQLAlchemy's dialect module is loaded anyway, to read the
# ``postgresql_where`` of the partial indexes.
POSTGRESQL_ONLY = ("psycopg",)


def run_as_worker(tmp_path: Path, script: str, *arguments: str) -> str:
    """What ``script`` prints, run in a fresh interpreter that imports the app as a web
    worker does, on a SQLite file of its own."""
    environment = {
        **os.environ,
        "KIM_DEV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", script, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_wsgi_app_on_sqlite_loads_nothing_of_the_command_line_nor_postgresqls_driver(
    tmp_path: Path,
) -> None:
    unwanted = CLI_ONLY + POSTGRESQL_ONLY
    script = (
        f"import sys, wsgi; print(','.join(name for name in {unwanted!r} if name in sys.modules))"
    )
    assert run_as_worker(tmp_path, script).strip() == ""


def test_the_flask_command_line_has_the_seed_of_the_installed_package(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "KIM_DEV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    shown = subprocess.run(  # noqa: S603 - the venv's own flask, fixed arguments
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "seed", "demo", "--help"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--clients" in shown


# Run in a fresh interpreter: the hooks freeze the whole process they run in. Twelve
# requests of a worker of the class in the second argument, numbered from the first (0: no
# hooks); each renders a page of rows in a cycle and caches one thing.
TWELVE_PAGES = """
import gc, runpy, sys, types, weakref
import wsgi
first = int(sys.argv[1])
settings = runpy.run_path("gunicorn.conf.py") if first else {}
settings.get("post_worker_init", lambda worker: gc.collect())(None)
worker = types.SimpleNamespace(nr=0, cfg=types.SimpleNamespace(worker_class_str=sys.argv[2]))

class Row:
    pass

class Cached:
    pass

rows = weakref.WeakSet()
cache = []
for number in range(first, first + 12):
    worker.nr = number
    page = [Row() for _ in range(1_000)]
    for row in page:
        row.page = page  # a cycle, as a rendered template's context and its macros make
    rows.update(page)
    cache.append(Cached())
    gc.collect(1)  # the page lives through the young collections while it is rendered
    del page, row
    settings.get("post_request", lambda *request: None)(worker, None, None, None)
tracked = {id(found) for found in gc.get_objects()}
print(len(rows), sum(id(kept) not in tracked for kept in cache))
"""


def after_twelve_pages(
    tmp_path: Path, first_request: int, worker_class: str = "sync"
) -> tuple[int, int]:
    """The rows left of the twelve pages, and the cached things frozen."""
    printed = run_as_worker(tmp_path, TWELVE_PAGES, str(first_request), worker_class)
    left, frozen = printed.split()
    return int(left), int(frozen)


def test_a_gunicorn_worker_frees_a_pages_garbage_once_it_is_sent(tmp_path: Path) -> None:
    warm_up = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["WARM_UP_REQUESTS"]
    # Its first requests: the garbage freed, what they cached frozen.
    assert after_twelve_pages(tmp_path, 1) == (0, 12)
    # Later ones: the garbage freed, nothing more frozen.
    assert after_twelve_pages(tmp_path, warm_up + 1) == (0, 0)
    # A threaded worker's first requests: freed, but nothing frozen (other threads' pages).
    assert after_twelve_pages(tmp_path, 1, "gthread") == (0, 0)
    # Without the hooks, the loaded app's objects hold off the full collection.
    assert after_twelve_pages(tmp_path, 0) == (12_000, 0)
