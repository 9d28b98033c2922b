"""Hot statements sent straight to the driver (issue 15): values round-trip exactly as through a
session, RETURNING, rowcount and executemany work, the transaction's held writes are sent first, driver
errors surface as SQLAlchemy's, and statement listeners still see every statement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    exc,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from engine.db import NO_WAIT_OPTION, DriverStatement, holding_writes, is_transient, make_engine, write
from engine.db.driver_compiled import DriverStatementError
from engine.db.models.base import JSONType, UTCDateTime
from tests.integration.cases.test_statements import statements

_metadata = MetaData()
_things = Table(
    "driver_statement_thing",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("at", UTCDateTime),
    Column("data", JSONType),
    Column("done", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
)
_INSERT = DriverStatement(insert(_things).returning(_things.c.id, _things.c.version))
_INSERT_MANY = DriverStatement(insert(_things))
_BY_NAME = DriverStatement(
    select(_things.c.id, _things.c.at, _things.c.data, _things.c.done).where(
        _things.c.name == bindparam("name")
    )
)
_OPEN_NAMES = DriverStatement(
    select(_things.c.name).where(_things.c.done.is_(False)).order_by(_things.c.name)
)
_BUMP = DriverStatement(
    update(_things)
    .where(_things.c.name == bindparam("of_name"), _things.c.version == bindparam("of_version"))
    .values(version=_things.c.version + 1)
)
_FINISH = DriverStatement(update(_things).where(_things.c.id == bindparam("where_id")))

SHANGHAI_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC) + timedelta(microseconds=123456)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction holds the test's own table (rolled back with it)."""
    with sessions() as session:
        _metadata.create_all(session.connection())
        yield session


def _insert(session: Session, name: str, **values: Any) -> int:
    row = _INSERT.execute(session, {"name": name, **values}).one()
    assert row.version == 1  # a column's Python default, named in the returned row
    return int(row.id)


def test_values_round_trip_as_through_the_session(session: Session) -> None:
    data = {"地址": "幸福路 1 号", "n": [1, 2.5, None], "nested": {"ok": True}}
    thing_id = _insert(session, "a", at=SHANGHAI_NOON, data=data)
    _insert(session, "b", at=None, data=None)
    direct = _BY_NAME.execute(session, {"name": "a"}).one()
    assert direct == (thing_id, SHANGHAI_NOON, data, False)
    assert direct.at.tzinfo is not None and direct.done is False
    through_session = session.execute(_BY_NAME.statement, {"name": "a"}).one()
    assert tuple(through_session) == tuple(direct)
    assert tuple(_BY_NAME.execute(session, {"name": "b"}).one())[1:] == (None, None, False)
    assert _BY_NAME.execute(session, {"name": "missing"}).first() is None


def test_rowcount_says_how_many_rows_matched(session: Session) -> None:
    _insert(session, "a")
    assert _BUMP.execute(session, {"of_name": "a", "of_version": 1}).rowcount == 1
    assert _BUMP.execute(session, {"of_name": "a", "of_version": 1}).rowcount == 0  # a stale version


def test_executemany_writes_every_row(session: Session) -> None:
    result = _INSERT_MANY.execute(session, [{"name": f"n{i}", "done": i % 2 == 0} for i in range(5)])
    assert result.rowcount == 5
    assert _OPEN_NAMES.execute(session).scalars() == ["n1", "n3"]
    ids = [_BY_NAME.execute(session, {"name": f"n{i}"}).scalar_one() for i in range(5)]
    assert _FINISH.execute(session, [{"where_id": i, "done": True} for i in ids]).rowcount == 5
    assert _OPEN_NAMES.execute(session).rows == []


def test_rows_of_one_executemany_may_each_give_or_leave_a_defaulted_column(session: Session) -> None:
    """The statement is compiled for the first row's keys; a later row giving a column the first left
    to its default keeps its value, and one leaving it gets the default."""
    rows = [{"name": "d0"}, {"name": "d1", "done": True, "version": 7}, {"name": "d2"}]
    assert _INSERT_MANY.execute(session, rows).rowcount == 3
    assert _OPEN_NAMES.execute(session).scalars() == ["d0", "d2"]
    assert _INSERT.execute(session, {"name": "d3", "version": 9}).one().version == 9


