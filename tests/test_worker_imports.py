"""What a web worker imports: the libraries only the command line needs stay unloaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI_ONLY = ("alembic", "flask_migrate", "mako", "faker")


def test_the_wsgi_app_loads_no_library_of_the_command_line(tmp_path: Path) -> None:
    script = (
        f"import sys, wsgi; print(','.join(name for name in {CLI_ONLY!r} if name in sys.modules))"
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
