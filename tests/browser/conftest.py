"""Fixtures of the browser tests: every procedure deployed, the app served over HTTP, a chromium page.

The app is served from a background thread, so these tests commit for real. Their database is a copy
of a SQLite file prepared once per test process (schema, reference data, every procedure deployed, the
demo users): copying it takes milliseconds, preparing it a third of a second. Chromium is launched
once per test process too; each test gets a fresh browser context.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import sandbox
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.db.schema import upgrade
from engine.db.session import make_engine, make_session_factory
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from hotline.demo import create_demo_users
from tests.browser.support import Browser, Page, browser_page, launch_chromium, serve_app
from tests.conftest import START_TIME
from tests.helpers import PROCESSES, seed_reference
from tests.web.support import fast_password_hashing


@pytest.fixture(scope="session")
def prepared_browser_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema, the reference data, every procedure and the demo users."""
    path = tmp_path_factory.mktemp("browser-template") / "prepared.db"
    db = make_engine(f"sqlite:///{path}")
    runtime = Runtime(clock=SettableClock(START_TIME))
    try:
        upgrade(db)
        factory = make_session_factory(db)
        with pytest.MonkeyPatch.context() as monkeypatch:
            fast_password_hashing(monkeypatch)
            with factory.begin() as session:
                seed_reference(session, START_TIME)
                # complaint first, as the unit and web tests have it
                for bpmn in sorted(
                    PROCESSES.glob("*.bpmn"), key=lambda path: (path.stem != "complaint", path.stem)
                ):
                    deploy(session, runtime, bpmn.read_bytes(), str(bpmn), "test")
                create_demo_users(session, runtime)
    finally:
        db.dispose()  # the last connection's close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def browser_database_url(database_url: str, prepared_browser_database: Path, tmp_path: Path) -> str:
    """A fresh copy of the prepared database (the browser tests run on SQLite only)."""
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("the browser test runs on SQLite only; the web tests cover PostgreSQL")
    copy = tmp_path / "browser.db"
    shutil.copyfile(prepared_browser_database, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def sessions(browser_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, on the test's own copy of the prepared database."""
    db = make_engine(browser_database_url)
    yield make_session_factory(db)
    db.dispose()
    sandbox._compile.cache_clear()


@pytest.fixture
def reference_data() -> None:
    """Already in the prepared database."""


@pytest.fixture
def deployed(sessions: sessionmaker[Session]) -> ProcessDefinition:
    """complaint.bpmn version 1, already in the prepared database."""
    with sessions() as session:
        return session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.key == "complaint", ProcessDefinition.version == 1
            )
        ).one()


@pytest.fixture
def server(
    tmp_path: Path,
    browser_database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    yield from serve_app(tmp_path, browser_database_url, sessions, runtime, monkeypatch)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    yield from launch_chromium()


@pytest.fixture
def page(chromium: Browser, server: str) -> Iterator[Page]:
    yield from browser_page(chromium, server)
