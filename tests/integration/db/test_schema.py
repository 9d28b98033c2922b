"""engine.db.schema, engine.db.session, engine.db.models: the Alembic migrations make exactly the models' schema,
and times are stored as UTC on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Base, ProcessDefinition
from engine.db.schema import alembic_config, upgrade


def test_migrations_match_the_models(db_engine: SqlEngine) -> None:
    with db_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_schema_is_at_the_head_revision_and_upgrading_again_changes_nothing(db_engine: SqlEngine) -> None:
    upgrade(db_engine)
    with db_engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(db_engine)).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
        tables = set(inspect(connection).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_pending_timer_index_is_partial(db_engine: SqlEngine) -> None:
    with db_engine.connect() as connection:
        indexes = {i["name"]: i for i in inspect(connection).get_indexes("timer")}
    assert indexes["ix_timer_due_pending"]["column_names"] == ["due_at"]


def test_sqlite_connections_use_wal_and_foreign_keys(db_engine: SqlEngine) -> None:
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with db_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def _definition(deployed_at: datetime) -> ProcessDefinition:
    return ProcessDefinition(
        key="k",
        version=1,
        name="n",
        case_prefix="K",
        content_hash="0" * 64,
        file_name="k.bpmn",
        bpmn_xml="<x/>",
        deployed_at=deployed_at,
        deployed_by="t",
    )


def test_times_come_back_as_aware_utc(sessions: sessionmaker[Session]) -> None:
    shanghai_nine = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    with sessions.begin() as session:
        session.add(_definition(shanghai_nine))
    with sessions() as session:
        (row,) = session.scalars(select(ProcessDefinition)).all()
        assert row.deployed_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
        assert row.deployed_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(sessions: sessionmaker[Session]) -> None:
    with (
        pytest.raises(StatementError, match="naive datetime given to a UTC column"),
        sessions.begin() as session,
    ):
        session.add(_definition(datetime(2026, 11, 23, 9, 0)))
        session.flush()
