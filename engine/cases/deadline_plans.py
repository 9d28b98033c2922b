"""Graded deadlines' levels planned when a task opens: one `deadline_step` row per warning or
escalation level the task's diagram declares (engine.bpmn.deadline_levels), its due time on the
business calendar's working time. Fired by engine.cases.deadline_steps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from engine.bpmn import DeadlineLevel, ParsedDefinition
from engine.calendar import BusinessCalendar
from engine.db import DeadlineStep, DriverStatement, HumanTask


def level_due(
    level: DeadlineLevel, created: datetime, deadline: datetime, calendar: BusinessCalendar
) -> datetime:
    """When a level falls due: a warning at its share of the working time from the task's creation to
    its deadline (of the plain time when no working time lies between, as for a 30-minute deadline at
    night); an escalation its working hours after the deadline."""
    if level.kind == "escalation":
        return calendar.add_working_time(deadline, level.after)
    working = calendar.working_time_between(created, deadline)
    if working <= timedelta():
        return created + (deadline - created) * level.share
    return calendar.add_working_time(created, working * level.share)


def plan_steps(
    session: Session,
    instance_id: int,
    parsed: ParsedDefinition,
    tasks: Iterable[HumanTask],
    zone: ZoneInfo,
) -> None:
    """A row for each level of each newly opened task that has a deadline and declares levels."""
    calendar: BusinessCalendar | None = None
    rows = []
    for task in tasks:
        info = parsed.user_tasks.get(task.element_id)
        if info is None or not info.deadline_levels or task.due_at is None or task.id is None:
            continue
        if calendar is None:
            calendar = BusinessCalendar(zone)
        for level in info.deadline_levels:
            rows.append(
                {
                    "instance_id": instance_id,
                    "task_id": task.id,
                    "element_id": task.element_id,
                    "level": level.number,
                    "kind": level.kind,
                    "recipients": "+".join(level.recipients),
                    "channel": level.channel,
                    "due_at": level_due(level, task.created_at, task.due_at, calendar),
                    "deadline": task.due_at,
                    "status": "waiting",
                }
            )
    if rows:
        _INSERT_STEPS.execute(session, rows)


# Built once, on the table, and sent straight to the driver (engine.db.driver_statements).
_INSERT_STEPS = DriverStatement(insert(cast(Table, DeadlineStep.__table__)))
