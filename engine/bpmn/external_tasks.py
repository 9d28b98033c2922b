"""Service tasks as external tasks, Camunda's own pattern: a service task with camunda:type="external"
and camunda:topic does nothing itself. The engine starts it and leaves it waiting (STARTED); a worker
outside the system fetches and locks it by topic through the API and completes it with variables or
reports a failure (engine/cases/external_tasks.py keeps the rows, the runner completes the step).

camunda:failedJobRetryTimeCycle (R3/PT5M, or a list PT1M,PT5M,PT10M) says how often and after how long
a failure is tried again when the worker's failure report leaves that to the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from engine.errors import HotlineError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_REPEAT = re.compile(r"^R(\d+)/(P.+)$")
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class RetryCycleInvalid(HotlineError, ValueError):
    """camunda:failedJobRetryTimeCycle that cannot be read (neither R<n>/<duration> nor a list of durations)."""

    code = "retry-cycle-invalid"


@dataclass(frozen=True)
class RetryCycle:
    """How many times a failed external task is offered again, and the pause before each try."""

    pauses: tuple[timedelta, ...]

    @property
    def retries(self) -> int:
        return len(self.pauses)

    def pause_before(self, retries_left: int) -> timedelta:
        """The pause before the try that leaves `retries_left` (the last pause repeats)."""
        if not self.pauses:
            return timedelta(0)
        index = max(0, min(len(self.pauses) - 1, len(self.pauses) - 1 - retries_left))
        return self.pauses[index]


# Camunda's default for a failing job: three tries, no pause.
DEFAULT_RETRY_CYCLE = RetryCycle((timedelta(0),) * 3)


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise RetryCycleInvalid(text)
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)


def parse_retry_cycle(text: str) -> RetryCycle:
    """R3/PT5M (three tries five minutes apart) or PT1M,PT5M,PT10M (a pause per try)."""
    text = text.strip()
    repeat = _REPEAT.match(text)
    if repeat:
        return RetryCycle((_duration(repeat.group(2)),) * int(repeat.group(1)))
    pauses = tuple(_duration(part) for part in text.split(",") if part.strip())
    if not pauses:
        raise RetryCycleInvalid(text)
    return RetryCycle(pauses)


class ExternalTask(ServiceTask):
    """A service task done by a worker outside: running it only leaves it waiting for one."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str = "", retry_cycle: str = "", **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.retry_cycle = retry_cycle

    def _run_hook(self, my_task: SpiffTask) -> bool | None:
        return None  # STARTED: the worker's completion finishes it


class ExternalTaskParser(CamundaTaskParser):
    def create_task(self) -> Any:
        cycle = self.node.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}failedJobRetryTimeCycle")
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            topic=(self.node.get(f"{{{CAMUNDA_NS}}}topic") or "").strip(),
            retry_cycle=((cycle.text or "") if cycle is not None else "").strip(),
            **self.bpmn_attributes,
        )


def retry_cycle_of(spec: Any) -> RetryCycle:
    """The element's retry cycle, Camunda's default where it has none (checked at deploy)."""
    text = getattr(spec, "retry_cycle", "")
    return parse_retry_cycle(text) if text else DEFAULT_RETRY_CYCLE


def waiting_external_tasks(tasks: Any) -> list[SpiffTask]:
    """The external tasks of a workflow that wait for a worker."""
    return [t for t in tasks if t.state == TaskState.STARTED and isinstance(t.task_spec, ExternalTask)]
