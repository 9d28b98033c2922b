"""Timer event definitions that ask the injected clock instead of the system time.

SpiffWorkflow's own timer definitions call datetime.now() directly; these subclasses take "now" from
the clock the workflow's script engine carries, so tests and the scheduler decide when a timer is due.
"""

from __future__ import annotations

from datetime import UTC, datetime

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task as SpiffTask

from engine.clock import Clock


def clock_of(task: SpiffTask) -> Clock:
    """The clock of the runtime that runs the workflow (its script engine carries it)."""
    clock: Clock = task.workflow.script_engine.clock
    return clock


def _with_zone(value: object, task: SpiffTask, expression: str) -> str:
    """A date-time without a zone means the hotline's local time, not the server's."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    except ValueError as err:
        raise _unusable(task, expression, value, "date and time (such as 2026-11-23T17:30)") from err
    if moment.tzinfo is None:
        zone = getattr(task.workflow.script_engine, "zone", UTC)
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def _unusable(task: SpiffTask, expression: str, value: object, expected: str) -> WorkflowTaskException:
    """A timer whose expression gave no usable time (an empty or mistyped field): said as a failed step of
    the case, so the person completing the step before it, or the incident page, reads why."""
    shown = "nothing" if value is None or str(value).strip() == "" else repr(value)
    return WorkflowTaskException(
        f"the timer's expression '{expression}' gave {shown}, which is not a {expected}; "
        "correct the data the timer reads, or the timer",
        task=task,
    )


def _duration(value: object, task: SpiffTask, expression: str) -> object:
    if not isinstance(value, str) or not value.strip():
        raise _unusable(task, expression, value, "duration (such as PT2H)")
    try:
        return TimerEventDefinition.parse_iso_duration(value)
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
        raise _unusable(task, expression, value, "duration (such as PT2H)") from err


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task: SpiffTask) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = _with_zone(event_value, my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= clock_of(my_task).now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task: SpiffTask) -> bool:
        now = clock_of(my_task).now()
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = _duration(expression, my_task, self.expression)
            event_value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


def due_time(task: SpiffTask) -> datetime | None:
    """The due time a waiting timer task has computed, in UTC, or None if it has none yet."""
    value = task.internal_data.get("event_value")
    if not isinstance(value, str):
        return None
    try:
        moment: datetime = TimerEventDefinition.get_datetime(value)
        return moment.astimezone(UTC)
    except ValueError:
        return None
