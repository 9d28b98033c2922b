"""engine.bpmn.serializer: a case's saved state holds its own tasks and data, never the process spec, and comes
back as a workflow that carries on where it stopped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import decisions_in_use
from engine.bpmn.parser import parse_definition
from engine.bpmn.serializer import StateSerializer
from engine.cases.definitions import parsed_definition
from engine.cases.runner import start_case
from engine.db.models import ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from tests.helpers import COMPLAINT_BPMN, OPERATOR, intake_form


def _ready_manual(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


def _started_workflow(runtime: Runtime) -> tuple[BpmnWorkflow, object]:
    parsed = parse_definition(COMPLAINT_BPMN.read_bytes(), "complaint.bpmn")
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=runtime.script_engine)
    workflow.do_engine_steps()
    (intake,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    intake.data.update(intake_form(assisting_departments=[]))  # as the form's check gives a choice of none
    intake.run()
    # The routing table's answer for the intake's category, without a database (C1, 003 art. 13).
    with decisions_in_use(
        lambda _key, _version, _data: {"routed_department": "operations", "onsite_limit_minutes": 240}
    ):
        workflow.do_engine_steps()
    return workflow, parsed


def test_serialized_state_holds_no_spec(runtime: Runtime) -> None:
    workflow, _parsed = _started_workflow(runtime)
    text = runtime.serializer.dumps(workflow)
    state = json.loads(text)
    assert "spec" not in state
    assert "subprocess_specs" not in state
    assert runtime.serializer.version == f"{state['serializer_version']}+{state['format']}"
    # no task spec definitions: documentation, scripts and form labels live only in the diagram
    assert "Complaint handling" not in text
    assert "reply_due = end_of_day()" not in text
    assert "投诉类别" not in text
    # and it is small: the full serializer (with the spec) is many times larger
    assert len(text) < 12_000


def test_round_trip_keeps_tasks_data_and_timers(runtime: Runtime) -> None:
    workflow, parsed = _started_workflow(runtime)
    restored = runtime.serializer.loads(runtime.serializer.dumps(workflow), parsed, runtime.script_engine)
    assert restored.spec is parsed.spec
    assert {str(t.id): t.state for t in restored.get_tasks()} == {
        str(t.id): t.state for t in workflow.get_tasks()
    }
    assert _ready_manual(restored) == ["department_handling"]
    (task,) = restored.get_tasks(state=TaskState.READY, manual=True)
    assert task.data["department"] == "operations"
    assert task.data["reply_due"] == "2026-11-23T23:59:59+08:00"
    waiting = {
        t.task_spec.bpmn_id: t.internal_data.get("event_value")
        for t in restored.get_tasks(state=TaskState.WAITING)
        if t.task_spec.bpmn_id  # not the end join where the ended assisting branch waits
    }
    assert waiting == {"reply_deadline": "2026-11-23T23:59:59+08:00"}
    # the restored workflow carries on
    task.data.update({"investigation": "检查了管网", "outcome": "resolved"})
    task.run()
    restored.do_engine_steps()
    assert _ready_manual(restored) == ["callback"]


def test_restoring_needs_the_definition(runtime: Runtime) -> None:
    workflow, _parsed = _started_workflow(runtime)
    text = runtime.serializer.dumps(workflow)
    try:
        runtime.serializer.loads(text, None, runtime.script_engine)  # type: ignore[arg-type]
    except ValueError as err:
        assert "needs its parsed definition" in str(err)
    else:
        raise AssertionError("restoring without a definition must fail")


def test_stored_case_state_holds_no_spec(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    with sessions.begin() as session:
        instance_id = start_case(session, runtime, "complaint", OPERATOR, intake_form()).id
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        state = json.loads(instance.state)
        assert "spec" not in state and "subprocess_specs" not in state
        assert instance.serializer_version == StateSerializer().version
        fresh = Runtime(clock=runtime.clock)
        restored = fresh.serializer.loads(
            instance.state, parsed_definition(fresh, instance.definition), fresh.script_engine
        )
        assert _ready_manual(restored) == ["department_handling"]


def test_the_tasks_are_written_as_spiffworkflows_own_converter_writes_them(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """engine.bpmn.serializer writes the tasks itself (issue 15): the same JSON, byte for byte."""
    from engine.bpmn import serializer

    workflow, _parsed = _started_workflow(runtime)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    # Values the JSON encoder converts, a nested change and a key the task no longer has.
    task.data.update({"seen_at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC), "nested": {"a": [1, {"b": None}]}})
    del task.data["reply_due"]
    written: list[bool] = []
    own = serializer._task_dicts

    def recorded(*args: Any) -> Any:
        found = own(*args)
        written.append(found is not None)
        return found

    monkeypatch.setattr(serializer, "_task_dicts", recorded)
    states = []
    for step in range(2):
        fast = runtime.serializer.dumps(workflow)
        states.append(json.loads(fast))
        monkeypatch.setattr(serializer, "_task_dicts", lambda *_args: None)
        assert runtime.serializer.dumps(workflow) == fast
        monkeypatch.setattr(serializer, "_task_dicts", recorded)
        if step == 0:
            task.data.update({"investigation": "检查了管网", "outcome": "resolved"})
            task.run()
            workflow.do_engine_steps()
    assert written == [True, True]
    deltas = [t["delta"] for t in states[0]["tasks"].values() if t["delta"]]
    assert any(d["deletions"] == ["reply_due"] and "seen_at" in d["updates"] for d in deltas), deltas


def test_the_tasks_are_restored_as_spiffworkflows_own_converter_restores_them(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """engine.bpmn.serializer restores the tasks itself (issue 15): the same tasks, data and waiting
    events as SpiffWorkflow's registry restores."""
    from engine.bpmn import serializer

    workflow, parsed = _started_workflow(runtime)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data.update({"seen_at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC), "nested": {"a": [1, {"b": None}]}})
    del task.data["reply_due"]
    text = runtime.serializer.dumps(workflow)
    fast = runtime.serializer.loads(text, parsed, runtime.script_engine)
    monkeypatch.setattr(serializer, "_restored_tasks", lambda *_args: None)
    slow = runtime.serializer.loads(text, parsed, runtime.script_engine)

    def seen(restored: BpmnWorkflow) -> list[tuple[Any, ...]]:
        return [
            (key, t.id, t._parent, t._children, t.state, t.task_spec.name, t.data, t.internal_data)
            + (t.last_state_change, t.triggered, t.workflow is restored)
            for key, t in restored.tasks.items()
        ]

    assert seen(fast) == seen(slow)
    # Each id parsed once (the fast way), not once per place it stands (the registry's way).
    assert all(key is t.id for key, t in fast.tasks.items())
    assert not any(key is t.id for key, t in slow.tasks.items())
    assert fast.get_task_from_id(task.id).data["seen_at"] == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert "reply_due" not in fast.get_task_from_id(task.id).data
    waiting = sorted(fast.top_workflow.event_manager.tasks)
    assert waiting and waiting == sorted(slow.top_workflow.event_manager.tasks)
    assert fast.task_tree.id == slow.task_tree.id and fast.last_task.id == slow.last_task.id
    assert runtime.serializer.dumps(fast) == runtime.serializer.dumps(slow) == text


def _task_values(restored: BpmnWorkflow) -> list[tuple[Any, ...]]:
    return [
        (key, t.id, t._parent, t._children, t.state, t.task_spec.name, t.data, t.internal_data)
        + (t.last_state_change, t.triggered)
        for key, t in restored.tasks.items()
    ]


def test_a_state_written_by_json_loads_as_the_state_written_now(runtime: Runtime) -> None:
    """States stored before orjson wrote them (json's text: \\u escapes, spaces after separators) load
    to the workflow the compact UTF-8 text of today loads to."""
    workflow, parsed = _started_workflow(runtime)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data.update(
        {
            "investigation": "检查了管网",
            "seen_at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
            "waited": timedelta(hours=2),
            "visits": (1, 2),
            "teams": {"维修"},
            "nested": {"a": [1, 2.5, {"b": None}]},
        }
    )
    now = runtime.serializer.dumps(workflow)
    before = runtime.serializer._serializer.serialize_json(workflow)  # json.dumps, as main wrote states
    assert "检查了管网" in now and ", " not in now
    assert "\\u68c0\\u67e5" in before and "检查" not in before and '"tasks": {' in before
    assert json.loads(before) == json.loads(now)
    from_before = runtime.serializer.loads(before, parsed, runtime.script_engine)
    from_now = runtime.serializer.loads(now, parsed, runtime.script_engine)
    assert _task_values(from_before) == _task_values(from_now)
    assert from_now.get_task_from_id(task.id).data["seen_at"] == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert from_now.get_task_from_id(task.id).data["waited"] == timedelta(hours=2)
    assert runtime.serializer.dumps(from_before) == runtime.serializer.dumps(from_now) == now


class _Label(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(float("nan"), id="NaN"),
        pytest.param(float("-inf"), id="-Infinity"),
        pytest.param(2**70, id="int beyond 64 bits"),
        pytest.param(UUID("12345678-1234-5678-1234-567812345678"), id="UUID"),
        pytest.param(_Label("加急"), id="str subclass"),
        pytest.param({1: "一", 2.5: "二"}, id="non-str keys"),
    ],
)
def test_a_value_orjson_writes_differently_comes_back_as_json_wrote_it(runtime: Runtime, value: Any) -> None:
    workflow, parsed = _started_workflow(runtime)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data["odd"] = value
    now = runtime.serializer.dumps(workflow)
    assert now == runtime.serializer._serializer.serialize_json(workflow)  # the whole state by json
    came_back = runtime.serializer.loads(now, parsed, runtime.script_engine).get_task_from_id(task.id)
    before = runtime.serializer.loads(
        runtime.serializer._serializer.serialize_json(workflow), parsed, runtime.script_engine
    ).get_task_from_id(task.id)
    odd, odd_before = came_back.data["odd"], before.data["odd"]
    assert type(odd) is type(odd_before)
    assert repr(odd) == repr(odd_before)
    if isinstance(value, float):
        assert repr(odd) == repr(value)
