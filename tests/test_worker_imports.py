"""What a web worker imports and keeps: what only the command line or the other database
needs stays unloaded, and a page's garbage does not wait for dozens of pages (each of these
is megabytes in every worker)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The demo seed is a ``flask.commands`` entry point (app/seed_cli.py).
CLI_ONLY = ("alembic", "flask_migrate", "mako", "faker", "seeds")
# PostgreSQL's driver; SQLAlchemy's dialect module is loaded anyway, to read the
# ``postgresql_where`` of the partial indexes.
POSTGRESQL_ONLY = ("psycopg",)


def test_the_wsgi_app_on_sqlite_loads_nothing_of_the_command_line_nor_postgresqls_driver(
    tmp_path: Path,
) -> None:
    unwanted = CLI_ONLY + POSTGRESQL_ONLY
    script = (
        f"import sys, wsgi; print(','.join(name for name in {unwanted!r} if name in sys.modules))"
    )
    environment = {
        **os.environ,
        "KIM_DEV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "PYTHONPATH": str(ROOT),
    }
    loaded = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == ""


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


# Run in a fresh interpreter: the hook freezes the whole process it runs in.
PAGES_OF_CYCLIC_GARBAGE = """
import gc, runpy, sys, weakref
import wsgi
settings = runpy.run_path("gunicorn.conf.py") if sys.argv[1] == "hooks" else {}
settings.get("post_worker_init", lambda worker: gc.collect())(None)

class Row:
    pass

rows = weakref.WeakSet()
for _page in range(12):
    page = [Row() for _ in range(1_000)]
    for row in page:
        row.page = page  # a cycle, as a rendered template's context and its macros make
    rows.update(page)
    gc.collect(1)  # the page lives through the young collections while it is rendered
    del page, row
    settings.get("post_request", lambda *request: None)(None, None, None, None)
print(len(rows))
"""


def rows_left_after_twelve_pages(tmp_path: Path, worker: str) -> int:
    environment = {
        **os.environ,
        "KIM_DEV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "PYTHONPATH": str(ROOT),
    }
    left = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", PAGES_OF_CYCLIC_GARBAGE, worker],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(left)


def test_a_gunicorn_worker_frees_a_pages_garbage_once_it_is_sent(tmp_path: Path) -> None:
    assert rows_left_after_twelve_pages(tmp_path, "hooks") == 0
    # Without the hooks, the loaded app's objects hold off the full collection.
    assert rows_left_after_twelve_pages(tmp_path, "no hooks") == 12_000
