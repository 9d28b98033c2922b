"""Small states (issue 15): the finished past of a looping case is cut off before its state is saved
(engine.bpmn.compaction), the case still runs to its end, its deadlines still fire, its history and
diagram markers still show every step, and states written before compaction still load and continue."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import case_markers, complete_task, start_case, tasks_of_case, timers_of_case
from engine.clock import SettableClock
from engine.db import HumanTask, ProcessDefinition, ProcessInstance, Timer
from engine.processes import deploy, plan_migration
from engine.runtime import Runtime
from engine.runtime.workflow_cache import WorkflowCache
from hotline.scheduling import fire_due_timers
from tests.helpers import (
    OPERATOR,
    PROJECT_ROOT,
    department_handler,
    events_of,
    intake_form,
    linear,
    open_task,
    user_task,
)

HANDLER = department_handler("operations")
HANDLING = {"investigation": "换热站循环泵故障,已更换。", "outcome": "resolved", "result": "已修复。"}
NOT_SATISFIED = {"customer_informed": True, "satisfied": "no", "callback_note": "客户仍不满意。"}
SATISFIED = {"customer_informed": True, "satisfied": "yes", "callback_note": "客户表示满意。"}
CLOSE = {"root_cause": "循环泵老化", "improvement": "入冬前巡检循环泵", "close_reason": "resolved"}
BEFORE_COMPACTION = PROJECT_ROOT / "tests" / "fixtures" / "complaint_state_before_compaction.json"


def _complete(sessions: sessionmaker[Session], runtime: Runtime, case: int, element: str, form: Any) -> None:
    actor = HANDLER if element == "department_handling" else OPERATOR
    with sessions.begin() as session:
        complete_task(session, runtime, open_task(session, case, element).id, actor, dict(form))


def _loop(sessions: sessionmaker[Session], runtime: Runtime, case: int) -> None:
    """The department answers, the customer is not satisfied: back to the department (C5)."""
    _complete(sessions, runtime, case, "department_handling", HANDLING)
    _complete(sessions, runtime, case, "callback", NOT_SATISFIED)


def _close(sessions: sessionmaker[Session], runtime: Runtime, case: int) -> None:
    _complete(sessions, runtime, case, "department_handling", HANDLING)
    _complete(sessions, runtime, case, "callback", SATISFIED)
    _complete(sessions, runtime, case, "summarise_and_close", CLOSE)
    with sessions() as session:
        assert session.get_one(ProcessInstance, case).status == "completed"


def _state(sessions: sessionmaker[Session], case: int) -> str:
    with sessions() as session:
        return session.get_one(ProcessInstance, case).state


@pytest.mark.parametrize("cached", [False, True], ids=["cold", "warm"])
def test_a_case_that_loops_20_times_keeps_a_small_state_and_runs_to_its_end_c5(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition, cached: bool
) -> None:
    if not cached:
        runtime.workflows = WorkflowCache(capacity=0)  # every unit loads the compacted state it saved
    with sessions.begin() as session:
        case = start_case(session, runtime, "complaint", OPERATOR, intake_form()).id
    sizes = {}
    for loops in range(1, 21):
        _loop(sessions, runtime, case)
        sizes[loops] = len(_state(sessions, case).encode("utf-8"))
    assert json.loads(_state(sessions, case))["format"] == "compact-1"
    assert (sizes[20] - sizes[1]) / 19 <= 2048
    assert sizes[20] <= 3 * sizes[1]
    _close(sessions, runtime, case)
    with sessions() as session:
        history = events_of(session, case)
        completed = [e.element_id for e in history if e.kind == "task_completed"]
        assert completed.count("department_handling") == 21
        assert completed.count("callback") == 21
        assert [e.element_id for e in history if e.kind == "script_ran"].count("reopen_for_department") == 20
        markers = case_markers(
            history,
            tasks_of_case(session, case),
            timers_of_case(session, case),
            runtime.clock.now(),
            ["start"],
        )
    assert {
        "intake",
        "set_reply_deadline",
        "department_handling",
        "callback",
        "reopen_for_department",
    } <= set(markers["completed"])
    assert markers["active"] == []


def test_the_reply_deadline_still_fires_in_a_later_loop_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    runtime.workflows = WorkflowCache(capacity=0)
    with sessions.begin() as session:
        case = start_case(session, runtime, "complaint", OPERATOR, intake_form()).id
    for _ in range(3):
        _loop(sessions, runtime, case)
    clock.advance(timedelta(days=1))  # past the same-day reply deadline of the fourth round
    assert fire_due_timers(runtime, sessions, "w") == 1
    assert fire_due_timers(runtime, sessions, "w") == 0
    with sessions() as session:
        kinds = [(e.kind, e.element_id) for e in events_of(session, case)]
    assert kinds.count(("timer_fired", "reply_deadline")) == 1
    assert ("script_ran", "record_reply_overdue") in kinds
    # The fired deadline's branch waits at the end for the case: it must not hold the past in the state.
    _loop(sessions, runtime, case)
    after_one = len(_state(sessions, case))
    for _ in range(5):
        _loop(sessions, runtime, case)
    assert (len(_state(sessions, case)) - after_one) / 5 <= 2048
    _close(sessions, runtime, case)
    with sessions() as session:
        kinds = [(e.kind, e.element_id) for e in events_of(session, case)]
    assert kinds.count(("timer_fired", "reply_deadline")) == 1
    assert kinds[-1] == ("case_closed", None)


def _with_source_fields(state: dict[str, Any], open_task: str) -> None:
    """The open task's case data as today's intake form leaves it: the case source fields (issue 19) came
    after the fixture was written, and the diagram's scripts after that task read them."""
    tasks, guid = state["tasks"], open_task
    while not tasks[guid]["data"] and tasks[guid].get("parent"):  # the data it inherits
        guid = tasks[guid]["parent"]
    tasks[guid]["data"].update(
        {"case_source": "hotline", "upstream_reference": None, "upstream_deadline": None}
    )


