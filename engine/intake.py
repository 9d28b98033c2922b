"""The first user task of a process: its form is the intake form that opens a case."""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .definitions import ParsedDefinition, UserTaskInfo
from .runtime import Engine


def intake_task(engine: Engine, parsed: ParsedDefinition) -> UserTaskInfo | None:
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=engine.script_engine)
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    return parsed.user_tasks.get(ready[0].task_spec.bpmn_id) if ready else None
