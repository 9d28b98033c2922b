"""Pausing the clock of complaint.bpmn's department step: a reason from the list, the deadline's timer
and its graded levels held while paused, the deadline moved by the working time paused on resume (by
hand or at the agreed date), both deadlines and the time paused in the history; a paused task is not
completed and a second pause is a conflict. Every step its own unit of work, the case reloaded between
steps; on SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.deadline_steps import fire_due_steps
from engine.cases.pauses import pause_task, resume_task
from engine.cases.runner import complete_task, due_timer_ids, start_case
from engine.cases.task_access import task_by_id
from engine.clock import SettableClock
from engine.db.models import DeadlineStep, Event, HumanTask, ProcessDefinition, Timer
from engine.errors import Conflict, FormInvalid
from engine.reference.data import load_reference_data
from engine.runtime import Runtime
from engine.supervision.kpi import kpi_table
from engine.supervision.periods import week_of
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR, department_handler, intake_form
from tests.report_fixtures import SHANGHAI

OPS = department_handler("operations")
ORIGINAL_DUE = datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)  # Monday 23:59:59 in Shanghai


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _open_case(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    with sessions.begin() as session:
        instance = start_case(session, runtime, "complaint", OPERATOR, intake_form(department="operations"))
        case_id = instance.id
    runtime.workflows.clear()
    return case_id


def _task(session: Session, case_id: int) -> HumanTask:
    return session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == case_id, HumanTask.element_id == "department_handling"
        )
    ).one()


def _timer_due(session: Session, case_id: int) -> datetime:
    return session.scalars(
        select(Timer.due_at).where(Timer.instance_id == case_id, Timer.element_id == "reply_deadline")
    ).one()


def _pause_events(session: Session, case_id: int) -> list[tuple[str, str, dict[str, list[object]]]]:
    rows = session.scalars(
        select(Event)
        .where(Event.instance_id == case_id, Event.kind.in_(("task_paused", "task_resumed")))
        .order_by(Event.id)
    )
    return [(e.kind, e.actor, e.changes) for e in rows]


def _step(sessions: sessionmaker[Session], runtime: Runtime, action: object) -> None:
    with sessions.begin() as session:
        action(session)  # type: ignore[operator]
    runtime.workflows.clear()


def test_paused_deadline_does_not_fire_and_moves_by_the_working_time_paused_c3_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    case_id = _open_case(sessions, runtime)
    with sessions() as session:
        task_id = _task(session, case_id).id
    clock.set(utc(23, 2))  # Monday 10:00
    _step(sessions, runtime, lambda s: pause_task(s, runtime, task_id, OPS, "not_at_home"))
    with sessions() as session:
        task = _task(session, case_id)
        assert (task.paused_at, task.paused_by, task.pause_reason) == (
            utc(23, 2),
            OPS.username,
            "not_at_home",
        )
        assert task.due_at == ORIGINAL_DUE == task.original_due_at
        assert _timer_due(session, case_id).year == 2826  # parked: neither the scheduler nor a step fires it
        held = session.scalars(select(DeadlineStep.status).where(DeadlineStep.instance_id == case_id)).all()
        assert set(held) == {"held"}

    # a paused task is neither paused again nor completed
    with pytest.raises(Conflict) as again, sessions.begin() as session:
        pause_task(session, runtime, task_id, OPS, "materials")
    assert again.value.reason == "task_paused"
    with pytest.raises(Conflict) as done, sessions.begin() as session:
        complete_task(
            session,
            runtime,
            task_id,
            OPS,
            {"investigation": "已处理完毕", "outcome": "resolved", "result": "好"},
        )
    assert done.value.reason == "task_paused"
    runtime.workflows.clear()

    clock.set(utc(24, 1))  # Tuesday 09:00: the original deadline has passed, nothing fires
    with sessions() as session:
        assert due_timer_ids(session, clock.now()) == []
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) == 0

    clock.set(utc(24, 2))  # Tuesday 10:00: paused 7.5 working hours on Monday and 1.5 today
    _step(sessions, runtime, lambda s: resume_task(s, runtime, task_id, OPS))
    moved = utc(24, 9, 30)  # Tuesday 17:30: nine working hours after Monday's deadline
    with sessions() as session:
        task = _task(session, case_id)
        assert (task.paused_at, task.due_at, task.original_due_at) == (None, moved, ORIGINAL_DUE)
        assert task.paused_seconds == 9 * 3600
        assert _timer_due(session, case_id) == moved
        assert _pause_events(session, case_id) == [
            (
                "task_paused",
                OPS.username,
                {"pause_reason": [None, "not_at_home"], "due": [None, ORIGINAL_DUE.isoformat()]},
            ),
            (
                "task_resumed",
                OPS.username,
                {"due": [ORIGINAL_DUE.isoformat(), moved.isoformat()], "paused_minutes": [None, 540]},
            ),
        ]
        levels = session.scalars(
            select(DeadlineStep).where(DeadlineStep.instance_id == case_id).order_by(DeadlineStep.level)
        ).all()
        # the 50 % warning (Monday 13:15) moved by nine working hours: Tuesday 13:15
        assert (levels[0].status, levels[0].due_at) == ("waiting", utc(24, 5, 15))

    with pytest.raises(Conflict) as twice, sessions.begin() as session:
        resume_task(session, runtime, task_id, OPS)
    assert twice.value.reason == "task_not_paused"

    clock.set(utc(24, 9, 31))  # the moved deadline passes: now it fires
    with sessions() as session:
        assert len(due_timer_ids(session, clock.now())) == 1


def test_an_appointment_resumes_the_task_by_itself_at_the_agreed_time_c3(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    case_id = _open_case(sessions, runtime)
    with sessions() as session:
        task_id = _task(session, case_id).id
    clock.set(utc(23, 2))
    with pytest.raises(FormInvalid) as no_date, sessions.begin() as session:
        pause_task(session, runtime, task_id, OPS, "appointment")
    assert set(no_date.value.errors) == {"resume_at"}
    with pytest.raises(FormInvalid) as unknown, sessions.begin() as session:
        pause_task(session, runtime, task_id, OPS, "bored", resume_at=utc(23, 1))
    assert set(unknown.value.errors) == {"reason", "resume_at"}
    _step(
        sessions,
        runtime,
        lambda s: pause_task(s, runtime, task_id, OPS, "appointment", "客户约周二下午", resume_at=utc(24, 6)),
    )
    clock.set(utc(24, 5, 59))
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) == 0
    clock.set(utc(24, 6, 1))  # Tuesday 14:01
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) == 1
    runtime.workflows.clear()
    with sessions() as session:
        task = _task(session, case_id)
        assert task.paused_at is None
        # paused Monday 10:00–17:30 and Tuesday 08:30–14:01: 7.5 h + 5 h 31 min
        assert task.paused_seconds == (7 * 60 + 30 + 5 * 60 + 31) * 60
        kind, actor, changes = _pause_events(session, case_id)[-1]
        assert (kind, actor, changes["resumed_automatically"]) == ("task_resumed", "system", [None, True])


def test_a_completion_read_before_a_pause_is_a_conflict_and_so_is_the_reverse_c3(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """Race: whoever commits first wins; the other, who read the task before, gets a Conflict (409)."""
    case_id = _open_case(sessions, runtime)
    with sessions() as session:
        task_id = _task(session, case_id).id
    clock.set(utc(23, 2))
    reply = {"investigation": "已处理完毕", "outcome": "resolved", "result": "好"}

    with sessions.begin() as slow:
        task_by_id(slow, task_id)  # the handler's page was read before the pause
        _step(sessions, runtime, lambda s: pause_task(s, runtime, task_id, OPS, "materials"))
        with pytest.raises(Conflict):
            complete_task(slow, runtime, task_id, OPS, reply)
    runtime.workflows.clear()
    _step(sessions, runtime, lambda s: resume_task(s, runtime, task_id, OPS))

    with sessions.begin() as slow:
        task_by_id(slow, task_id)  # read before the completion
        _step(sessions, runtime, lambda s: complete_task(s, runtime, task_id, OPS, reply))
        with pytest.raises(Conflict) as late:
            pause_task(slow, runtime, task_id, OPS, "materials")
        assert late.value.reason == "task_closed"


def test_timeliness_judges_a_paused_task_by_its_moved_deadline_m4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """M4: not judged while paused (though its original deadline passed), met by its moved deadline."""
    week = week_of(date(2026, 11, 23))

    def timeliness() -> tuple[int, int]:
        with sessions() as session:
            table = kpi_table(session, week, SHANGHAI, clock.now(), load_reference_data(session))
        rate = table.total.rates["timeliness"]
        return rate.part, rate.whole

    case_id = _open_case(sessions, runtime)
    with sessions() as session:
        task_id = _task(session, case_id).id
    clock.set(utc(23, 2))
    _step(sessions, runtime, lambda s: pause_task(s, runtime, task_id, OPS, "not_at_home"))
    clock.set(utc(24, 1))  # Monday's deadline has passed while paused
    assert timeliness() == (0, 0)
    _step(sessions, runtime, lambda s: resume_task(s, runtime, task_id, OPS))
    clock.set(utc(24, 8))  # Tuesday 16:00, before the moved deadline (17:30)
    reply = {"investigation": "已处理完毕", "outcome": "resolved", "result": "好"}
    _step(sessions, runtime, lambda s: complete_task(s, runtime, task_id, OPS, reply))
    assert timeliness() == (1, 1)
