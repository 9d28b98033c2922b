"""A production run (issue 17): `hotline serve --production` (gunicorn, several web processes, the shipped
configuration) and a `hotline worker` on the test database — PostgreSQL when configured. /healthz turns
healthy once the worker makes its round, /metrics adds up the request counts of every web process, and
the log is one JSON object per line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers import PROJECT_ROOT

HOTLINE = [sys.executable, "-c", "from hotline.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def environment(database_url: str, sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOTLINE_HOME=str(tmp_path / "home"),
        HOTLINE_DATABASE_URL=database_url,
        HOTLINE_SECRET_KEY="a-long-secret-shared-by-every-process-0123456789",
        HOTLINE_LOG_FORMAT="json",
        HOTLINE_SCRIPT_PROCESSES="1",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@pytest.fixture
def running(environment: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """(base URL, web log, worker log) of two gunicorn web processes and one timer worker."""
    port = _free_port()
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    with web_log.open("wb") as web_out, worker_log.open("wb") as worker_out:
        web = subprocess.Popen(
            [*HOTLINE, "serve", "--production", "--workers", "2", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=web_out,
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(
            [*HOTLINE, "worker", "--interval", "1"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=worker_out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", web_log, worker_log
        finally:
            _stop(web)
            _stop(worker)


def _wait_healthy(base: str, web_log: Path) -> dict[str, object]:
    ends = time.monotonic() + 90
    while True:
        try:
            status, body = _get(f"{base}/healthz")
            if status == 200:
                return dict(json.loads(body))
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet, or a worker still booting on a loaded machine: ask again
        assert time.monotonic() < ends, f"never healthy; log:\n{web_log.read_text()[-3000:]}"
        time.sleep(0.5)


def _request_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "hotline_request_duration_seconds_count"
        and sample.labels.get("endpoint") == "public.notices"
    )


@pytest.mark.real_commits
def test_several_web_processes_and_a_worker_run_healthy_and_report_together(
    running: tuple[str, Path, Path],
) -> None:
    base, web_log, worker_log = running
    health = _wait_healthy(base, web_log)
    assert health["status"] == "ok"

    for _ in range(20):
        assert _get(f"{base}/notices")[0] == 200
    # Each scrape lands on either process; each adds up both processes' samples.
    for _ in range(4):
        status, body = _get(f"{base}/metrics")
        assert status == 200
        assert _request_count(body.decode()) == 20

    lines = [json.loads(line) for line in web_log.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "hotline.requests"]
    assert len(requests) >= 20 + 4
    assert all(line["at"].endswith("+00:00") and line["request_id"] for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)
    booted = [
        line for line in lines if line["logger"] == "gunicorn.error" and "Booting worker" in line["message"]
    ]
    assert len(booted) >= 2, "two web processes"
    assert not [
        line for line in web_log.read_text().splitlines() if line.strip() and not line.startswith("{")
    ]
