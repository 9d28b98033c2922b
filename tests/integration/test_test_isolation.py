"""How the test fixtures isolate database tests (tests/conftest.py): by default a test's commits only
release savepoints of one outer transaction that is rolled back at its end; `real_commits` tests commit
for real and have every table emptied afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.db.models import Department, ProcessDefinition, ProcessInstance
from engine.db.session import READ_ONLY_OPTION
from engine.runtime import Runtime
from tests.conftest import committing_sessions, savepoint_sessions
from tests.helpers import OPERATOR, intake_form


def _rows_seen_by_another_connection(db: SqlEngine, model: type = Department) -> int:
    # Read-only, so that on SQLite it reads beside the test's transaction instead of waiting for its lock.
    with db.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_what_a_test_commits_is_seen_by_its_later_sessions_and_rolled_back_at_its_end(
    db_engine: SqlEngine,
) -> None:
    isolated = savepoint_sessions(db_engine)
    factory = next(isolated)
    with factory.begin() as session:
        session.add(Department(code="night_shift", name="夜班"))
    with factory.begin() as session:  # a unit of work that fails rolls back to its own savepoint only
        session.add(Department(code="doomed", name="作废"))
        session.flush()
        session.rollback()
    with factory() as session:
        assert session.scalars(select(Department.code)).all() == ["night_shift"]
    assert _rows_seen_by_another_connection(db_engine) == 0
    isolated.close()
    assert _rows_seen_by_another_connection(db_engine) == 0


def test_committing_sessions_commit_for_real_and_empty_every_table_afterwards(db_engine: SqlEngine) -> None:
    committing = committing_sessions(db_engine)
    factory = next(committing)
    with factory.begin() as session:
        session.add(Department(code="night_shift", name="夜班"))
    assert _rows_seen_by_another_connection(db_engine) == 1
    with pytest.raises(StopIteration):
        next(committing)  # the test's end
    assert _rows_seen_by_another_connection(db_engine) == 0


def test_a_savepoint_commit_still_publishes_the_workflow_to_the_cache(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    """The test factory keeps the production after-commit listeners."""
    with sessions.begin() as session:
        instance = start_case(session, runtime, "complaint", OPERATOR, intake_form())
        instance_id, version = instance.id, instance.version
    assert runtime.workflows.take(instance_id, version) is not None


@pytest.mark.real_commits
def test_a_real_commits_test_writes_what_other_connections_see(
    sessions: sessionmaker[Session], db_engine: SqlEngine
) -> None:
    with sessions.begin() as session:
        session.add(Department(code="night_shift", name="夜班"))
    assert _rows_seen_by_another_connection(db_engine) == 1


def test_by_default_other_connections_see_nothing_of_the_test(
    sessions: sessionmaker[Session], db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    with sessions.begin() as session:
        session.add(Department(code="night_shift", name="夜班"))
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert _rows_seen_by_another_connection(db_engine, ProcessDefinition) == 0
    assert _rows_seen_by_another_connection(db_engine) == 0
