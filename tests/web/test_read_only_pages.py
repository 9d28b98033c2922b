"""Pages that only read do so in a read-only unit of work: on SQLite they take no write lock, so they
answer at once while a writer (the scheduler firing timers, a long migration) holds it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from tests.web.support import get, login, statements

READ_ONLY_PAGES = ("/tasks", "/handover", "/notifications", "/notices")

# A second connection holds SQLite's write lock, so the test's commits must be real ones.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def sqlite_file(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock: PostgreSQL lets readers and writers run side by side anyway")
    assert url.database
    return url.database


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another connection holding SQLite's write lock, as a writer in the middle of its transaction does."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def get_within(client: FlaskClient, url: str, seconds: float) -> TestResponse | None:
    """The answer to GET url, or None when it did not come within `seconds` (it waits for a lock)."""
    answers: list[TestResponse] = []
    thread = threading.Thread(target=lambda: answers.append(client.get(url)), daemon=True)
    thread.start()
    thread.join(seconds)
    return answers[0] if answers else None


def test_reading_pages_answer_while_another_connection_holds_the_write_lock(
    app: Flask, client: FlaskClient, sqlite_file: str
) -> None:
    login(client, "operator")
    waiting: list[str] = []
    with write_lock_held(sqlite_file):
        for url in READ_ONLY_PAGES:
            # Well under the 10 s busy timeout a page that wanted the lock would wait for.
            answer = get_within(client, url, 3)
            if answer is None or answer.status_code != 200:
                waiting.append(url)
    assert waiting == []


def test_a_writing_request_waits_for_the_write_lock(
    app: Flask, client: FlaskClient, sqlite_file: str
) -> None:
    """The counterpart, so the check above can fail: a change does take the lock and waits for it."""
    login(client, "operator")
    token = get(client, "/tasks").csrf_token()
    answers: list[TestResponse] = []
    with write_lock_held(sqlite_file):
        thread = threading.Thread(
            target=lambda: answers.append(client.post("/notifications/read-all", data={"csrf_token": token})),
            daemon=True,
        )
        thread.start()
        thread.join(1.5)
        assert answers == []
    thread.join(15)
    assert [a.status_code for a in answers] == [302]


def test_reading_pages_send_no_begin_immediate(app: Flask, client: FlaskClient, sqlite_file: str) -> None:
    login(client, "operator")
    with statements(app) as sent:
        for url in READ_ONLY_PAGES:
            assert client.get(url).status_code == 200
    begins = [s for s in sent if s.startswith("BEGIN")]
    assert begins and all(s == "BEGIN" for s in begins)
