"""engine.bpmn.serializer: a case's saved state holds its own tasks and data, never the process spec, and comes
back as a workflow that carries on where it stopped."""

from __future__ import annotations

import json

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
