"""Multi-instance user tasks: one task per item of a list in the case data, or a number of them.

Drawn as Camunda Modeler writes it: `bpmn:multiInstanceLoopCharacteristics` on a user task, parallel
(three bars upright) or sequential (`isSequential="true"`), with
- `camunda:collection`: the case data item holding the list (`assisting_departments` or
  `${assisting_departments}`), one instance per item;
- `camunda:elementVariable`: the name each instance sees its item under (its candidate groups, due
  date and form may use it: `${assisting_department}`);
- or `bpmn:loopCardinality`: how many instances (a number, or an expression over the case data);
- `bpmn:completionCondition` (optional): checked after each instance; once true, the instances still
  open are withdrawn and the case goes on. It may use Camunda's counters `nrOfInstances`,
  `nrOfCompletedInstances` and `nrOfActiveInstances`, and the values of the instance just done.

Each instance is a task of its own (claimed, drafted and completed on its own, with its own deadline).
What each instance's form recorded, with its item, is kept in the case data under
`<element id>_results`, one entry per completed instance in the order they completed: the next steps
(a lead department's reply) read them there. Camunda itself writes form values into the process scope,
where parallel instances overwrite each other; here nothing of one instance is lost.

SpiffWorkflow's own Camunda multi-instance task writes each instance's item back into the collection
and forgets its form; these classes replace it. A collection that is missing or not a list when the
case reaches the step is a failed step naming the element and the variable (an incident), never a
raw exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import (
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.juel import python_of
from engine.errors import ScriptFailed

RESULTS_SUFFIX = "_results"
# Camunda's counters, offered to a completion condition.
COUNTERS = ("nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances", "loopCounter")


def results_name(element_id: str) -> str:
    """The case data item that keeps what each instance of the element recorded."""
    return f"{element_id}{RESULTS_SUFFIX}"


def is_instance(task: SpiffTask) -> bool:
    """Whether the task is one instance of a multi-instance step."""
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, MultiInstanceTask)


class _Instances(MultiInstanceTask):
    """What both kinds share: the collection checked, each instance's values kept, the counters."""

    collection: str | None = None

    def _begin(self, my_task: SpiffTask) -> None:
        """Called once the step has its data, before its first instance opens."""
        if self.data_input is not None:
            self._check_collection(my_task)
        my_task.data[results_name(self.bpmn_id)] = []

    def _check_collection(self, my_task: SpiffTask) -> None:
        name = self.data_input.bpmn_id
        if name not in my_task.data:
            raise ScriptFailed(
                self.bpmn_id,
                f"the multi-instance step '{self.bpmn_name or self.bpmn_id}' runs once per item of "
                f"'{name}', which the case data does not hold. Let an earlier step's form or script "
                f"set '{name}' to a list (it may be empty).",
            )
        value = my_task.data[name]
        if value is None:
            my_task.data[name] = []  # an optional multi-select left empty: no instance
        elif not isinstance(value, list):
            raise ScriptFailed(
                self.bpmn_id,
                f"the multi-instance step '{self.bpmn_name or self.bpmn_id}' runs once per item of "
                f"'{name}', which holds {type(value).__name__} {value!r}, not a list.",
            )

    def _check_cardinality(self, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ScriptFailed(
                self.bpmn_id,
                f"the loop cardinality {self.cardinality} of '{self.bpmn_name or self.bpmn_id}' "
                f"gives {value!r}, not a number of instances (0 or more).",
            )

    def create_child(self, my_task: SpiffTask, item: Any, key_or_index: Any = None) -> None:
        super().create_child(my_task, item, key_or_index)
        child = my_task.children[-1]
        child.data["loopCounter"] = len(list(self._instances(my_task))) - 1

    def merge_child(self, workflow: Any, child: SpiffTask) -> None:
        my_task = child.parent
        fields = [f.id for f in getattr(getattr(child.task_spec, "form", None), "fields", [])]
        entry = {key: child.data[key] for key in fields if key in child.data}
        if self.input_item is not None:
            entry[self.input_item.bpmn_id] = child.data.get(self.input_item.bpmn_id)
        results = list(my_task.data.get(results_name(self.bpmn_id)) or [])
        results.append(entry)
        my_task.data[results_name(self.bpmn_id)] = results
        my_task.internal_data["merged"].append(str(child.id))

    def check_completion_condition(self, my_task: SpiffTask) -> bool:
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return False
        last = next((c for c in my_task.children if str(c.id) == merged[-1]), None)
        instances = list(self._instances(my_task))
        counters = {
            "nrOfInstances": len(instances) + len(my_task.internal_data.get("remaining", [])),
            "nrOfCompletedInstances": len(merged),
            "nrOfActiveInstances": sum(1 for c in instances if c.state == TaskState.READY),
        }
        engine = my_task.workflow.script_engine
        return bool(engine.evaluate(last or my_task, self.condition, external_context=counters))


class HotlineParallelMultiInstance(ParallelMultiInstanceTask, _Instances):
    """All instances open at once; the step is done when every one is (or the condition holds)."""

    def create_children(self, my_task: SpiffTask) -> None:
        self._begin(my_task)
        if self.data_input is None:
            self._check_cardinality(my_task.workflow.script_engine.evaluate(my_task, self.cardinality))
        super().create_children(my_task)


class HotlineSequentialMultiInstance(SequentialMultiInstanceTask, _Instances):
    """One instance after the other, in the order of the list."""

    def init_remaining_items(self, my_task: SpiffTask) -> Any:
        self._begin(my_task)
        return super().init_remaining_items(my_task)

    def add_next_child(self, my_task: SpiffTask) -> None:
        if self.data_input is None and not my_task.internal_data.get("merged"):
            self._check_cardinality(my_task.internal_data.get("cardinality"))
            if my_task.internal_data.get("current") == 0:
                self._begin(my_task)
        super().add_next_child(my_task)

    def children_complete(self, my_task: SpiffTask) -> bool:
        if self.data_input is None:
            self._check_cardinality(my_task.internal_data.get("cardinality"))
        return bool(super().children_complete(my_task))


def _expression(text: str | None) -> str | None:
    """A cardinality or collection as the sandbox reads it: ${x} and #{x} become x."""
    if text is None or not text.strip():
        return None
    return python_of(text.strip()) or text.strip()


class MultiInstanceUserTaskParser(UserTaskParser):
    """A user task, multi-instance when the diagram marks it so (engine.bpmn.multi_instance)."""

    task: Any

    def _add_multiinstance_task(self, loop_characteristics: Any) -> None:
        sequential = loop_characteristics.get("isSequential") == "true"
        prefix = "bpmn:multiInstanceLoopCharacteristics"
        cardinality = self.xpath(f"./{prefix}/bpmn:loopCardinality")
        cardinality_text = _expression(cardinality[0].text if cardinality else None)
        collection = _expression(self.attribute("collection", "camunda", loop_characteristics))
        element_variable = (self.attribute("elementVariable", "camunda", loop_characteristics) or "").strip()
        condition = self.xpath(f"./{prefix}/bpmn:completionCondition")
        condition_text = _expression(condition[0].text if condition else None)
        if cardinality_text is None and collection is None:
            self.raise_validation_exception(
                "a multi-instance task needs camunda:collection (a list in the case data) or a loop cardinality"
            )
        if collection is not None and not collection.isidentifier():
            self.raise_validation_exception(
                f"camunda:collection {collection}: name the case data item holding the list (items or ${{items}})"
            )
        if element_variable and not element_variable.isidentifier():
            self.raise_validation_exception(
                f"camunda:elementVariable {element_variable}: the name must be a Python name"
            )
        original = self.spec.task_specs.pop(self.task.name)
        params: dict[str, Any] = {
            "task_spec": "",
            "cardinality": None if collection is not None else cardinality_text,
            "data_input": TaskDataReference(collection) if collection is not None else None,
            "input_item": TaskDataReference(element_variable) if element_variable else None,
            "condition": condition_text,
        }
        kind = HotlineSequentialMultiInstance if sequential else HotlineParallelMultiInstance
        task = kind(self.spec, original.name, description="Multi-instance", **params)
        task.bpmn_name = original.bpmn_name
        self.task = task
        self._copy_task_attrs(original, loop_characteristics)


def form_spec(spec: Any) -> Any:
    """The task spec that holds a user task's form: the step's own, or its instances' when it is
    multi-instance (the step then only splits and joins)."""
    if isinstance(spec, MultiInstanceTask):
        return spec._wf_spec.task_specs.get(spec.task_spec, spec)
    return spec


def instance_item(task: SpiffTask) -> tuple[str, Any] | None:
    """The element variable and item an instance works on, when its step names one."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return None
    item = parent.task_spec.input_item
    if item is None:
        return None
    return item.bpmn_id, task.data.get(item.bpmn_id)


def instance_results(data: Mapping[str, Any], element_id: str) -> list[dict[str, Any]]:
    """What each completed instance of the element recorded (engine.bpmn.multi_instance)."""
    value = data.get(results_name(element_id))
    return [dict(v) for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
