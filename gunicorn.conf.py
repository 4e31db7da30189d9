"""Gunicorn settings for KIM Admin, read from the environment.

Start with ``gunicorn -c gunicorn.conf.py wsgi:app``; every worker needs the same
``SECRET_KEY`` and ``DATABASE_URL`` (README, "Betrieb / Deployment").

- ``KIM_BIND``: address to listen on (default ``127.0.0.1:8000``: only the reverse proxy
  on the same host reaches it).
- ``KIM_WORKERS``: worker processes (default 2 × cores + 1, at most ``MAX_DEFAULT_WORKERS``).
- ``KIM_TIMEOUT``: seconds one request (a whole CSV download, too) may take (default 120).
- ``KIM_ACCESS_LOG=1``: access log to stdout (default off; the error log goes to stderr).
- ``KIM_LOG_LEVEL``: gunicorn's log level (default ``info``).
- ``KIM_CONTROL_SOCKET``: path of gunicorn's control socket for ``gunicornc`` (gunicorn 25.1
  and later; default none: two instances of one user would share its default path).

Each worker freezes the loaded app and its caches for the garbage collector and collects
after every response (``post_worker_init``, ``post_request``): its memory stays flat.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from pathlib import Path
from typing import Any

# Each worker has an engine with SQLAlchemy's default pool (5 + 10 overflow): 6 workers stay
# within PostgreSQL's default max_connections of 100 even if every pool were full.
MAX_DEFAULT_WORKERS = 6

wsgi_app = "wsgi:app"
bind = os.environ.get("KIM_BIND", "127.0.0.1:8000")
default_workers = min(2 * multiprocessing.cpu_count() + 1, MAX_DEFAULT_WORKERS)
workers = int(os.environ.get("KIM_WORKERS", str(default_workers)))
# Sync workers: one request at a time per process, the model the app's sessions and the
# SQLite busy timeout are written for; the reverse proxy buffers slow clients.
worker_class = "sync"
timeout = int(os.environ.get("KIM_TIMEOUT", "120"))
graceful_timeout = 30
# No preloading: each worker imports the app itself and so opens its own engine and pool;
# connections inherited through fork would be shared by several processes.
preload_app = False

# Which X-Forwarded-* headers count is decided in one place, by the app: KIM_TRUSTED_PROXIES
# (Werkzeug's ProxyFix, app/security.py). Gunicorn itself trusts no peer's proxy headers.
forwarded_allow_ips = ""

accesslog = "-" if os.environ.get("KIM_ACCESS_LOG") == "1" else None
errorlog = "-"
loglevel = os.environ.get("KIM_LOG_LEVEL", "info")
proc_name = "kim-admin"

control_socket_path = os.environ.get("KIM_CONTROL_SOCKET")
if control_socket_path:
    control_socket = control_socket_path
control_socket_disable = not control_socket_path

# Heartbeat files in memory, not on a disk that may stall (containers mount /tmp on overlay).
if Path("/dev/shm").is_dir():  # noqa: S108 - a directory of the workers' own, not a temp file
    worker_tmp_dir = "/dev/shm"  # noqa: S108


# Requests after which a worker freezes what it keeps (``post_request``): its caches of
# compiled SQL, templates and menus are built by then.
WARM_UP_REQUESTS = 200


def post_worker_init(worker: object) -> None:
    """Freeze what the worker holds once the app is loaded (modules, mappers, views): the
    collector no longer passes over the ~155,000 objects of the app."""
    gc.collect()  # the import's own garbage, before it would be frozen for good
    gc.freeze()


def post_request(worker: Any, req: object, environ: object, resp: object) -> None:
    """Free the page's garbage now, once its response is written (the client has every
    byte; gunicorn closes the connection right after).

    A rendered page leaves reference cycles (Jinja's macros hold their template's context,
    and with it the page's rows) that only a full collection frees, and CPython starts one
    only once the survivors since the last are a quarter of the long-lived objects: the
    garbage of dozens of pages piles up first, new pages take new memory meanwhile, and the
    worker grows by 9 MiB (91 instead of 82 MiB after 480 list pages).

    During its first ``WARM_UP_REQUESTS`` a sync worker also freezes what survives: the
    caches the pages built (and what gunicorn holds of the request). Later collections then
    pass over little more than a page's own objects (0.01 ms instead of 2 ms for the
    ~14,000 cached objects). An object frozen then and dropped later in a cycle of
    references is never freed: at most what those requests left alive, once. A threaded
    worker (``--threads``) only collects: a freeze would keep the pages its other threads
    are rendering.
    """
    gc.collect()
    if worker.nr <= WARM_UP_REQUESTS and worker.cfg.worker_class_str == "sync":
        gc.freeze()
