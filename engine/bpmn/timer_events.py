"""Timer event definitions that ask the injected clock instead of the system time.

SpiffWorkflow's own timer definitions call datetime.now() directly; these subclasses take "now" from
the clock the workflow's script engine carries, so tests and the scheduler decide when a timer is due.
"""

from __future__ import annotations

from datetime import UTC, datetime

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


def _with_zone(value: object, task: SpiffTask) -> str:
    """A date-time without a zone means the hotline's local time, not the server's."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        zone = getattr(task.workflow.script_engine, "zone", UTC)
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task: SpiffTask) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = _with_zone(event_value, my_task)
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
            parsed = TimerEventDefinition.parse_iso_duration(expression)
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
