"""GET /healthz: what a load balancer asks before sending requests here (issue 17, a production run).
200 with the checks as JSON when the database answers, its schema is current and a timer worker made
its round within the last minute; 503 saying what is wrong otherwise. No sign-in, no personal data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

import engine.db
from engine.clock import SettableClock
from engine.db import make_engine, make_session_factory, upgrade
from engine.runtime import Runtime
from engine.supervision import check_health
from engine.unit_of_work import UnitOfWork
from hotline.scheduling import fire_timers_on_time


def test_without_a_timer_worker_the_check_fails_and_says_why(client: FlaskClient) -> None:
    answer = client.get("/healthz")  # nobody signed in
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["worker"] == {"ok": False, "detail": "no timer worker has run"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_worker_round_makes_it_healthy_for_a_minute(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    fire_timers_on_time(runtime, sessions, 5.0, "host-a:101", sleep=lambda _s: None)
    answer = client.get("/healthz")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "ok"
    assert b"host-a" not in answer.data, "worker names stay inside"

    clock.advance(timedelta(seconds=61))
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["worker"]["detail"] == "no timer worker seen for 61 s"

    fire_timers_on_time(runtime, sessions, 5.0, "host-a:101", sleep=lambda _s: None)
    assert client.get("/healthz").status_code == 200, "the same worker's row is brought up to date"


def test_a_schema_behind_the_newest_migration_is_named(tmp_path: Path, runtime: Runtime) -> None:
    folder = Path(engine.db.__file__).parent / "migrations" / "versions"
    *_, before, newest = sorted(path.name[:4] for path in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, before)
    try:
        health = check_health(lambda: UnitOfWork(make_session_factory(old), runtime, read_only=True))
    finally:
        old.dispose()
    assert not health.healthy
    assert health.checks["database"].ok
    assert not health.checks["migrations"].ok and newest in health.checks["migrations"].detail
    assert "hotline init-db" in health.checks["migrations"].detail


def test_an_unreachable_database_fails_every_check(tmp_path: Path, runtime: Runtime) -> None:
    gone = create_engine(f"sqlite:///{tmp_path / 'no such folder' / 'hotline.db'}")
    try:
        health = check_health(lambda: UnitOfWork(make_session_factory(gone), runtime, read_only=True))
    finally:
        gone.dispose()
    assert health.as_json()["status"] == "failing"
    assert [name for name, check in health.checks.items() if not check.ok] == [
        "database",
        "migrations",
        "worker",
    ]
    assert health.checks["database"].detail == "unreachable (OperationalError)"