def test_held_writes_are_sent_before_a_driver_statement_reads(session: Session, db_engine: Engine) -> None:
    thing_id = _insert(session, "a")
    with holding_writes(session), statements(db_engine) as sent:
        write(session, _FINISH, {"where_id": thing_id, "done": True})
        write(session, _FINISH, {"where_id": thing_id, "at": SHANGHAI_NOON})
        assert sent == []
        assert _BY_NAME.execute(session, {"name": "a"}).one()[1:] == (SHANGHAI_NOON, None, True)
    assert [s.split(" ")[0] for s in sent] == ["UPDATE", "UPDATE", "SELECT"]


def test_a_held_version_check_counts_the_rows_a_driver_batch_matched(session: Session) -> None:
    _insert(session, "a")
    _insert(session, "b")

    class Moved(Exception):
        pass

    def moved() -> Exception:
        return Moved()

    with pytest.raises(Exception) as failed, holding_writes(session):  # noqa: PT011 - the cause is checked
        write(session, _BUMP, [{"of_name": "a", "of_version": 1}, {"of_name": "b", "of_version": 7}], moved)
    assert isinstance(failed.value.__cause__, Moved)


def test_a_driver_error_surfaces_as_sqlalchemys(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        _metadata.create_all(session.connection())
        _insert(session, "a")
        with pytest.raises(exc.IntegrityError) as failed, session.begin_nested():
            _insert(session, "a")
        assert "driver_statement_thing" in str(failed.value) or "UNIQUE" in str(failed.value).upper()
        # The transaction goes on after the savepoint rolled back.
        assert _OPEN_NAMES.execute(session).scalars() == ["a"]


def test_a_missing_parameter_is_a_clear_error(session: Session) -> None:
    with pytest.raises(Exception, match="of_version"):  # noqa: PT011 - any error naming the parameter
        _BUMP.execute(session, {"of_name": "a"})


def test_statement_listeners_see_each_statement_once(session: Session, db_engine: Engine) -> None:
    with statements(db_engine) as sent:
        _insert(session, "a")
        _INSERT_MANY.execute(session, [{"name": "b"}, {"name": "c"}])
        _OPEN_NAMES.execute(session)
    assert [s.split(" ")[0] for s in sent] == ["INSERT", "INSERT", "SELECT"]
    assert "driver_statement_thing" in sent[-1]


def test_a_begin_on_the_driver_is_seen_and_a_held_lock_is_sqlalchemys_error(tmp_path: Path) -> None:
    """SQLite's BEGIN IMMEDIATE goes on the driver too (engine.db.session): listeners see it, and a
    write lock held elsewhere surfaces as SQLAlchemy's OperationalError, a transient error."""
    database = make_engine(f"sqlite:///{tmp_path / 'locked.db'}", busy_timeout_ms=50)
    sent: list[str] = []
    event.listen(database, "before_cursor_execute", lambda _c, _k, statement, *_a: sent.append(statement))
    try:
        with database.begin() as holder:
            holder.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            with (
                database.connect() as waiting,
                pytest.raises(exc.OperationalError, match="locked") as failed,
            ):
                waiting.execution_options(**{NO_WAIT_OPTION: True}).begin()
            assert is_transient(failed.value)
        with database.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        database.dispose()
    assert sent == [
        "BEGIN IMMEDIATE",
        "CREATE TABLE t (n INTEGER)",
        "PRAGMA busy_timeout=0",
        "BEGIN IMMEDIATE",  # refused: another connection holds the lock
        "PRAGMA busy_timeout=50",
        "BEGIN IMMEDIATE",
        "INSERT INTO t VALUES (1)",
    ]


def test_a_list_built_into_the_statement_is_rendered_once_a_passed_one_is_refused(session: Session) -> None:
    for name in ("a", "b", "c"):
        _insert(session, name)
    fixed = DriverStatement(
        select(_things.c.name).where(_things.c.name.in_(["a", "c"])).order_by(_things.c.name)
    )
    assert fixed.execute(session).scalars() == ["a", "c"]
    passed = DriverStatement(
        select(_things.c.name).where(_things.c.name.in_(bindparam("names", expanding=True)))
    )
    with pytest.raises(DriverStatementError, match="names"):
        passed.execute(session, {"names": ["a"]})
