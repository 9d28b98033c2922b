"""A database that does not answer in time (SQLite's write lock held past the busy timeout, a lost
connection, a serialization failure) answers 503 with a Retry-After and nothing saved — never a 500
(issue 14, items 2 and 6). Shown with a real lock held by another connection on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db import ProcessDefinition, make_engine, make_session_factory
from engine.runtime import Runtime
from tests.web.support import build_app, fast_password_hashing, get, login, record_case, rows
from tests.web.test_read_only_pages import sqlite_file, write_lock_held  # noqa: F401 - fixture

pytestmark = pytest.mark.real_commits


@pytest.fixture
def impatient_app(
    tmp_path: Path,
    database_url: str,
    sqlite_file: str,  # noqa: F811 - the fixture imported above
    runtime: Runtime,
    sessions: sessionmaker[Session],
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """The app on the same database file, with writers waiting at most 0.2 s for the write lock."""
    fast_password_hashing(monkeypatch)
    engine = make_engine(database_url, busy_timeout_ms=200)
    try:
        yield build_app(tmp_path, database_url, runtime, make_session_factory(engine))
    finally:
        engine.dispose()


def test_a_write_that_cannot_get_the_lock_answers_503_and_saves_nothing(
    impatient_app: Flask,
    sqlite_file: str,  # noqa: F811
    sessions: sessionmaker[Session],
    runtime: Runtime,
) -> None:
    number, _instance_id = record_case(sessions, runtime)
    client: FlaskClient = impatient_app.test_client()
    login(client, "operator")
    token = get(client, "/tasks").csrf_token()
    before = rows(sessions)
    with write_lock_held(sqlite_file):
        answer = client.post("/notifications/read-all", data={"csrf_token": token})
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert "数据库正忙" in answer.get_data(as_text=True)
        # A page that records who saw personal data in full (M6) cannot show it unrecorded: it says busy.
        case_page = client.get(f"/cases/{number}")
        assert case_page.status_code == 503
    assert rows(sessions) == before
    # Once the lock is free the same requests go through.
    assert client.get(f"/cases/{number}").status_code == 200
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302
