"""A user task's deadline, follow-up date and priority as Camunda writes them (camunda:dueDate,
followUpDate, priority): an ISO date-time, an ISO duration from the task's creation, a number, or
${field} of the case data. Durations count on the business calendar: whole days are working days
(P2D from a Friday is Tuesday's closing time), hours and minutes are clock time."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.durations import LONGEST_DAYS, iso_duration
from engine.calendar import BusinessCalendar
from engine.errors import HotlineError

DEFAULT_PRIORITY = 50  # Camunda's
_FIELD = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
_WHOLE_DAYS = re.compile(r"^P(\d+)D$")


class TaskValueError(HotlineError, ValueError):
    """A deadline, follow-up date or priority that cannot be read; says the value and what was expected."""

    code = "task-value"


def field_of(expression: str) -> str | None:
    """The field a ${field} expression reads, if it is one."""
    match = _FIELD.match(expression.strip())
    return match.group(1) if match else None


def _value(expression: str, data: dict[str, Any]) -> Any:
    field = field_of(expression)
    return data.get(field) if field else expression.strip()


def task_moment(expression: str, data: dict[str, Any], created: datetime, zone: ZoneInfo) -> datetime | None:
    """The moment a dueDate or followUpDate names for a task created at `created`; None when the
    diagram or the case data gives none. TaskValueError for a value that is no date-time or duration."""
    value = _value(expression, data) if expression.strip() else None
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    calendar = BusinessCalendar(zone)
    if isinstance(value, date):
        return calendar.closing_time(value)
    text = str(value).strip()
    whole_days = _WHOLE_DAYS.match(text)
    if whole_days and 0 < int(whole_days.group(1)) <= LONGEST_DAYS:
        return calendar.working_days_after(created, int(whole_days.group(1)))
    if text.startswith("P"):
        try:
            parsed = iso_duration(text)
            moment: datetime = created + TimerEventDefinition.get_timedelta_from_start(parsed, created)
            return moment
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
            raise TaskValueError(f"{text!r} is no ISO duration (such as P2D or PT4H)") from err
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise TaskValueError(
            f"{text!r} is no ISO date-time (such as 2026-12-10T17:00) or duration (such as P2D)"
        ) from err
    if len(text) == 10:  # a date alone: the office's closing time that day
        return calendar.closing_time(moment.date())
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def task_priority(expression: str, data: dict[str, Any]) -> int:
    """The priority a task's camunda:priority gives (50 without one); TaskValueError for no whole number."""
    value = _value(expression, data) if expression.strip() else None
    if value is None or value == "":
        return DEFAULT_PRIORITY
    if isinstance(value, bool):
        raise TaskValueError(f"{value!r} is no whole number")
    try:
        return int(str(value).strip())
    except ValueError as err:
        raise TaskValueError(f"{value!r} is no whole number") from err
