"""Business rule tasks: a step that runs a deployed DMN decision and puts its outputs in the case data.

The diagram names the decision (camunda:decisionRef) and, optionally, a fixed version
(camunda:decisionRefBinding="version" with camunda:decisionRefVersion); otherwise the newest version
runs, read when the step runs, so an administrator's new table routes the next case without a new
diagram. The engine below has no database: the unit of work lends it the decisions while a case runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
# Bindings read here; Camunda's others ("deployment", "versionTag") are refused by validation.
BINDINGS = ("latest", "version")

Evaluator = Callable[[str, int | None, dict[str, Any]], dict[str, Any]]
_current: ContextVar[Evaluator | None] = ContextVar("hotline_decisions", default=None)


@contextmanager
def decisions_in_use(evaluator: Evaluator) -> Iterator[None]:
    """Let business rule tasks run inside this block evaluate decisions with `evaluator`."""
    token = _current.set(evaluator)
    try:
        yield
    finally:
        _current.reset(token)


class DecisionTask(BpmnSpecMixin):
    """bpmn:businessRuleTask: the decision's outputs merged into the task's data by name."""

    def __init__(
        self,
        wf_spec: Any,
        bpmn_id: str,
        decision_ref: str = "",
        decision_version: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_ref = decision_ref
        self.decision_version = decision_version

    def _run_hook(self, my_task: Any) -> bool:
        evaluator = _current.get()
        if evaluator is None:
            raise LookupError("decisions are evaluated only while a case runs")
        my_task.data.update(evaluator(self.decision_ref, self.decision_version, dict(my_task.data)))
        super()._run_hook(my_task)
        return True


def decision_reference(node: Any) -> tuple[str, int | None]:
    """The decision a businessRuleTask element names, and its fixed version (None: the newest)."""
    ref = (node.get(f"{{{CAMUNDA_NS}}}decisionRef") or "").strip()
    binding = (node.get(f"{{{CAMUNDA_NS}}}decisionRefBinding") or "latest").strip()
    version = (node.get(f"{{{CAMUNDA_NS}}}decisionRefVersion") or "").strip()
    if binding == "version" and version.isdigit():
        return ref, int(version)
    return ref, None


class DecisionTaskParser(TaskParser):
    @staticmethod
    def get_decision_ref(node: Any) -> str:
        """What SpiffWorkflow lists among a file's DMN dependencies (the decision itself is not read here)."""
        return decision_reference(node)[0]

    def create_task(self) -> DecisionTask:
        ref, version = decision_reference(self.node)
        return DecisionTask(
            self.spec, self.bpmn_id, decision_ref=ref, decision_version=version, **self.bpmn_attributes
        )


class DecisionTaskConverter(TaskSpecConverter):
    """For SpiffWorkflow's spec comparison (migration): the decision named is part of the step."""

    def to_dict(self, spec: DecisionTask) -> dict[str, Any]:
        dct: dict[str, Any] = self.get_default_attributes(spec)
        dct["decision_ref"] = spec.decision_ref
        dct["decision_version"] = spec.decision_version
        return dct

    def from_dict(self, dct: dict[str, Any]) -> DecisionTask:
        spec: DecisionTask = self.task_spec_from_dict(dct)
        return spec
