"""Shared fixtures: databases (SQLite always, PostgreSQL when HOTLINE_TEST_DATABASE_URL is set),
sessions isolated per test, a settable clock and a fresh engine runtime.

Isolation: by default a test runs inside one outer transaction that is rolled back at its end; every
commit of the code under test (a unit of work, `sessions.begin()`) only releases a savepoint. A test
that needs several connections or processes (threads racing, two workers, a CLI command or a live
server opening its own engine) is marked `@pytest.mark.real_commits`: its commits are real and every
table is emptied afterwards.

Kept general on purpose: the web tests reuse them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import sandbox
from engine.clock import SettableClock
from engine.db.models import Base, HumanTask, ProcessDefinition
from engine.db.schema import upgrade
from engine.db.session import make_engine, make_session_factory
from engine.decisions import forget_latest_hashes
from engine.processes.deployment import deploy
from engine.reference import forget_snapshots
from engine.runtime import Actor, Runtime
from tests import helpers

COMPLAINT_BPMN = helpers.COMPLAINT_BPMN
# 09:00 on Monday 23 November 2026 in Asia/Shanghai.
START_TIME = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("HOTLINE_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty test database: a fresh SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = make_url(os.environ["HOTLINE_TEST_DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"HOTLINE_TEST_DATABASE_URL must be a PostgreSQL URL, got {url!r}")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url.render_as_string(hide_password=False)
        return
    # pytest -n: each worker gets its own database, so no worker drops another's tables.
    name = f"{url.database}_{worker}"
    _run_outside_transaction(
        url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    yield url.set(database=name).render_as_string(hide_password=False)
    _run_outside_transaction(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_outside_transaction(url: URL, *statements: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[SqlEngine]:
    """One SQLAlchemy engine per database, its schema made by the Alembic migrations."""
    db = make_engine(database_url)
    if db.dialect.name == "postgresql":
        with db.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    yield db
    db.dispose()


def empty_all_tables(db: SqlEngine) -> None:
    with db.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


REAL_COMMITS = "real_commits"


@pytest.fixture
def sessions(request: pytest.FixtureRequest, db_engine: SqlEngine) -> Iterator[sessionmaker[Session]]:
    """The session factory; callers open and commit (`with sessions.begin() as session:`).

    Whatever the test commits is gone afterwards (rolled back, or for `real_commits` tests deleted) and
    module-level caches are cleared, so tests are independent whatever order they run in.
    """
    forget_snapshots()
    forget_latest_hashes()
    if request.node.get_closest_marker(REAL_COMMITS):
        yield from committing_sessions(db_engine)
    else:
        yield from savepoint_sessions(db_engine)
    sandbox._compile.cache_clear()
    # The rolled-back database's stamps repeat in the next test.
    forget_snapshots()
    forget_latest_hashes()


def savepoint_sessions(db: SqlEngine) -> Iterator[sessionmaker[Session]]:
    """Sessions joined to one outer transaction (SQLAlchemy's "joining a session into an external
    transaction"): their commits release savepoints, and the outer transaction is rolled back at the end.

    The factory is the production one (its after-commit listeners publish to the workflow cache), only
    bound to the test's connection. On SQLite the outer BEGIN is the BEGIN IMMEDIATE of
    engine.db.session, taken once per test.
    """
    with db.connect() as connection:
        outer = connection.begin()
        factory = make_session_factory(db)
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield factory
        finally:
            if outer.is_active:
                outer.rollback()


def committing_sessions(db: SqlEngine) -> Iterator[sessionmaker[Session]]:
    """Sessions on their own pooled connections that really commit; every table is emptied afterwards."""
    yield make_session_factory(db)
    empty_all_tables(db)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START_TIME)


@pytest.fixture
def runtime(clock: SettableClock, tmp_path: Path) -> Iterator[Runtime]:
    """A fresh engine per test, so neither parsed specs nor workflows leak between tests."""
    engine = Runtime(clock=clock, attachment_folder=tmp_path / "home" / "attachments")
    yield engine
    engine.workflows.clear()


@pytest.fixture
def deployed(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> ProcessDefinition:
    """processes/complaint.bpmn deployed (and committed) as version 1, with the reference data it routes by."""
    with sessions.begin() as session:
        result = deploy(session, runtime, COMPLAINT_BPMN.read_bytes(), str(COMPLAINT_BPMN), "test")
    assert result.created
    return result.definition


@pytest.fixture
def reference_data(sessions: sessionmaker[Session], clock: SettableClock) -> None:
    """Departments, categories (with their routes and on-site minutes), a customer register, heads of
    department and a supervisor account, committed: see helpers.seed_reference."""
    with sessions.begin() as session:
        helpers.seed_reference(session, clock.now())


@pytest.fixture
def deploy_process(sessions: sessionmaker[Session], runtime: Runtime) -> Callable[[str], ProcessDefinition]:
    """deploy_process('repair') -> processes/repair.bpmn deployed (and committed); returns its definition."""

    def deploy_one(key: str) -> ProcessDefinition:
        path = helpers.PROCESSES / f"{key}.bpmn"
        with sessions.begin() as session:
            return deploy(session, runtime, path.read_bytes(), str(path), "test").definition

    return deploy_one


@pytest.fixture
def operator() -> Actor:
    return helpers.OPERATOR


@pytest.fixture
def supervisor() -> Actor:
    return helpers.SUPERVISOR


@pytest.fixture
def department_handler() -> Callable[[str], Actor]:
    """department_handler('operations') -> an Actor whose only group is that department."""
    return helpers.department_handler


@pytest.fixture
def intake_form() -> Callable[..., dict[str, Any]]:
    """intake_form(**overrides) -> a fresh, valid complaint intake form."""
    return helpers.intake_form


@pytest.fixture
def open_tasks() -> Callable[[Session, int], list[HumanTask]]:
    """open_tasks(session, instance_id) -> the case's open human_task rows, oldest first."""
    return helpers.open_tasks
