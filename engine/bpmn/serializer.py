"""Workflow instance state to and from JSON, without the spec.

SpiffWorkflow embeds the whole process spec in every serialized workflow. Here the spec comes from
the parsed-definition cache instead, so a saved case holds only its own tasks and data.

Stored formats (the state's `format` field; `process_instance.serializer_version` says the same):
- none: SpiffWorkflow's dict with every task the workflow ever made (states written before
  compaction). Still loaded as it is; its next save compacts it.
- `compact-1`: the same dict after `engine.bpmn.compaction.compact` cut off the finished past, with
  `passed_element_ids` (the bpmn ids of the tasks cut off).

The text is written by `engine.json_text` (orjson: compact, UTF-8 rather than \\u escapes) and was
written by `json.dumps` before: both are the same JSON document, which either reader reads to the same
values, so the text's writer is no part of the format and changing it changed no format id.
"""

from __future__ import annotations

from copy import deepcopy
from functools import partial
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import MultiInstanceTaskConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.dictionary import DictionaryConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine import json_text
from engine.bpmn.business_rules import DecisionTask, DecisionTaskConverter
from engine.bpmn.compaction import compact, passed_element_ids, set_passed_element_ids
from engine.bpmn.multi_instance import HotlineParallelMultiInstance, HotlineSequentialMultiInstance
from engine.bpmn.parser import ParsedDefinition

FORMAT = "compact-1"


def _task_dicts(tasks: dict[UUID, Task], registry: Any) -> dict[str, Any] | None:
    """The workflow's tasks as SpiffWorkflow's TaskConverter writes them when the state is saved as JSON
    (the registry's encoder mode: data and delta values are left to the JSON encoder), built here
    without going through the registry for each task; the same keys in the same order, the same values.
    None when a task is not a plain `Task`, or the registry would write one differently: then the
    registry writes them all."""
    typename = registry.typenames.get(Task)
    writer = registry.convert_to_dict.get(typename)
    # The registry's writer of a task: its TaskConverter's to_dict, with the typename added (DictionaryConverter).
    if (
        not getattr(registry, "_encoder_mode", False)
        or not isinstance(writer, partial)
        or writer.func != DictionaryConverter._obj_to_dict
        or type(getattr(writer.args[1], "__self__", None)) is not TaskConverter
    ):
        return None
    found: dict[str, Any] = {}
    for key, task in tasks.items():
        if type(task) is not Task:
            return None
        parent_id = task._parent
        parent = tasks.get(parent_id)
        if parent is None:
            data, delta = task.data, {}
        else:
            before, after = parent.data, task.data
            data = {}
            delta = {
                "updates": {k: after[k] for k in after if k not in before or after[k] != before[k]},
                "deletions": [k for k in before if k not in after],
            }
        internal = task.internal_data
        found[str(key)] = {
            "id": str(task.id),
            "parent": str(parent_id) if parent is not None else None,
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": {} if type(internal) is dict and not internal else registry.convert(internal),
            "data": data,
            "delta": delta,
            "typename": typename,
        }
    return found


