"""Repeating timers (timeCycle): a reminder on a non-interrupting boundary event fires its count of
times, one timer row per repetition, each firing scheduling the next in the same unit of work, until
the count is used up or its task is done; elsewhere the first time decides. Every case is saved and
loaded again between firings (the workflow cache is emptied), and the injected clock decides."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.parser import DefinitionError
from engine.cases.due_timers import fire_due_timers
from engine.cases.runner import complete_task, fire_timer, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessInstance
from engine.errors import ScriptFailed
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import (
    OPERATOR,
    boundary_timer,
    diagram,
    end_event,
    events_of,
    flow,
    open_tasks,
    script_task,
    start_event,
    timers_of,
    user_task,
)
from tests.integration.processes.test_validation import validate_diagram


def _reminder(cycle: str, interrupting: bool = False, first: str = "reminders = 0") -> bytes:
    """u1 with a repeating timer on its border whose path counts the reminders (each path starts from
    the data as it was when the task opened, as every non-interrupting path does)."""
    return diagram(
        start_event(),
        script_task("none_yet", first),
        user_task("u1"),
        end_event(),
        boundary_timer("remind", "u1", "timeCycle", cycle, interrupting=interrupting),
        script_task("count", "reminders = reminders + 1"),
        end_event("reminded"),
        flow("start", "none_yet"),
        flow("none_yet", "u1"),
        flow("u1", "end"),
        flow("remind", "count"),
        flow("count", "reminded"),
    )


def _start(sessions: sessionmaker[Session], runtime: Runtime, xml: bytes) -> int:
    with sessions.begin() as session:
        deploy(session, runtime, xml, "cycle.bpmn", "test")
        return start_case(session, runtime, "small", OPERATOR).id


def _fire_due(sessions: sessionmaker[Session], runtime: Runtime, instance_id: int) -> int:
    """Fire what is due, as the scheduler would, after the case was saved and is loaded again."""
    fired = 0
    runtime.workflows.clear()
    with sessions() as session:
        due = [t.id for t in timers_of(session, instance_id) if t.status == "waiting"]
    for timer_id in due:
        with sessions.begin() as session:
            if fire_timer(session, runtime, timer_id) is not None:
                fired += 1
    return fired


def _rows(sessions: sessionmaker[Session], instance_id: int) -> list[tuple[int, str, object]]:
    with sessions() as session:
        return [(t.repetition, t.status, t.due_at) for t in timers_of(session, instance_id)]


def _reminders(sessions: sessionmaker[Session], instance_id: int) -> int:
    """How many times the reminder's path ran (its step is in the history each time)."""
    with sessions() as session:
        return sum(
            1 for e in events_of(session, instance_id) if (e.kind, e.element_id) == ("script_ran", "count")
        )


