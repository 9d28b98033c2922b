"""Graded deadlines (黄灯/红灯) on complaint.bpmn's department step: warnings at 50 % and 80 % of the
working time, the deadline's chase of the supervisors, then escalations to the department head and the
supervisors in working hours after it (C4). Every step its own unit of work, the case reloaded between
steps; on SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.deadline_steps import chases_by_department, fire_due_steps
from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import (
    DeadlineStep,
    Event,
    HumanTask,
    Notification,
    OutboxMessage,
    ProcessDefinition,
    User,
)
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR, department_handler, intake_form


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _fire(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    fired = fire_due_steps(lambda: UnitOfWork(sessions, runtime))
    runtime.workflows.clear()
    return fired


def _open_case(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    with sessions.begin() as session:
        instance = start_case(session, runtime, "complaint", OPERATOR, intake_form(department="operations"))
        case_id = instance.id
    runtime.workflows.clear()
    return case_id


def _levels(session: Session, case_id: int) -> list[tuple[int, str, datetime, str]]:
    rows = session.scalars(
        select(DeadlineStep).where(DeadlineStep.instance_id == case_id).order_by(DeadlineStep.level)
    )
    return [(r.level, r.kind, r.due_at, r.status) for r in rows]


def _chase_events(session: Session, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    events = session.scalars(
        select(Event)
        .where(Event.instance_id == case_id, Event.kind.in_(("deadline_warning", "deadline_escalated")))
        .order_by(Event.id)
    )
    return [(e.kind, e.changes) for e in events]


def test_department_is_warned_then_its_head_and_the_supervisors_chased_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """C4: opened Monday 09:00 (Shanghai), due 23:59:59; 8.5 working hours to 17:30."""
    with sessions.begin() as session:
        session.execute(update(User).where(User.username == "operations_head").values(phone="13900000001"))
    case_id = _open_case(sessions, runtime)
    with sessions() as session:
        # 50 %: 13:15, 80 %: 15:48 local; +2 h and +4 h working time after the deadline: Tuesday 10:30, 12:30.
        assert _levels(session, case_id) == [
            (1, "warning", utc(23, 5, 15), "waiting"),
            (2, "warning", utc(23, 7, 48), "waiting"),
            (3, "escalation", utc(24, 2, 30), "waiting"),
            (4, "escalation", utc(24, 4, 30), "waiting"),
        ]
    clock.set(utc(23, 5, 14))
    assert _fire(sessions, runtime) == 0

    clock.set(utc(23, 5, 16))
    assert _fire(sessions, runtime) == 1
    with sessions() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == case_id)).all()[-1]
        assert task.warned_at == utc(23, 5, 16)
        assert _chase_events(session, case_id) == [
            (
                "deadline_warning",
                {
                    "level": [None, 1],
                    "department": [None, "operations"],
                    "recipients": [None, ["operations_head"]],
                },
            )
        ]
        kinds = session.scalars(select(Notification.kind).where(Notification.instance_id == case_id)).all()
        assert kinds == ["deadline_warning"]
    assert _fire(sessions, runtime) == 0  # fired once only

    clock.set(utc(24, 4, 31))  # everything since is due: the 80 % warning and both escalations
    assert _fire(sessions, runtime) == 3
    with sessions() as session:
        assert [(k, c["level"][1], c["recipients"][1]) for k, c in _chase_events(session, case_id)] == [
            ("deadline_warning", 1, ["operations_head"]),
            ("deadline_warning", 2, ["operations_head"]),
            ("deadline_escalated", 3, ["operations_head"]),
            ("deadline_escalated", 4, ["sup1"]),
        ]
        assert [s for *_rest, s in _levels(session, case_id)] == ["fired"] * 4
        # the escalations' channel is `message`: an SMS to the head (who has a phone), none for the warnings
        sent = session.execute(
            select(OutboxMessage.recipient, OutboxMessage.kind).where(OutboxMessage.instance_id == case_id)
        ).all()
        assert sent == [("13900000001", "chase")]
        assert chases_by_department(session, utc(23, 0), utc(25, 0)) == {"operations": 2}


def test_a_completed_task_is_neither_warned_nor_chased_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    case_id = _open_case(sessions, runtime)
    clock.set(utc(23, 3))
    with sessions.begin() as session:
        task = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == case_id, HumanTask.status == "open")
        ).one()
        complete_task(
            session,
            runtime,
            task.id,
            department_handler("operations"),
            {"investigation": "已现场核实处理", "outcome": "resolved", "result": "已答复"},
        )
    runtime.workflows.clear()
    clock.set(utc(25, 0))
    assert _fire(sessions, runtime) == 0
    with sessions() as session:
        assert [s for *_rest, s in _levels(session, case_id)] == ["cancelled"] * 4
        assert _chase_events(session, case_id) == []
