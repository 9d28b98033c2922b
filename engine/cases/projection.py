"""Keeping the tables that pages read (human_task, timer, case summary) in step with the workflow.

Written in the same transaction as the state, so a list never disagrees with the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import (
    ClockDurationTimerEventDefinition,
    ClockTimeDateEventDefinition,
    ParsedDefinition,
    candidate_groups_for,
    due_time,
)
from engine.cases.search_text import search_text
from engine.db import HumanTask, HumanTaskGroup, ProcessInstance, Timer

SUMMARY_FIELDS = ("category", "department", "customer_name", "customer_phone", "address", "priority")


def waiting_timers(workflow: BpmnWorkflow) -> list[SpiffTask]:
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(task.task_spec, CatchingEvent) and isinstance(
            definition, ClockDurationTimerEventDefinition | ClockTimeDateEventDefinition
        ):
            timers.append(task)
    return timers


def ready_user_tasks(workflow: BpmnWorkflow) -> list[SpiffTask]:
    ready: list[SpiffTask] = workflow.get_tasks(state=TaskState.READY, manual=True)
    return ready


def _due_of_user_task(task: SpiffTask, timers: list[SpiffTask]) -> datetime | None:
    """A user task's deadline: the earliest boundary timer waiting beside it."""
    beside = [due_time(t) for t in timers if t.parent is task.parent and t is not task]
    dues = [d for d in beside if d is not None]
    return min(dues) if dues else None


def sync_human_tasks(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    parsed: ParsedDefinition,
    now: datetime,
    timers: list[SpiffTask],
    completed_guid: str | None,
    actor: str,
) -> list[HumanTask]:
    """Open a row for each new ready user task, close rows whose task went away. Returns new rows."""
    open_rows = {
        row.task_guid: row
        for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
        )
    }
    ready = {str(task.id): task for task in ready_user_tasks(workflow)}
    for guid, row in open_rows.items():
        if guid == completed_guid:
            row.status, row.completed_at, row.completed_by = "completed", now, actor
        elif guid not in ready:
            row.status, row.completed_at = "cancelled", now
    created = []
    for guid, task in ready.items():
        if guid in open_rows:
            # A fired (non-interrupting) deadline leaves no waiting timer, but the task stays overdue.
            due = _due_of_user_task(task, timers)
            if due is not None:
                open_rows[guid].due_at = due
            continue
        info = parsed.user_tasks.get(task.task_spec.bpmn_id)
        groups = candidate_groups_for(info, task.data) if info else []
        row = HumanTask(
            instance_id=instance.id,
            task_guid=guid,
            element_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            candidate_groups=",".join(groups),
            status="open",
            created_at=now,
            due_at=_due_of_user_task(task, timers),
            groups=[HumanTaskGroup(group_name=g) for g in groups],
        )
        session.add(row)
        created.append(row)
    return created


def sync_timers(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    timers: list[SpiffTask],
    now: datetime,
    fired_now: Sequence[SpiffTask] = (),
) -> None:
    """One row per waiting timer with its due time; the scheduler reads only these rows.

    A timer that stopped waiting either fired (its task completed) or was cancelled with its activity.
    A timer that was due as soon as it started (`fired_now`) never waited; it gets a fired row all the
    same, so its deadline and lateness are on record.
    """
    rows = {
        row.task_guid: row
        for row in session.scalars(
            select(Timer).where(Timer.instance_id == instance.id, Timer.fired_at.is_(None))
        )
    }
    waiting = {str(t.id): t for t in timers}
    for guid, row in rows.items():
        if guid not in waiting:
            task = workflow.tasks.get(UUID(guid))
            fired = task is not None and task.state == TaskState.COMPLETED
            row.status, row.fired_at = ("fired" if fired else "cancelled"), now
    for guid, task in waiting.items():
        due = due_time(task)
        if due is None:
            continue
        if guid in rows:
            rows[guid].due_at = due
        else:
            session.add(
                Timer(
                    instance_id=instance.id,
                    task_guid=guid,
                    element_id=task.task_spec.bpmn_id,
                    due_at=due,
                    status="waiting",
                )
            )
    for task in fired_now:
        due = due_time(task)
        if str(task.id) not in rows and due is not None:
            session.add(
                Timer(
                    instance_id=instance.id,
                    task_guid=str(task.id),
                    element_id=task.task_spec.bpmn_id,
                    due_at=due,
                    status="fired",
                    fired_at=now,
                )
            )


def summary_values(
    data: dict[str, Any], workflow: BpmnWorkflow, open_task_names: list[str], now: datetime, case_number: str
) -> dict[str, Any]:
    values: dict[str, Any] = {field: _short(data.get(field)) for field in SUMMARY_FIELDS}
    values["search_text"] = search_text(
        (case_number, values["customer_name"], values["customer_phone"], values["address"])
    )
    values["data"] = data
    values["updated_at"] = now
    values["current_step"] = "、".join(open_task_names)[:200] or None
    if workflow.is_completed():
        values["status"] = "completed"
        values["closed_at"] = now
    return values


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:300]


class EventRow(TypedDict):
    """The values of one `event` row, as inserted in bulk with the rest of a unit of work's events."""

    instance_id: int
    at: datetime
    actor: str
    kind: str
    element_id: str | None
    element_name: str | None
    changes: dict[str, Any]


def event_row(
    instance_id: int,
    at: datetime,
    actor: str,
    kind: str,
    element_id: str | None = None,
    element_name: str | None = None,
    changes: dict[str, Any] | None = None,
) -> EventRow:
    """One history event, to be inserted with the others of its unit of work in one statement."""
    return {
        "instance_id": instance_id,
        "at": at,
        "actor": actor,
        "kind": kind,
        "element_id": element_id,
        "element_name": element_name,
        "changes": changes or {},
    }
