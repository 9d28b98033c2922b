"""Workflow instance state to and from JSON, without the spec.

SpiffWorkflow embeds the whole process spec in every serialized workflow. Here the spec comes from
the parsed-definition cache instead, so a saved case holds only its own tasks and data.

Stored formats (the state's `format` field; `process_instance.serializer_version` says the same):
- none: SpiffWorkflow's dict with every task the workflow ever made (states written before
  compaction). Still loaded as it is; its next save compacts it.
- `compact-1`: the same dict after `engine.bpmn.compaction.compact` cut off the finished past, with
  `passed_element_ids` (the bpmn ids of the tasks cut off).
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import MultiInstanceTaskConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from engine.bpmn.business_rules import DecisionTask, DecisionTaskConverter
from engine.bpmn.compaction import compact, passed_element_ids, set_passed_element_ids
from engine.bpmn.multi_instance import HotlineParallelMultiInstance, HotlineSequentialMultiInstance
from engine.bpmn.parser import ParsedDefinition

FORMAT = "compact-1"


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
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

    @property
    def registry(self) -> Any:
        """The spec converters, which SpiffWorkflow's spec diff compares task specs with."""
        return self._serializer.registry

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The workflow's state, compacted first: `compact` removes the finished past from the
        workflow itself, so the workflow kept in memory is the one the state restores."""
        compact(workflow)
        text: str = self._serializer.serialize_json(workflow)
        return text

    def loads(self, text: str, definition: ParsedDefinition, script_engine: Any) -> BpmnWorkflow:
        dct = json.loads(text)
        self._serializer.migrate(dct)
        return self._serializer.registry.restore(dct, definition=definition, script_engine=script_engine)
