"""engine.unit_of_work: the one object that commits. Nothing else in engine/, webforms/ or hotline/
commits, rolls back or begins a session's transaction; a unit left without commit keeps nothing; a
read-only unit cannot commit and takes no SQLite write lock."""

from __future__ import annotations

import ast
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import make_engine, make_session_factory
from engine.db.models import CaseCounter
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork, UnitOfWorkError, WriteLockBusy
from tests.helpers import PROJECT_ROOT

# A savepoint (session.begin_nested()) stays inside the unit's transaction, so it is not among these.
TRANSACTION_CALLS = {"commit", "rollback", "begin"}
# Names a unit of work goes by where it is driven; its own methods are what callers may call.
UNIT_NAMES = {"uow", "unit"}
# Schema migrations run DDL on a connection of their own, outside any unit of work.
ALLOWED = {("engine/db/schema.py", "begin")}


def _transaction_calls(path: Path) -> list[tuple[int, str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in TRANSACTION_CALLS:
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id in UNIT_NAMES:
            continue
        found.append((node.lineno, node.func.attr, ast.unparse(receiver)))
    return found


def test_only_the_unit_of_work_commits() -> None:
    offenders = []
    for package in ("engine", "webforms", "hotline"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative == "engine/unit_of_work.py" or "/migrations/" in relative:
                continue
            for line, call, receiver in _transaction_calls(path):
                if (relative, call) not in ALLOWED:
                    offenders.append(f"{relative}:{line}: {receiver}.{call}()")
    assert offenders == []


def test_the_scan_finds_a_hidden_commit(tmp_path: Path) -> None:
    module = tmp_path / "view.py"
    module.write_text("def save(session):\n    session.add(1)\n    session.commit()\n")
    assert _transaction_calls(module) == [(3, "commit", "session")]


def _counters(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(CaseCounter)) or 0


def test_leaving_without_commit_keeps_nothing(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with UnitOfWork(sessions, runtime) as uow:
        uow.session.add(CaseCounter(prefix="TS", day="20261123", last=1))
        uow.flush()
    assert _counters(sessions) == 0
    with UnitOfWork(sessions, runtime) as uow:
        uow.session.add(CaseCounter(prefix="TS", day="20261123", last=1))
        uow.commit()
    assert _counters(sessions) == 1


def test_an_error_inside_the_unit_keeps_nothing(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with pytest.raises(ValueError), UnitOfWork(sessions, runtime) as uow:
        uow.session.add(CaseCounter(prefix="TS", day="20261123", last=1))
        uow.flush()
        raise ValueError("the step failed")
    assert _counters(sessions) == 0


def test_a_read_only_unit_refuses_to_commit(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with UnitOfWork(sessions, runtime, read_only=True) as uow, pytest.raises(UnitOfWorkError):
        uow.commit()
    with pytest.raises(UnitOfWorkError):
        _ = UnitOfWork(sessions, runtime).session


@pytest.mark.real_commits
def test_a_read_only_unit_reads_while_another_connection_writes(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    url = sessions.kw["bind"].url
    if url.get_backend_name() != "sqlite":
        pytest.skip("the write lock taken at BEGIN is SQLite's")
    writer = sqlite3.connect(url.database, timeout=0.1, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with UnitOfWork(sessions, runtime, read_only=True) as uow:
            assert uow.session.scalar(select(func.count()).select_from(CaseCounter)) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.real_commits
def test_a_unit_that_must_not_wait_gives_up_at_once_while_another_connection_writes(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Bookkeeping a later request can do (a session's "last seen") does not queue behind a writer:
    `wait=False` raises WriteLockBusy at once instead of after the 10 s busy timeout; a later unit on
    the same pooled connection waits again as usual, and once the lock is free the unit writes."""
    url = sessions.kw["bind"].url
    if url.get_backend_name() != "sqlite":
        pytest.skip("the write lock taken at BEGIN is SQLite's")
    one_connection = make_engine(url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    units = make_session_factory(one_connection)
    writer = sqlite3.connect(url.database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        start = time.monotonic()
        with pytest.raises(WriteLockBusy), UnitOfWork(units, runtime, wait=False):
            pass
        assert time.monotonic() - start < 1
        with UnitOfWork(units, runtime, read_only=True) as uow:
            assert uow.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with UnitOfWork(units, runtime, wait=False) as uow:
        uow.session.add(CaseCounter(prefix="TS", day="20261123", last=1))
        uow.commit()
    with UnitOfWork(units, runtime, read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(CaseCounter)) == 1
    one_connection.dispose()
