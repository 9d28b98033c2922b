"""The shipped gunicorn configuration: several web processes on one machine, used by
`hotline serve --production` (or `gunicorn -c python:hotline.gunicorn_conf 'hotline.web:web_app()'`).

Read from the environment: HOTLINE_BIND (127.0.0.1:8000), HOTLINE_WEB_PROCESSES (2 per core, at most 8),
HOTLINE_WEB_THREADS (4). The timer scheduler is not in these processes: run `hotline worker` beside them.

/metrics under several processes: PROMETHEUS_MULTIPROC_DIR (default $HOTLINE_HOME/metrics) is set here,
in the master, before any worker imports prometheus_client, emptied at start, and a worker's files are
marked dead when it exits.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

_home = Path(os.environ.get("HOTLINE_HOME", Path.cwd() / "instance")).resolve()
_metrics = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_home / "metrics")))

bind = os.environ.get("HOTLINE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HOTLINE_WEB_PROCESSES", min(2 * (os.cpu_count() or 1), 8)))
worker_class = "gthread"
threads = int(os.environ.get("HOTLINE_WEB_THREADS", "4"))
# The heartbeat file a worker touches on every turn of its loop, in memory where the system has /dev/shm:
# on a disk-backed temporary folder the write can wait behind the disk (gunicorn's documentation,
# "Blocking OS calls in heartbeat").
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# A request waits at most the database's lock timeout (10 s) and a script's time limit; far below this.
timeout = 60
graceful_timeout = 30
# Our own request log (one JSON object per line, hotline.logs) says what gunicorn's access log would.
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "hotline.logs.JsonLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


def on_starting(_server: Any) -> None:
    """Counts left by processes of an earlier run would be added to this run's."""
    shutil.rmtree(_metrics, ignore_errors=True)
    _metrics.mkdir(parents=True, exist_ok=True)


def child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