def _restored_tasks(dcts: dict[str, Any], workflow: BpmnWorkflow, registry: Any) -> dict[UUID, Task] | None:
    """The workflow's tasks as SpiffWorkflow's TaskConverter restores them (the registry's
    `mapping_from_dict`), without the registry's round per task, and each id parsed once though it
    stands as the task's key, its id and in its parent's children. None, before anything is restored,
    when a task is not written as a plain `Task` or the registry would restore one differently."""
    typename = registry.typenames.get(Task)
    reader = registry.convert_from_dict.get(typename)
    # The registry's reader of a task: its TaskConverter's from_dict (DictionaryConverter).
    if (
        not isinstance(reader, partial)
        or reader.func != DictionaryConverter._obj_from_dict
        or type(getattr(reader.args[0], "__self__", None)) is not TaskConverter
        or any(type(d) is not dict or d.get("typename") != typename for d in dcts.values())
    ):
        return None
    restore = registry.restore
    specs = workflow.spec.task_specs
    tasks = workflow.tasks
    events = workflow.top_workflow.event_manager
    parsed: dict[str, UUID] = {}

    def uuid(text: str) -> UUID:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = UUID(text)
        return found

    restored: dict[UUID, Task] = {}
    for key, dct in dcts.items():
        task_spec = specs.get(dct["task_spec"])
        task = Task(workflow, task_spec, state=dct["state"], id=uuid(dct["id"]))
        task._parent = uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task._state & TaskState.WAITING:
            events.add_task(task)
        delta = dct.get("delta")
        parent = tasks.get(task._parent)
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            data.update(restore(delta.get("updates", {})))
            for name in delta.get("deletions", {}):
                if name in data:
                    del data[name]
        else:
            data = restore(dct["data"])
        task.data = data
        restored[uuid(key)] = task
    return restored


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        tasks = _task_dicts(workflow.tasks, self.registry)
        if tasks is None:
            dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        else:
            # WorkflowConverter.to_dict's keys in its order, the tasks written by _task_dicts.
            dct = {
                "data": self.registry.convert(self.registry.clean(workflow.data)),
                "correlations": workflow.correlations,
                "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
                "success": workflow.success,
                "completed": workflow.completed,
                "tasks": tasks,
                "root": str(workflow.task_tree.id),
            }
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["format"] = FORMAT
        dct["passed_element_ids"] = sorted(passed_element_ids(workflow))
        return dct

    def from_dict(
        self, dct: dict[str, Any], definition: ParsedDefinition | None = None, script_engine: Any = None
    ) -> BpmnWorkflow:
        if definition is None:
            raise ValueError("restoring a workflow needs its parsed definition")
        workflow = self.target_class(
            definition.spec, definition.subprocess_specs, script_engine=script_engine, deserializing=True
        )
        tasks = _restored_tasks(dct["tasks"], workflow, self.registry)
        workflow.tasks = (
            tasks if tasks is not None else self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        )
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        set_passed_element_ids(workflow, dct.get("passed_element_ids", ()))
        return workflow


def _config() -> dict[type, type]:
    """SpiffWorkflow's Camunda converters, with ours for the workflow itself."""
    config: dict[type, type] = deepcopy(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _StateOnlyWorkflowConverter
    config[DecisionTask] = DecisionTaskConverter
    config[HotlineParallelMultiInstance] = MultiInstanceTaskConverter
    config[HotlineSequentialMultiInstance] = MultiInstanceTaskConverter
    return config


class StateSerializer:
    def __init__(self) -> None:
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))
        # SpiffWorkflow's dict version and ours, as process_instance.serializer_version (≤ 20 characters).
        self.version = f"{self._serializer.VERSION}+{FORMAT}"
        # What SpiffWorkflow's `serialize_json` hands the JSON encoder: registered types (datetimes,
        # UUIDs, timedeltas...) as the registry's dicts, callables as null, sets as lists.
        self._encode_other = self._serializer._encoder_cls().default

    @property
    def registry(self) -> Any:
        """The spec converters, which SpiffWorkflow's spec diff compares task specs with."""
        return self._serializer.registry

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The workflow's state, compacted first: `compact` removes the finished past from the
        workflow itself, so the workflow kept in memory is the one the state restores."""
        compact(workflow)
        # SpiffWorkflow's `serialize_json`, with its `json.dumps` made by `json_text.dumps`.
        serializer = self._serializer
        serializer.registry._encoder_mode = True
        try:
            dct = serializer.to_dict(workflow)
            dct[serializer.VERSION_KEY] = serializer.VERSION
            return json_text.dumps(dct, self._encode_other)
        finally:
            serializer.registry._encoder_mode = False

    def loads(self, text: str, definition: ParsedDefinition, script_engine: Any) -> BpmnWorkflow:
        dct = json_text.loads(text)
        self._serializer.migrate(dct)
        return self._serializer.registry.restore(dct, definition=definition, script_engine=script_engine)
