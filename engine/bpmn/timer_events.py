"""Timer event definitions that ask the injected clock instead of the system time.

SpiffWorkflow's own timer definitions call datetime.now() directly; these subclasses take "now" from
the clock the workflow's script engine carries, so tests and the scheduler decide when a timer is due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task as SpiffTask

from engine.bpmn.durations import iso_duration
from engine.clock import Clock
from engine.errors import HotlineError


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
        return iso_duration(value)
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


_CYCLE = re.compile(r"^R(\d*)/([^/]+)(?:/([^/]+))?$")


class CycleInvalid(HotlineError, ValueError):
    """A timeCycle value that is no repetition the engine can run (R0/…, Rx/PT1H, empty, …)."""

    code = "timer-cycle-invalid"


@dataclass(frozen=True)
class Cycle:
    """A repeating timer's value: how many times (None: until its activity ends), the first time, and the
    time between two repetitions."""

    count: int | None
    first: datetime
    every: timedelta


def parse_cycle(value: object, now: datetime, zone: tzinfo = UTC) -> Cycle:
    """R3/PT1H (three times, the first an hour from now), R/PT10M (until the activity ends) or
    R3/2026-12-01T08:00:00/PT1H (three times from that moment; without a zone, the hotline's time).
    The durations are plain time, as timeDuration's are."""
    text = str(value).strip().upper() if isinstance(value, str) else ""
    match = _CYCLE.match(text)
    if match is None:
        raise CycleInvalid("a repetition such as R3/PT1H, R/PT10M or R3/2026-12-01T08:00:00/PT1H")
    count_text, first_part, second_part = match.groups()
    count = int(count_text) if count_text else None
    if count == 0:
        raise CycleInvalid("a repetition at least once (R1/… or more; R0 never fires)")
    try:
        if second_part is None:
            every = _plain_duration(first_part, now)
            return Cycle(count, now + every, every)
        start = datetime.fromisoformat(first_part)
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone)
        return Cycle(count, start.astimezone(UTC), _plain_duration(second_part, start))
    except (ValueError, CycleInvalid) as err:
        raise CycleInvalid(
            "a repetition such as R3/PT1H or R3/2026-12-01T08:00:00/PT1H (a start and a duration)"
        ) from err


def _plain_duration(text: str, start: datetime) -> timedelta:
    try:
        every: timedelta = TimerEventDefinition.get_timedelta_from_start(iso_duration(text), start)
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
        raise CycleInvalid("a duration such as PT1H") from err
    if every <= timedelta(0):
        raise CycleInvalid("a duration longer than nothing")
    return every


def _cycle_of(task: SpiffTask, expression: str) -> Cycle:
    value = task.workflow.script_engine.evaluate(task, expression)
    zone = getattr(task.workflow.script_engine, "zone", UTC)
    try:
        return parse_cycle(value, clock_of(task).now(), zone)
    except CycleInvalid as err:
        raise _unusable(task, expression, value, str(err)) from err


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A repeating timer on a non-interrupting boundary event (a reminder while a task is open): each
    time it falls due its path runs once more, until its count is used up or its activity ends.

    The task keeps waiting throughout; its internal data holds the next due time and how many times it
    has fired (`fired`), which numbers its rows in the timer table (one row per repetition)."""

    def cycle_complete(self, my_task: SpiffTask) -> bool:
        event_value: dict[str, Any] | None = my_task._get_internal_data("event_value")
        if event_value is None:
            cycle = _cycle_of(my_task, self.expression)
            event_value = {
                "cycles": -1 if cycle.count is None else cycle.count,
                "next": cycle.first.isoformat(),
                "duration": cycle.every.total_seconds(),
                "fired": 0,
            }
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= clock_of(my_task).now():
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                event_value["fired"] = event_value.get("fired", 0) + 1
                ready = True
        # Used up: the timer waits, without a due time, until its activity ends (it never completes, so
        # its path is not taken once more).
        my_task._set_internal_data(event_value=event_value)
        return ready


class ClockFirstCycleEventDefinition(TimeDateEventDefinition):
    """A repeating timer where only its first time can matter: on an interrupting boundary event (the
    first repetition interrupts) and on an intermediate catch event (the flow goes on at the first)."""

    def has_fired(self, my_task: SpiffTask) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = _cycle_of(my_task, self.expression).first.isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= clock_of(my_task).now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


def repetition(task: SpiffTask) -> int:
    """How many times a repeating timer has fired (0 for any other timer): its current row's number."""
    value = task.internal_data.get("event_value")
    return int(value.get("fired", 0)) if isinstance(value, dict) else 0


def move_due(task: SpiffTask, moved: datetime) -> None:
    """Set a waiting timer's due time (a paused task's deadline moves)."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        task._set_internal_data(event_value={**value, "next": moved.isoformat()})
    else:
        task._set_internal_data(event_value=moved.isoformat())


def due_time(task: SpiffTask) -> datetime | None:
    """The due time a waiting timer task has computed, in UTC, or None if it has none yet (or a
    repeating timer has used up its count)."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next") if value.get("cycles") != 0 else None
    if not isinstance(value, str):
        return None
    try:
        moment: datetime = TimerEventDefinition.get_datetime(value)
        return moment.astimezone(UTC)
    except ValueError:
        return None
