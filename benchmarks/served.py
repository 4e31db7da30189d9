"""The statistics page served as deployed: ``python -m benchmarks.served --database-url URL``.

Starts ``gunicorn -c gunicorn.conf.py wsgi:app`` with one sync worker on an already seeded
database, logs in over HTTP as the coordination and as AWO's team lead, and times
``/admin/statistics/`` from this process's request to the last byte of the answer, after
each of the writes of ``benchmarks.run`` (made here, in a process of its own as another
worker would make them, and committed before the request), then with nothing written.
What the in-process figures of ``benchmarks.run`` leave out is in these: HTTP, the
worker's own process and its hooks (the collection after each response).

    python -m benchmarks.served --database-url sqlite:////tmp/bench.db
    python -m benchmarks run --reuse --database-url sqlite:////tmp/bench.db --served
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from app.extensions import db
from app.factory import create_app
from seeds.demo import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
START_SECONDS = 60


class Visitor:
    """One logged-in user's requests, one connection each (a sync worker closes it)."""

    def __init__(self, port: int, email: str) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        token = CSRF_TOKEN.search(self.request("GET", "/login")[1].decode())
        if token is None:
            raise RuntimeError("no csrf_token on /login")
        form = {"csrf_token": token.group(1), "email": email, "password": DEFAULT_PASSWORD}
        status, _body = self.request("POST", "/login", urlencode(form))
        if status != 302:
            raise RuntimeError(f"login as {email}: {status}")

    def request(self, method: str, path: str, form: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=form, headers=headers)
            response = connection.getresponse()
            body = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, body
        finally:
            connection.close()

    def timed(self, path: str) -> float:
        started = time.perf_counter()
        status, _body = self.request("GET", path)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
        return elapsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn on ``port``, once it answers there (its output in ``log``)."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark",
        "KIM_BIND": f"127.0.0.1:{port}",
        "KIM_WORKERS": "1",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn did not start; its output: {log}")


def served_statistics(
    url: str,
    requests: int,
    users: Mapping[str, str],
    writes: Mapping[str, Callable[[Any], None]],
    percentile: Callable[[list[float], float], float],
) -> None:
    """Print p50/p95 of the served statistics page per user (role: email) after each
    write of ``writes`` (name: change of a session) and with nothing written."""
    writer = create_app({"SECRET_KEY": "benchmark", "SQLALCHEMY_DATABASE_URI": url})
    port = free_port()  # free when asked; another program could take it before gunicorn
    log = Path(tempfile.gettempdir()) / f"kim-served-{port}.log"
    server = serve(url, port, log)
    try:
        print("\n| statistics served (gunicorn, one sync worker) | p50 ms | p95 ms |")
        print("| --- | ---: | ---: |")
        for role, email in users.items():
            visitor = Visitor(port, email)
            visitor.timed("/admin/statistics/")  # warm
            for name, change in {**writes, "nothing written": None}.items():
                timings = []
                for _number in range(requests):
                    if change is not None:
                        with writer.app_context():
                            change(db.session)
                            db.session.commit()
                    timings.append(visitor.timed("/admin/statistics/"))
                after = name if change is None else f"after {name}"
                print(
                    f"| {role}, {after} | {statistics.median(timings) * 1000:,.0f} | "
                    f"{percentile(timings, 0.95) * 1000:,.0f} |",
                    flush=True,
                )
        log.unlink()  # kept only when something failed
    finally:
        server.terminate()
        server.wait(timeout=30)
        with writer.app_context():
            db.engine.dispose()


def main() -> None:
    # benchmarks.run imports this module: its writes and users are taken when it runs.
    from benchmarks.run import COORDINATOR, LEAD, WRITES, percentile  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an already seeded database")
    parser.add_argument("--requests", type=int, default=7, help="timed GETs per page")
    options = parser.parse_args()
    users = {"coordination": COORDINATOR, "team lead AWO": LEAD}
    served_statistics(options.database_url, options.requests, users, WRITES, percentile)


if __name__ == "__main__":
    main()
