"""ISO 8601 durations as diagrams and case data write them (P2D, PT4H, P1Y2M), read with
SpiffWorkflow's parser and bounded.

SpiffWorkflow turns years and months into days by walking the calendar one month at a time, and the
business calendar walks working days one by one: "P99999999Y" in a due date or a timer kept a worker
busy for hours (checking a diagram in the modeler, or starting the step). Nothing a case needs lies
further off than the years a case can have, so a longer duration is refused as any unreadable one is.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import HotlineError

LONGEST_YEARS = 300  # the dates a case can have span 1900 to 2200
LONGEST_DAYS = LONGEST_YEARS * 366
_DAYS_PER_UNIT = {"years": 366, "months": 31, "weeks": 7, "days": 1, "hours": 1 / 24, "minutes": 1 / 1440}


class DurationTooLong(HotlineError, ValueError):
    """A duration longer than LONGEST_YEARS; its callers say it as any duration they cannot read."""

    code = "duration-too-long"


def iso_duration(text: str) -> dict[str, Any]:
    """The parts of the duration (years, months, ..., seconds), as TimerEventDefinition's
    get_timedelta_from_start takes them; raises (a bare Exception from SpiffWorkflow for a text that is
    no duration, DurationTooLong for one too long)."""
    parsed: dict[str, Any] = TimerEventDefinition.parse_iso_duration(text)
    days = parsed.get("seconds", 0) / 86400
    days += sum(parsed.get(unit, 0) * per_unit for unit, per_unit in _DAYS_PER_UNIT.items())
    if days > LONGEST_DAYS:
        raise DurationTooLong(f"{text!r} is longer than {LONGEST_YEARS} years")
    return parsed
