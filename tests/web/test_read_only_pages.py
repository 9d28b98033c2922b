"""Pages that only read do so in a read-only unit of work: on SQLite they take no write lock, so they
answer at once while a writer (the scheduler firing timers, a long migration) holds it — also when
many signed-in users read at once (issue 14, item 2)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine.clock import SettableClock
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
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


def signed_in_copies(app: Flask, client: FlaskClient, count: int) -> list[FlaskClient]:
    """`count` browsers holding the signed-in client's session cookie (each request on its own thread)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    copies = []
    for _ in range(count):
        copy = app.test_client()
        copy.set_cookie("session", cookie.value)
        copies.append(copy)
    return copies


def concurrent_gets(clients: list[FlaskClient], url: str) -> list[tuple[int, float]]:
    """Every client GETs url at once (one thread each): (status, time.monotonic() when it answered)."""
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, float]] = []
    lock = threading.Lock()

    def read(reader: FlaskClient) -> None:
        start.wait()
        status = reader.get(url).status_code
        with lock:
            answers.append((status, time.monotonic()))

    threads = [threading.Thread(target=read, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_signed_in_tasklists_answer_while_a_long_unit_of_work_holds_the_write_lock(
    app: Flask,
    client: FlaskClient,
    sqlite_file: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
) -> None:
    """Issue 14 (2): a slow writer (a unit of work holding BEGIN IMMEDIATE, as a slow script or a
    migration does, here until every reader has answered or 30 s) makes no other user's tasklist wait
    or fail: 200 signed-in readers at once all answer 200 while it holds the lock. A reader that wanted
    the lock would wait out the 10 s busy timeout and fail with "database is locked". The sessions'
    "last seen" is due to be written on every one of these requests, and is skipped, not waited for."""
    login(client, "operator")
    readers = signed_in_copies(app, client, 200)
    clock.advance(timedelta(minutes=2))
    holding, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def long_write() -> None:
        with UnitOfWork(sessions, runtime) as uow:
            uow.session.connection()  # BEGIN IMMEDIATE: the write lock is held from here
            holding.set()
            release.wait(30)
            released_at.append(time.monotonic())

    writer = threading.Thread(target=long_write, daemon=True)
    writer.start()
    assert holding.wait(5)
    try:
        answers = concurrent_gets(readers, "/tasks")
    finally:
        release.set()
        writer.join(15)

    assert Counter(status for status, _at in answers) == Counter({200: 200})
    assert max(at for _status, at in answers) < released_at[0], "no reader waited for the writer"


def test_two_hundred_concurrent_signed_in_tasklists_answer_without_a_500(
    app: Flask, client: FlaskClient, sqlite_file: str, clock: SettableClock
) -> None:
    login(client, "operator")
    clock.advance(timedelta(minutes=2))  # each request is due to note the session's "last seen"
    answers = concurrent_gets(signed_in_copies(app, client, 200), "/tasks")
    statuses = Counter(status for status, _at in answers)
    assert statuses == Counter({200: 200})
