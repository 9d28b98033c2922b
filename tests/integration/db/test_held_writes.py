"""Writes held back within a transaction (issue 15): sent as one statement per kind of write before the
transaction next reads or commits, so whatever it reads it reads after its own writes; a version check
among them still refuses a case that moved on; and when sending them fails in a group of timer
firings, no single firing is blamed: each timer fires on its own, once."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.due_timers import fire_due_timers
from engine.clock import SettableClock
from engine.db import HeldWritesFailed, holding_writes, write
from engine.db import held_writes as held_writes_module
from engine.db.models import Event, ProcessInstance, Timer
from engine.errors import Conflict
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import open_cases
from tests.integration.cases.test_statements import statements

_instances = cast(Table, ProcessInstance.__table__)
_SET_STEP = update(_instances).where(
    _instances.c.id == bindparam("where_id"), _instances.c.version == bindparam("where_version")
)


def _conflict() -> Exception:
    return Conflict("the case moved on", "changed", case="?")


def test_held_writes_go_as_one_statement_before_the_next_read(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine
) -> None:
    ids = open_cases(sessions, runtime, 3)
    with sessions() as session, holding_writes(session), statements(db_engine) as sent:
        for number, case_id in enumerate(ids):
            write(
                session,
                _SET_STEP,
                {"current_step": f"step {number}", "where_id": case_id, "where_version": 1},
            )
        assert sent == []  # nothing sent yet
        steps = dict(session.execute(select(ProcessInstance.id, ProcessInstance.current_step)).all())
        assert steps == {case_id: f"step {number}" for number, case_id in enumerate(ids)}
        assert [s.split(" SET")[0] for s in sent if s.startswith("UPDATE")] == ["UPDATE process_instance"]
        session.commit()
    with sessions() as session:
        assert session.scalar(select(func.count()).where(ProcessInstance.current_step.like("step %"))) == 3


def test_a_held_version_check_refuses_a_case_that_moved_on(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    ids = open_cases(sessions, runtime, 2)
    with sessions() as session, pytest.raises(HeldWritesFailed) as failed, holding_writes(session):
        for case_id, version in zip(ids, (1, 7), strict=True):
            write(
                session,
                _SET_STEP,
                {"current_step": "x", "where_id": case_id, "where_version": version},
                mismatch=_conflict,
            )
        session.commit()
    assert isinstance(failed.value.__cause__, Conflict)
    with sessions() as session:  # nothing of it was committed
        assert session.scalar(select(func.count()).where(ProcessInstance.current_step == "x")) == 0


def test_without_holding_a_write_goes_at_once_and_its_check_raises_itself(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    (case_id,) = open_cases(sessions, runtime, 1)
    with sessions() as session, pytest.raises(Conflict):
        write(session, _SET_STEP, {"current_step": "x", "where_id": case_id, "where_version": 7}, _conflict)


def test_a_group_whose_held_writes_fail_fires_each_timer_alone_once(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
    reference_data: None,
) -> None:
    """The group's writes fail once as they are sent (e.g. a lost connection at that moment): no
    firing is taken for the culprit, none becomes an incident; each timer fires in a unit of its own.
    With supervisors to chase, the first firing itself sends what is held (before it reads the chase's
    wording), so the failure comes up inside a firing that did nothing wrong."""
    ids = open_cases(sessions, runtime, 3)
    clock.advance(timedelta(minutes=11))
    send = held_writes_module._send
    failures = [0]

    def failing_once(session: Session, batch: held_writes_module._Batch) -> None:
        if not failures[0]:
            failures[0] += 1
            raise HeldWritesFailed("lost the connection while sending")
        send(session, batch)

    monkeypatch.setattr(held_writes_module, "_send", failing_once)
    assert fire_due_timers(lambda: UnitOfWork(sessions, runtime), "w") == 3
    assert failures == [1]
    with sessions() as session:
        fired = dict(
            session.execute(
                select(Event.instance_id, func.count())
                .where(Event.kind == "timer_fired")
                .group_by(Event.instance_id)
            ).all()
        )
        assert fired == {case_id: 1 for case_id in ids}
        assert set(session.scalars(select(Timer.status))) == {"fired"}
