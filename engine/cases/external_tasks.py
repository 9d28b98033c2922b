"""External task rows: what waits for a worker outside the system, and its locks, failures and
incidents (issue 21). The runner writes a row when a case reaches an external task and completes the
step (engine.cases.runner.complete_external_task); everything else a worker or a supervisor does to
a task is here, on the caller's session, committed by the caller.

Fetch-and-lock takes rows that are open, not locked (or whose lock ran out) and not waiting for a
retry; on PostgreSQL with FOR UPDATE SKIP LOCKED, so two workers fetching at once never get the
same task. SQLite runs one writing transaction at a time, which gives the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import RESERVED_NAMES, FieldError, ParsedDefinition, retry_cycle_of, waiting_external_tasks
from engine.bpmn import ExternalTask as ExternalTaskSpec
from engine.cases.projection import EventRow, event_row
from engine.db import Event, ExternalTaskRow, ProcessInstance
from engine.errors import Conflict, FormInvalid, NotFound

ERROR_LIMIT = 500
DETAILS_LIMIT = 20_000
MAX_LOCK = timedelta(days=1)
_VARIABLE_NAME = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_]{0,99}$")


@dataclass(frozen=True)
class LockedTask:
    """A task a worker fetched and locked, with the case data it asked for."""

    task: ExternalTaskRow
    case_number: str
    process_key: str
    variables: dict[str, Any]


def sync_external_tasks(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    parsed: ParsedDefinition,
    now: datetime,
    completed_guid: str | None,
) -> list[EventRow]:
    """Write a row for each external task the case now waits at, and close the rows of those it left
    (an interrupting deadline, say); returns the history events of the new ones."""
    waiting = {str(t.id): t for t in waiting_external_tasks(workflow.tasks.values())}
    rows = {
        r.task_guid: r
        for r in session.scalars(
            select(ExternalTaskRow).where(
                ExternalTaskRow.instance_id == instance.id, ExternalTaskRow.status.in_(("open", "incident"))
            )
        )
    }
    for guid, row in rows.items():
        if guid not in waiting and guid != completed_guid:
            row.status, row.completed_at, row.worker_id, row.lock_until = "cancelled", now, None, None
    events: list[EventRow] = []
    for guid, task in waiting.items():
        if guid in rows:
            continue
        spec: ExternalTaskSpec = task.task_spec
        name = spec.bpmn_name or spec.bpmn_id
        session.add(
            ExternalTaskRow(
                instance_id=instance.id,
                task_guid=guid,
                element_id=spec.bpmn_id,
                name=name[:200],
                topic=spec.topic,
                status="open",
                created_at=now,
            )
        )
        events.append(
            event_row(
                instance.id,
                now,
                "system",
                "external_task_waiting",
                spec.bpmn_id,
                name,
                {"topic": [None, spec.topic]},
            )
        )
    return events


def checked_variables(variables: dict[str, Any] | None) -> dict[str, Any]:
    """Variables a worker sets on the case: names a script may use, values JSON already gave us."""
    variables = variables or {}
    errors = {
        name: "not_variable_name"
        for name in variables
        if not _VARIABLE_NAME.match(name) or name in RESERVED_NAMES
    }
    if errors:
        raise FormInvalid({name: FieldError(code) for name, code in errors.items()}, variables)
    return dict(variables)


def fetch_and_lock(
    session: Session,
    worker_id: str,
    topics: dict[str, timedelta],
    now: datetime,
    max_tasks: int = 1,
    variable_names: dict[str, list[str] | None] | None = None,
) -> list[LockedTask]:
    """Lock up to `max_tasks` open tasks of the topics for the worker (each topic with its lock
    duration) and return them with the case's variables (only those named, where the topic names any)."""
    if not topics:
        return []
    free = or_(ExternalTaskRow.lock_until.is_(None), ExternalTaskRow.lock_until <= now)
    due = or_(ExternalTaskRow.next_retry_at.is_(None), ExternalTaskRow.next_retry_at <= now)
    query = (
        select(ExternalTaskRow)
        .where(and_(ExternalTaskRow.status == "open", ExternalTaskRow.topic.in_(list(topics)), free, due))
        .order_by(ExternalTaskRow.created_at, ExternalTaskRow.id)
        .limit(max_tasks)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    locked: list[LockedTask] = []
    for row in session.scalars(query).all():
        row.worker_id, row.lock_until = worker_id, now + min(topics[row.topic], MAX_LOCK)
        instance = session.get(ProcessInstance, row.instance_id)
        assert instance is not None
        data = dict(instance.data or {})
        names = (variable_names or {}).get(row.topic)
        if names is not None:
            data = {k: v for k, v in data.items() if k in names}
        locked.append(LockedTask(row, instance.case_number, instance.process_key, data))
    session.flush()
    return locked


def external_task_by_id(session: Session, task_id: int) -> ExternalTaskRow:
    row = session.get(ExternalTaskRow, task_id)
    if row is None:
        raise NotFound(f"external task {task_id} does not exist")
    return row


def locked_by(
    session: Session, task_id: int, worker_id: str, now: datetime, *, for_update: bool = False
) -> ExternalTaskRow:
    """The task if `worker_id` holds its lock now; a Conflict says why not (done, not locked, another
    worker's, or the lock ran out)."""
    query = select(ExternalTaskRow).where(ExternalTaskRow.id == task_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query.execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(f"external task {task_id} does not exist")
    if row.status != "open":
        raise Conflict(
            f"external task {task_id} is {row.status}; nothing to do",
            "external_task_closed",
            status=row.status,
        )
    if row.worker_id != worker_id or row.lock_until is None or row.lock_until <= now:
        raise Conflict(
            f"external task {task_id} is not locked by worker '{worker_id}' (its lock ran out or another "
            "worker holds it); fetch it again",
            "external_task_not_locked",
            task=task_id,
            worker=worker_id,
        )
    return row


def fail_external_task(
    session: Session,
    task_id: int,
    worker_id: str,
    now: datetime,
    parsed: ParsedDefinition,
    error_message: str,
    error_details: str = "",
    retries: int | None = None,
    retry_timeout: timedelta | None = None,
) -> ExternalTaskRow:
    """The worker could not do it. With retries left it is offered again after the pause (the
    worker's, else the element's failedJobRetryTimeCycle); at none it is an incident."""
    row = locked_by(session, task_id, worker_id, now, for_update=True)
    cycle = retry_cycle_of(_spec_of(parsed, row.element_id))
    if retries is None:
        retries = (row.retries if row.retries is not None else cycle.retries) - 1
    retries = max(0, retries)
    pause = retry_timeout if retry_timeout is not None else cycle.pause_before(retries)
    row.retries, row.failed_at = retries, now
    row.error_message = (error_message or "")[:ERROR_LIMIT] or None
    row.error_details = (error_details or "")[:DETAILS_LIMIT] or None
    row.worker_id, row.lock_until = None, None
    row.next_retry_at = now + pause if retries > 0 else None
    if retries == 0:
        row.status = "incident"
    kind = "incident_raised" if retries == 0 else "external_task_failed"
    session.add(
        Event(
            **event_row(
                row.instance_id,
                now,
                worker_id,
                kind,
                row.element_id,
                row.name,
                {"error": [None, row.error_message], "retries": [None, retries]},
            )
        )
    )
    return row


def _spec_of(parsed: ParsedDefinition, element_id: str) -> Any:
    """The element's task spec, in the process or in one of its sub-processes."""
    for spec in (parsed.spec, *parsed.subprocess_specs.values()):
        if element_id in spec.task_specs:
            return spec.task_specs[element_id]
    return None


def extend_lock(
    session: Session, task_id: int, worker_id: str, duration: timedelta, now: datetime
) -> ExternalTaskRow:
    """Give the worker that holds the lock more time (counted from now)."""
    row = locked_by(session, task_id, worker_id, now, for_update=True)
    row.lock_until = now + min(duration, MAX_LOCK)
    return row


def unlock_external_task(session: Session, task_id: int, worker_id: str, now: datetime) -> ExternalTaskRow:
    """The worker gives the task back without failing it: others may fetch it at once."""
    row = locked_by(session, task_id, worker_id, now, for_update=True)
    row.worker_id, row.lock_until = None, None
    return row


def retry_external_incident(
    session: Session, task_id: int, actor: str, now: datetime, retries: int = 1
) -> bool:
    """A supervisor puts an external task whose retries ran out back in line for the workers."""
    row = session.get(ExternalTaskRow, task_id)
    if row is None or row.status != "incident":
        return False
    session.add(
        Event(
            **event_row(
                row.instance_id,
                now,
                actor,
                "incident_retried",
                row.element_id,
                row.name,
                {"error": [row.error_message, None], "retries": [0, retries]},
            )
        )
    )
    row.status, row.retries, row.next_retry_at = "open", retries, None
    return True


def external_incidents(session: Session) -> list[tuple[ExternalTaskRow, str]]:
    """External tasks whose retries ran out, with their case number, oldest failure first."""
    query = (
        select(ExternalTaskRow, ProcessInstance.case_number)
        .join(ProcessInstance, ProcessInstance.id == ExternalTaskRow.instance_id)
        .where(ExternalTaskRow.status == "incident")
        .order_by(ExternalTaskRow.failed_at)
    )
    return [(row, number) for row, number in session.execute(query).all()]


def open_external_tasks(session: Session, instance_id: int) -> list[ExternalTaskRow]:
    """What a case waits for from workers (open or incident), for its page."""
    query = (
        select(ExternalTaskRow)
        .where(ExternalTaskRow.instance_id == instance_id, ExternalTaskRow.status.in_(("open", "incident")))
        .order_by(ExternalTaskRow.id)
    )
    return list(session.scalars(query))
