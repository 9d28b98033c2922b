"""Call activities: a step that opens a case of another deployed procedure (by key, its latest version
or a fixed one) and waits until that child case ends. camunda:in passes the parent's variables to the
child when it opens, camunda:out the child's back when it ends (source/target, or variables="all").

The engine starts the call activity and leaves it waiting (STARTED); the runner opens the child case in
the parent's unit of work and, when the child ends, completes the call in the child's
(engine/cases/case_calls.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


@dataclass(frozen=True)
class VariableMapping:
    """Which variables cross from one case to the other: all of them, or each source as its target."""

    all_variables: bool = False
    pairs: tuple[tuple[str, str], ...] = ()

    def apply(self, data: dict[str, Any]) -> dict[str, Any]:
        mapped = dict(data) if self.all_variables else {}
        for source, target in self.pairs:
            if source in data:
                mapped[target] = data[source]
        return mapped


class CaseCall(ServiceTask):
    """A call activity: running it only leaves it waiting for its child case."""

    def __init__(
        self,
        wf_spec: Any,
        bpmn_id: str,
        called_element: str = "",
        version: int | None = None,
        variables_in: VariableMapping = VariableMapping(),
        variables_out: VariableMapping = VariableMapping(),
        **kwargs: Any,
    ):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.called_element = called_element
        self.version = version
        self.variables_in = variables_in
        self.variables_out = variables_out

    def _run_hook(self, my_task: SpiffTask) -> bool | None:
        return None  # STARTED: the child case's end completes it


def _mapping(node: Any, tag: str) -> VariableMapping:
    found = node.findall(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}{tag}")
    all_variables = any((m.get("variables") or "").strip() == "all" for m in found)
    pairs = tuple(
        (m.get("source") or "", m.get("target") or m.get("source") or "") for m in found if m.get("source")
    )
    return VariableMapping(all_variables, pairs)


class CaseCallParser(CamundaTaskParser):
    def create_task(self) -> Any:
        binding = (self.node.get(f"{{{CAMUNDA_NS}}}calledElementBinding") or "latest").strip()
        version_text = (self.node.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip()
        version = int(version_text) if binding == "version" and version_text.isdigit() else None
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            called_element=(self.node.get("calledElement") or "").strip(),
            version=version,
            variables_in=_mapping(self.node, "in"),
            variables_out=_mapping(self.node, "out"),
            **self.bpmn_attributes,
        )


def waiting_case_calls(tasks: Any) -> list[SpiffTask]:
    """The call activities of a workflow that wait for their child case."""
    return [t for t in tasks if t.state == TaskState.STARTED and isinstance(t.task_spec, CaseCall)]