def test_a_state_written_before_compaction_loads_and_continues(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    """The fixture is a complaint after two loops, written by the serializer before compaction."""
    stored = json.loads(BEFORE_COMPACTION.read_text(encoding="utf-8"))
    assert "format" not in stored["state"]
    _with_source_fields(stored["state"], stored["open_task"]["task_guid"])
    with sessions.begin() as session:
        case = start_case(session, runtime, "complaint", OPERATOR, intake_form()).id
    with sessions.begin() as session:
        # The case's rows as that code left them: its state, its open task's and its timer's guids.
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == case)
            .values(state=json.dumps(stored["state"]), serializer_version=stored["serializer_version"])
        )
        session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == case, HumanTask.status == "open")
            .values(task_guid=stored["open_task"]["task_guid"])
        )
        (timer,) = stored["waiting_timers"]
        session.execute(
            update(Timer)
            .where(Timer.instance_id == case, Timer.status == "waiting")
            .values(task_guid=timer["task_guid"])
        )
    runtime.workflows.clear()
    _loop(sessions, runtime, case)
    state = json.loads(_state(sessions, case))
    assert state["format"] == "compact-1"
    # The callback's deadline split is kept as the nearest of its kind (engine.bpmn.compaction): one
    # task with its data, whatever the number of loops. (The diagram has grown since the fixture was
    # written: the send-back branch's and the reply on the platform's (U1) predicted tasks and the new
    # fields are in today's state too.)
    assert len(json.dumps(stored["state"])) > 1.15 * len(_state(sessions, case))
    assert {"intake", "department_handling", "callback"} <= set(state["passed_element_ids"])
    with sessions() as session:
        timers = list(session.scalars(select(Timer).where(Timer.instance_id == case).order_by(Timer.id)))
    # the old reply deadline, the callback's deadline closed with the callback, the new reply deadline
    assert [(t.element_id, t.status) for t in timers] == [
        ("reply_deadline", "cancelled"),
        ("callback_deadline", "cancelled"),
        ("reply_deadline", "waiting"),
    ]
    _close(sessions, runtime, case)


def test_a_migration_still_sees_the_elements_compaction_cut_off(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A case that passed 'first' keeps it on record once its task is cut off from the state, so a
    version that removes 'first' still cannot take the case."""
    with sessions.begin() as session:
        deploy(
            session,
            runtime,
            linear(user_task("first"), user_task("second"), user_task("third")),
            "s.bpmn",
            "t",
        )
        case = start_case(session, runtime, "small", OPERATOR).id
    for element in ("first", "second"):
        with sessions.begin() as session:
            complete_task(session, runtime, open_task(session, case, element).id, OPERATOR, {})
    state = json.loads(_state(sessions, case))
    assert "first" in state["passed_element_ids"]
    assert "first" not in {t["task_spec"] for t in state["tasks"].values()}
    with sessions.begin() as session:
        deploy(session, runtime, linear(user_task("second"), user_task("third")), "s.bpmn", "t")
    runtime.workflows.clear()
    with sessions() as session:
        (plan,) = plan_migration(session, runtime, "small", 1, 2)
    assert [(r.code, r.message) for r in plan.reasons] == [
        ("passed-element-removed", "the case has passed 'first' (first), which version 2 removed")
    ]