def test_a_reminder_fires_three_times_then_never_again(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    start = clock.now()
    instance_id = _start(sessions, runtime, _reminder("R3/PT1H"))
    assert _rows(sessions, instance_id) == [(0, "waiting", start + timedelta(hours=1))]
    assert _fire_due(sessions, runtime, instance_id) == 0  # not due yet
    for hour in (1, 2, 3):
        clock.set(start + timedelta(hours=hour, minutes=1))
        assert _fire_due(sessions, runtime, instance_id) == 1
        assert _reminders(sessions, instance_id) == hour
    clock.set(start + timedelta(hours=10))
    assert _fire_due(sessions, runtime, instance_id) == 0
    assert _reminders(sessions, instance_id) == 3
    assert _rows(sessions, instance_id) == [
        (0, "fired", start + timedelta(hours=1)),
        (1, "fired", start + timedelta(hours=2)),
        (2, "fired", start + timedelta(hours=3)),
    ]
    with sessions() as session:
        fired = [e.element_id for e in events_of(session, instance_id) if e.kind == "timer_fired"]
        assert fired == ["remind", "remind", "remind"]
        (task,) = open_tasks(session, instance_id)
        assert task.element_id == "u1" and task.due_at is None  # a reminder is no deadline
    # The task is still open and can be completed; the case ends.
    with sessions.begin() as session:
        (task,) = open_tasks(session, instance_id)
        complete_task(session, runtime, task.id, OPERATOR, {})
    with sessions() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"  # type: ignore[union-attr]


def test_an_unbounded_reminder_stops_when_its_task_is_done(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    start = clock.now()
    instance_id = _start(sessions, runtime, _reminder("R/PT10M"))
    for step in range(1, 6):
        clock.set(start + timedelta(minutes=10 * step, seconds=1))
        assert _fire_due(sessions, runtime, instance_id) == 1
    assert _reminders(sessions, instance_id) == 5
    with sessions.begin() as session:
        (task,) = open_tasks(session, instance_id)
        complete_task(session, runtime, task.id, OPERATOR, {})
    assert [status for _n, status, _due in _rows(sessions, instance_id)] == ["fired"] * 5 + ["cancelled"]
    clock.set(start + timedelta(hours=5))
    assert _fire_due(sessions, runtime, instance_id) == 0


def test_a_cycle_from_a_moment_counts_from_that_moment(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    # 2026-11-24T08:00 without a zone is the hotline's (Shanghai) time: 00:00 UTC.
    instance_id = _start(sessions, runtime, _reminder("R2/2026-11-24T08:00:00/PT1H"))
    first = clock.now().replace(year=2026, month=11, day=24, hour=0, minute=0)
    assert _rows(sessions, instance_id) == [(0, "waiting", first)]
    clock.set(first + timedelta(minutes=1))
    assert _fire_due(sessions, runtime, instance_id) == 1
    assert _rows(sessions, instance_id)[-1] == (1, "waiting", first + timedelta(hours=1))


def test_a_cycle_read_from_the_case_data(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    start = clock.now()
    instance_id = _start(sessions, runtime, _reminder("${every}", first="reminders = 0\nevery = 'R2/PT30M'"))
    assert _rows(sessions, instance_id) == [(0, "waiting", start + timedelta(minutes=30))]


def test_a_cycle_whose_data_is_junk_fails_naming_the_timer(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with pytest.raises(ScriptFailed) as failed:
        _start(sessions, runtime, _reminder("${every}", first="every = 'R0/PT1H'"))
    assert failed.value.element_id == "remind"
    assert "R0" in str(failed.value)


def test_an_interrupting_cycle_interrupts_at_its_first_time(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    start = clock.now()
    instance_id = _start(sessions, runtime, _reminder("R3/PT1H", interrupting=True))
    clock.set(start + timedelta(hours=1, minutes=1))
    assert _fire_due(sessions, runtime, instance_id) == 1
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "completed"
        assert instance.data["reminders"] == 1  # the path ran once
        assert open_tasks(session, instance_id) == []
    assert _rows(sessions, instance_id) == [(0, "fired", start + timedelta(hours=1))]


def test_an_intermediate_cycle_waits_for_its_first_time(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    xml = diagram(
        start_event(),
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R/PT2H</bpmn:timeCycle>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        user_task("u1"),
        end_event(),
        flow("start", "wait"),
        flow("wait", "u1"),
        flow("u1", "end"),
    )
    start = clock.now()
    instance_id = _start(sessions, runtime, xml)
    assert _rows(sessions, instance_id) == [(0, "waiting", start + timedelta(hours=2))]
    clock.set(start + timedelta(hours=2))
    assert _fire_due(sessions, runtime, instance_id) == 1
    with sessions() as session:
        assert [t.element_id for t in open_tasks(session, instance_id)] == ["u1"]
    assert _rows(sessions, instance_id) == [(0, "fired", start + timedelta(hours=2))]


@pytest.mark.parametrize("cycle", ["R0/PT1H", "Rx/PT1H", "R3/PT", "R3", "PT1H"])
def test_a_cycle_that_cannot_repeat_is_refused_at_deploy(
    sessions: sessionmaker[Session], runtime: Runtime, cycle: str
) -> None:
    with pytest.raises(DefinitionError) as refused, sessions.begin() as session:
        deploy(session, runtime, _reminder(cycle), "cycle.bpmn", "test")
    assert "remind" in str(refused.value)


@pytest.mark.real_commits
def test_two_workers_fire_each_repetition_once(
    database_url: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """Two scheduler workers run their rounds at the same moments on PostgreSQL, each hour: every
    reminder of every case fires exactly once, three per case, and each firing's next row is there."""
    if not database_url.startswith("postgresql"):
        pytest.skip("two workers taking rows side by side need PostgreSQL (SQLite serialises writers)")
    start = clock.now()
    cases = [_start(sessions, runtime, _reminder("R3/PT1H")) for _ in range(8)]
    fired: list[int] = []
    for hour in (1, 2, 3, 4):
        clock.set(start + timedelta(hours=hour, seconds=1))
        barrier = threading.Barrier(2, timeout=30)

        def work(worker: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            fired.append(fire_due_timers(lambda: UnitOfWork(sessions, runtime), worker))

        threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(fired) == 3 * len(cases)
    for instance_id in cases:
        assert _reminders(sessions, instance_id) == 3
        assert [(n, status) for n, status, _due in _rows(sessions, instance_id)] == [
            (0, "fired"),
            (1, "fired"),
            (2, "fired"),
        ]


def test_a_cycle_read_from_a_text_field_passes_validation_and_a_literal_zero_does_not(
    sessions: sessionmaker[Session], reference_data: None
) -> None:
    field = '<camunda:formField id="every" label="every" type="string"/>'
    reads_field = diagram(
        start_event(),
        user_task("u1", fields=field),
        user_task("u2"),
        end_event(),
        boundary_timer("remind", "u2", "timeCycle", "${every}"),
        end_event("reminded"),
        flow("start", "u1"),
        flow("u1", "u2"),
        flow("u2", "end"),
        flow("remind", "reminded"),
    )
    with sessions() as session:
        said = validate_diagram(session, reads_field)
        assert [p.code for p in said if p.element_id == "remind" and p.code.startswith("timer")] == []
        zero = validate_diagram(session, _reminder("R0/PT1H"))
        assert [p.code for p in zero if p.element_id == "remind" and p.code.startswith("timer")] == [
            "timer-wrong-value"
        ]
