"""engine.cases.runner: units of work. Each writes everything of one step or nothing: permissions, form
checks, optimistic concurrency, a workflow cache that a failed unit cannot poison, and timers as rows
that fire once when the injected clock passes their due time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.bpmn.parser import DefinitionError
from engine.cases import runner
from engine.cases.runner import complete_task, due_timer_ids, fire_timer, start_case
from engine.clock import SettableClock
from engine.db.models import Event, HumanTask, ProcessDefinition, ProcessInstance, Timer
from engine.errors import Conflict, FormInvalid, NotAllowed, NotFound, ScriptFailed
from engine.processes.deployment import deploy
from engine.runtime import Actor, Runtime
from tests.helpers import (
    OPERATOR,
    boundary_timer,
    department_handler,
    events_of,
    form_field,
    instance_snapshot,
    intake_form,
    linear,
    open_task,
    open_tasks,
    row_counts,
    script_task,
    timers_of,
    user_task,
)

OPS = department_handler("operations")
RESOLVED = {"investigation": "检查了管网", "outcome": "resolved", "result": "已修复"}
END_OF_DAY_UTC = datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai


def _start(sessions: sessionmaker[Session], runtime: Runtime, **form: Any) -> int:
    with sessions.begin() as session:
        return start_case(session, runtime, "complaint", OPERATOR, intake_form(**form)).id


def _snapshot(sessions: sessionmaker[Session], instance_id: int) -> dict[str, Any]:
    with sessions() as session:
        return instance_snapshot(session, instance_id)


class LoadSpy:
    """Counts how often a unit of work deserializes a case instead of taking it from the cache."""

    def __init__(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = runtime.serializer.loads

        def loads(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(runtime.serializer, "loads", loads)


# --- starting a case -----------------------------------------------------------------------------------


def test_start_case_records_the_intake_in_one_unit_s3(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """S3, C1: whoever records the call owns the case from the first moment."""
    instance_id = _start(sessions, runtime)
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert (instance.opened_by, instance.opened_at, instance.version, instance.status) == (
            "op1",
            clock.now(),
            1,
            "running",
        )
        assert instance.definition_id == deployed.id and instance.process_key == "complaint"
        started, intake = events_of(session, instance_id)[:2]
        assert (started.kind, started.actor, started.changes) == (
            "case_started",
            "op1",
            {"process_version": [None, 1]},
        )
        assert (intake.kind, intake.actor, intake.element_id) == ("task_completed", "op1", "intake")


def test_start_case_without_a_form_opens_the_intake_for_operators(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    with sessions.begin() as session:
        instance = start_case(session, runtime, "complaint", OPERATOR)
        (intake,) = open_tasks(session, instance.id)
        assert (intake.element_id, intake.candidate_groups, intake.name) == ("intake", "operator", "登记投诉")
    with sessions.begin() as session:
        complete_task(session, runtime, intake.id, Actor("op2", frozenset({"operator"})), intake_form())
        assert [t.element_id for t in open_tasks(session, instance.id)] == ["department_handling"]


def test_start_case_of_an_unknown_process(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="no process 'complaint' is deployed"), sessions.begin() as session:
        start_case(session, runtime, "complaint", OPERATOR, intake_form())


def test_start_case_outside_the_intake_group_is_not_allowed(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    with pytest.raises(NotAllowed, match="'登记投诉' is for operator"), sessions.begin() as session:
        start_case(session, runtime, "complaint", OPS, intake_form())
    with sessions() as session:
        assert row_counts(session, ["process_instance", "event", "case_counter"]) == {
            "process_instance": 0,
            "event": 0,
            "case_counter": 0,
        }


def test_start_case_with_an_invalid_form_keeps_the_values_and_writes_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    form = intake_form(customer_phone="12345", description="冷", category="weather", apologised="")
    with pytest.raises(FormInvalid) as invalid, sessions.begin() as session:
        start_case(session, runtime, "complaint", OPERATOR, form)
    assert invalid.value.errors == {
        "apologised": FieldError("required"),
        "category": FieldError("not_option"),
        "customer_phone": FieldError("pattern"),
        "description": FieldError("min_length", {"min": 5}),
    }
    assert invalid.value.values == form
    with sessions() as session:
        assert session.scalar(select(func.count(ProcessInstance.id))) == 0
    # no case number was used up
    assert _start_number(sessions, runtime) == "TS-20261123-0001"


def _start_number(sessions: sessionmaker[Session], runtime: Runtime) -> str:
    with sessions.begin() as session:
        return start_case(session, runtime, "complaint", OPERATOR, intake_form()).case_number


# --- completing tasks: who, what, and nothing half-done ------------------------------------------------


@pytest.mark.parametrize("actor", [department_handler("billing"), OPERATOR, Actor("nobody")])
def test_actor_outside_the_candidate_groups_is_not_allowed(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition, actor: Actor
) -> None:
    instance_id = _start(sessions, runtime)
    before = _snapshot(sessions, instance_id)
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    with (
        pytest.raises(NotAllowed, match="task '调查处理并答复' is for operations; you are not in that group"),
        sessions.begin() as session,
    ):
        complete_task(session, runtime, task_id, actor, RESOLVED)
    assert _snapshot(sessions, instance_id) == before


def test_invalid_form_keeps_the_submitted_values_and_writes_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    before = _snapshot(sessions, instance_id)
    submitted = {"investigation": "查", "outcome": "later", "result": "x" * 2001, "extra": "kept too"}
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    with pytest.raises(FormInvalid) as invalid, sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS, submitted)
    assert invalid.value.values == submitted
    assert invalid.value.errors == {
        "investigation": FieldError("min_length", {"min": 5}),
        "outcome": FieldError("not_option"),
        "result": FieldError("max_length", {"max": 2000}),
    }
    assert "investigation, outcome, result" in str(invalid.value)
    assert _snapshot(sessions, instance_id) == before


def test_unknown_task_is_not_found(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="task 999999 does not exist"), sessions.begin() as session:
        complete_task(session, runtime, 999_999, OPS, RESOLVED)


def test_completing_the_same_task_twice_is_a_conflict(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    with sessions.begin() as session:
        task_id = open_task(session, instance_id, "department_handling").id
        complete_task(session, runtime, task_id, OPS, RESOLVED)
    before = _snapshot(sessions, instance_id)
    with (
        pytest.raises(
            Conflict,
            match=r"task '调查处理并答复' of case TS-20261123-0001 is already completed by operations_handler",
        ),
        sessions.begin() as session,
    ):
        complete_task(session, runtime, task_id, Actor("ops2", frozenset({"operations"})), RESOLVED)
    assert _snapshot(sessions, instance_id) == before


def test_stale_version_is_a_conflict_and_nothing_is_written(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance_id = _start(sessions, runtime)
    # A reads the case (version 1) ...
    stale = sessions()
    with stale.begin():
        task = open_task(stale, instance_id, "department_handling")
        task_id = task.id
        assert task.instance.version == 1
    # ... another transaction saves the case meanwhile ...
    with sessions.begin() as other:
        other.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(version=ProcessInstance.version + 1)
        )
    before = _snapshot(sessions, instance_id)
    # ... so A's save finds version 2 where it expected 1.
    with (
        pytest.raises(
            Conflict, match="case TS-20261123-0001 was changed by someone else while you worked on it"
        ),
        stale.begin(),
    ):
        complete_task(stale, runtime, task_id, OPS, RESOLVED)
    stale.close()
    assert _snapshot(sessions, instance_id) == before

    # A failed unit does not poison the cache: the next one reads the stored state and succeeds.
    spy = LoadSpy(runtime, monkeypatch)
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS, RESOLVED)
    assert spy.calls == 1
    with sessions() as session:
        assert [t.element_id for t in open_tasks(session, instance_id)] == ["callback"]
        assert session.get(ProcessInstance, instance_id).version == 3


@pytest.mark.real_commits
def test_concurrent_completion_is_a_conflict_on_postgresql(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    db_engine: SqlEngine,
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two people complete the same task at once: the one who read the case before the other saved it
    finds, on taking the case's lock, a newer version and the task completed, and is told by whom."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the write lock at BEGIN IMMEDIATE, so two writers cannot interleave")
    instance_id = _start(sessions, runtime)
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    other_process = Runtime(clock=clock)
    real_workable = runner.workable_task
    raced: list[bool] = []

    def read_then_someone_else_saves(session: Session, wanted: int, actor: Actor) -> HumanTask:
        row = real_workable(session, wanted, actor)
        if not raced:
            raced.append(True)
            with sessions.begin() as other:
                complete_task(
                    other, other_process, task_id, Actor("ops2", frozenset({"operations"})), RESOLVED
                )
        return row

    monkeypatch.setattr(runner, "workable_task", read_then_someone_else_saves)
    with (
        pytest.raises(Conflict, match="is already completed by ops2") as conflict,
        sessions.begin() as session,
    ):
        complete_task(session, runtime, task_id, OPS, RESOLVED)
    assert (conflict.value.reason, conflict.value.params["by"]) == ("task_closed", "ops2")
    with sessions() as session:
        rows = [
            (t.element_id, t.status, t.completed_by)
            for t in session.scalars(
                select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
            )
        ]
        assert rows == [("department_handling", "completed", "ops2"), ("callback", "open", None)]
        assert [e.actor for e in events_of(session, instance_id) if e.kind == "task_completed"] == [
            "op1",
            "ops2",
        ]
        assert session.get(ProcessInstance, instance_id).version == 2


# --- scripts that fail, and the workflow cache ---------------------------------------------------------

DIVIDE = linear(
    user_task("ask", fields=form_field("v", "long")),
    script_task("divide_step", "y = 10 // v"),
    user_task("check"),
    key="divide",
)


def test_successive_units_reuse_the_cached_workflow(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = LoadSpy(runtime, monkeypatch)
    instance_id = _start(sessions, runtime)
    with sessions.begin() as session:
        complete_task(
            session, runtime, open_task(session, instance_id, "department_handling").id, OPS, RESOLVED
        )
    assert spy.calls == 0
    runtime.workflows.clear()
    with sessions.begin() as session:
        complete_task(
            session,
            runtime,
            open_task(session, instance_id, "callback").id,
            OPERATOR,
            {"customer_informed": True, "satisfied": "yes"},
        )
    assert spy.calls == 1


def test_script_failure_names_the_step_writes_nothing_and_does_not_poison_the_cache(
    sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, DIVIDE, "divide.bpmn", "test")
        instance_id = start_case(session, runtime, "divide", OPERATOR).id
    before = _snapshot(sessions, instance_id)
    with sessions() as session:
        task_id = open_task(session, instance_id, "ask").id
    with pytest.raises(ScriptFailed) as failed, sessions.begin() as session:
        complete_task(session, runtime, task_id, OPERATOR, {"v": "0"})
    assert failed.value.element_id == "divide_step"
    assert "ZeroDivisionError" in failed.value.detail
    assert str(failed.value).startswith("step 'divide_step' failed:")
    assert _snapshot(sessions, instance_id) == before

    spy = LoadSpy(runtime, monkeypatch)
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, OPERATOR, {"v": "2"})
    assert spy.calls == 1  # the half-run workflow was not reused
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.data == {"v": 2, "y": 5}
        assert [t.element_id for t in open_tasks(session, instance_id)] == ["check"]
        assert [(e.kind, e.element_id, e.changes) for e in events_of(session, instance_id)][-3:] == [
            ("task_completed", "ask", {"v": [None, 2]}),
            ("script_ran", "divide_step", {"y": [None, 5]}),
            ("task_created", "check", {"candidate_groups": [None, "operator"]}),
        ]


def test_scripts_before_the_intake_are_recorded_when_started_with_a_form(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    xml = linear(
        script_task("prepare", "channel = 'hotline'"),
        user_task("intake", fields=form_field("note")),
        key="prepared",
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "prepared.bpmn", "test")
        instance = start_case(session, runtime, "prepared", OPERATOR, {"note": "hello"})
        kinds = [(e.kind, e.element_id) for e in events_of(session, instance.id)]
        data = instance.data
    assert ("script_ran", "prepare") in kinds
    assert data == {"channel": "hotline", "note": "hello"}


# --- timers --------------------------------------------------------------------------------------------


def test_timer_rows_hold_the_due_times_c2_c3(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """C2: the site order is due 3 minutes after intake; C3: the reply is due at the end of the day."""
    instance_id = _start(sessions, runtime, needs_site_visit=True)
    with sessions() as session:
        (dispatch_timer,) = timers_of(session, instance_id)
        assert (
            dispatch_timer.element_id,
            dispatch_timer.due_at,
            dispatch_timer.status,
            dispatch_timer.fired_at,
        ) == ("dispatch_deadline", clock.now() + timedelta(minutes=3), "waiting", None)
        dispatch = open_task(session, instance_id, "dispatch_site_order")
        assert dispatch.due_at == dispatch_timer.due_at
    clock.advance(timedelta(minutes=2))
    with sessions.begin() as session:
        complete_task(session, runtime, dispatch.id, OPERATOR, {"site_order_note": "请今天上门"})
    with sessions() as session:
        old, reply = timers_of(session, instance_id)
        assert (old.status, old.fired_at) == ("cancelled", clock.now())
        assert (reply.element_id, reply.due_at, reply.status) == ("reply_deadline", END_OF_DAY_UTC, "waiting")
        assert open_task(session, instance_id, "department_handling").due_at == END_OF_DAY_UTC


def test_due_timer_ids_lists_only_due_unfired_timers(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    reply_case = _start(sessions, runtime)
    dispatch_case = _start(sessions, runtime, needs_site_visit=True)
    with sessions() as session:
        (reply,) = timers_of(session, reply_case)
        (dispatch,) = timers_of(session, dispatch_case)
        assert due_timer_ids(session, clock.now()) == []
        assert due_timer_ids(session, clock.now() + timedelta(minutes=3)) == [dispatch.id]
        assert due_timer_ids(session, END_OF_DAY_UTC) == [dispatch.id, reply.id]
        assert due_timer_ids(session, END_OF_DAY_UTC, limit=1) == [dispatch.id]


TIMER_CASES = {
    # element: (intake overrides, due time, script it starts, data the script sets)
    "dispatch_deadline": (
        {"needs_site_visit": True},
        datetime(2026, 11, 23, 1, 3, tzinfo=UTC),
        "record_dispatch_overdue",
        {"dispatch_overdue": True},
    ),
    "reply_deadline": ({}, END_OF_DAY_UTC, "record_reply_overdue", {"overdue_chased": True}),
}


def _waiting_timer(sessions: sessionmaker[Session], instance_id: int) -> Timer:
    with sessions() as session:
        (timer,) = [t for t in timers_of(session, instance_id) if t.status == "waiting"]
        return timer


@pytest.mark.parametrize("element", list(TIMER_CASES))
def test_timer_fires_once_when_the_clock_passes_its_due_time_c2_c4(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    element: str,
) -> None:
    form, due, script, data = TIMER_CASES[element]
    instance_id = _start(sessions, runtime, **form)
    timer = _waiting_timer(sessions, instance_id)
    assert (timer.element_id, timer.due_at) == (element, due)
    task_before = [(t.id, t.element_id) for t in _open(sessions, instance_id)]

    clock.set(due - timedelta(seconds=1))
    before = _snapshot(sessions, instance_id)
    with sessions.begin() as session:
        assert due_timer_ids(session, clock.now()) == []
        assert fire_timer(session, runtime, timer.id) is None
    assert _snapshot(sessions, instance_id) == before

    clock.set(due + timedelta(minutes=1))
    restarted = Runtime(clock=clock)  # a timer that fell due while the system was down fires at start
    with sessions.begin() as session:
        assert due_timer_ids(session, clock.now()) == [timer.id]
        instance = fire_timer(session, restarted, timer.id)
        assert instance is not None and instance.id == instance_id
    with sessions.begin() as session:
        assert fire_timer(session, restarted, timer.id) is None  # once only
        assert due_timer_ids(session, clock.now()) == []
    with sessions() as session:
        fired = session.get(Timer, timer.id)
        assert (fired.status, fired.fired_at) == ("fired", clock.now())
        instance = session.get(ProcessInstance, instance_id)
        assert instance.version == before["version"] + 1
        assert {k: instance.data.get(k) for k in data} == data
        new_events = [(e.kind, e.actor, e.element_id, e.changes) for e in events_of(session, instance_id)][
            len(before["events"]) :
        ]
        assert [e for e in new_events if e[0] != "timer_fired"] == [
            ("script_ran", "system", script, {k: [None, v] for k, v in data.items()}),
            ("end_reached", "system", script.replace("record", "end"), {}),
        ]
        # non-interrupting: the task whose deadline passed is still open, the same task
        assert [(t.id, t.element_id) for t in open_tasks(session, instance_id)] == task_before


def _open(sessions: sessionmaker[Session], instance_id: int) -> list[Any]:
    with sessions() as session:
        return open_tasks(session, instance_id)


@pytest.mark.parametrize(
    "element",
    [
        "dispatch_deadline",
        "reply_deadline",
    ],
)
def test_firing_a_timer_writes_a_timer_fired_event(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    element: str,
) -> None:
    form, due, _script, _data = TIMER_CASES[element]
    instance_id = _start(sessions, runtime, **form)
    timer = _waiting_timer(sessions, instance_id)
    clock.set(due)
    with sessions.begin() as session:
        fire_timer(session, runtime, timer.id)
    with sessions() as session:
        fired = [
            (e.actor, e.element_id, e.at) for e in events_of(session, instance_id) if e.kind == "timer_fired"
        ]
    assert fired == [("system", element, due)]


def test_an_overdue_task_keeps_its_due_time_after_the_chase_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """C4: the chase leaves the task open and still overdue, so the tasklist can show it as late."""
    instance_id = _start(sessions, runtime)
    timer = _waiting_timer(sessions, instance_id)
    clock.set(END_OF_DAY_UTC + timedelta(hours=1))
    with sessions.begin() as session:
        fire_timer(session, runtime, timer.id)
    with sessions() as session:
        assert open_task(session, instance_id, "department_handling").due_at == END_OF_DAY_UTC


def test_timer_row_says_fired_only_if_it_fired(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    timer = _waiting_timer(sessions, instance_id)
    clock.set(END_OF_DAY_UTC + timedelta(minutes=5))  # the scheduler has not run yet
    with sessions.begin() as session:
        complete_task(
            session, runtime, open_task(session, instance_id, "department_handling").id, OPS, RESOLVED
        )
    with sessions() as session:
        row = session.get(Timer, timer.id)
        chased = session.get(ProcessInstance, instance_id).data.get("overdue_chased", False)
        fired_events = session.scalar(
            select(func.count(Event.id)).where(
                Event.instance_id == instance_id,
                Event.kind.in_(["timer_fired", "script_ran"]),
                Event.element_id.in_(["reply_deadline", "record_reply_overdue"]),
            )
        )
    assert (row.status == "fired") == chased == (fired_events > 0)


@pytest.mark.parametrize("late", [False, True])
def test_a_completion_fires_a_deadline_only_once_it_is_due_c4(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    late: bool,
) -> None:
    """C4: completing a task looks at its deadline only when it may have passed (the scheduler may not
    have run yet); before that the completion closes the deadline without firing it."""
    instance_id = _start(sessions, runtime)
    timer = _waiting_timer(sessions, instance_id)
    clock.set(END_OF_DAY_UTC + (timedelta(minutes=5) if late else -timedelta(minutes=5)))
    with sessions.begin() as session:
        complete_task(
            session, runtime, open_task(session, instance_id, "department_handling").id, OPS, RESOLVED
        )
    with sessions() as session:
        row = session.get(Timer, timer.id)
        kinds = [e.kind for e in events_of(session, instance_id) if e.element_id == "reply_deadline"]
    assert row.status == ("fired" if late else "cancelled")
    assert row.fired_at is not None
    assert kinds == (["timer_fired"] if late else [])


def test_fire_timer_of_an_unknown_timer(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with sessions.begin() as session:
        assert fire_timer(session, runtime, 123_456) is None


def test_fire_timer_ignores_a_case_that_is_not_running(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    open_tasks: Callable[[Session, int], list[Any]],
) -> None:
    instance_id = _start(sessions, runtime)
    timer = _waiting_timer(sessions, instance_id)
    with sessions.begin() as session:
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == instance_id).values(status="suspended")
        )
    clock.set(END_OF_DAY_UTC)
    with sessions.begin() as session:
        assert fire_timer(session, runtime, timer.id) is None
    with sessions() as session:
        assert session.get(Timer, timer.id).fired_at is None
        assert [t.element_id for t in open_tasks(session, instance_id)] == ["department_handling"]


def test_timer_date_without_a_zone_is_local_shanghai_time(
    sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

    monkeypatch.setattr(spiff_timer, "LOCALTZ", UTC)  # a server running in UTC, as in most containers
    xml = linear(user_task("u1"), extra=(boundary_timer("at_six", "u1", "timeDate", "2026-11-25T18:00:00"),))
    with sessions.begin() as session:
        deploy(session, runtime, xml, "local.bpmn", "test")
        instance = start_case(session, runtime, "small", OPERATOR)
        (timer,) = timers_of(session, instance.id)
    assert timer.due_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


def test_cycle_timer_gets_a_row_or_is_refused_at_deploy(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    xml = linear(user_task("u1"), extra=(boundary_timer("hourly", "u1", "timeCycle", "R2/PT1H"),))
    try:
        with sessions.begin() as session:
            deploy(session, runtime, xml, "cycle.bpmn", "test")
    except DefinitionError as refused:
        assert refused.problems[0].element_id == "hourly"
        return
    with sessions.begin() as session:
        instance = start_case(session, runtime, "small", OPERATOR)
        assert [(t.element_id, t.due_at) for t in timers_of(session, instance.id)] == [
            ("hourly", datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
        ]
