"""Keeping the tables that pages read (human_task, timer, case summary) in step with the workflow.

Written in the same transaction as the state, so a list never disagrees with the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict, cast
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn import (
    DEFAULT_PRIORITY,
    ClockCycleTimerEventDefinition,
    ClockDurationTimerEventDefinition,
    ClockFirstCycleEventDefinition,
    ClockTimeDateEventDefinition,
    ParsedDefinition,
    TaskValueError,
    UserTaskInfo,
    assignee_for,
    candidate_groups_for,
    due_time,
    is_instance,
    repetition,
    task_moment,
    task_priority,
)
from engine.cases.search_text import search_text
from engine.db import (
    DriverStatement,
    HumanTask,
    HumanTaskGroup,
    ProcessInstance,
    Timer,
    changed_values,
    loaded_columns,
    session_object,
    write,
    written_object,
)
from engine.errors import ScriptFailed
from engine.people import is_confidential, without_identity

SUMMARY_FIELDS = ("category", "department", "customer_name", "customer_phone", "address", "priority")

# The projection's writes as Core statements built once and sent straight to the driver
# (engine.db.driver_statements): compiled once per set of columns written, no ORM flush bookkeeping.
_tasks = cast(Table, HumanTask.__table__)
_task_groups = cast(Table, HumanTaskGroup.__table__)
_timers = cast(Table, Timer.__table__)
_INSERT_TASK = DriverStatement(insert(_tasks).returning(_tasks.c.id))
_INSERT_TASK_GROUPS = DriverStatement(insert(_task_groups))
_UPDATE_TASK = DriverStatement(update(_tasks).where(_tasks.c.id == bindparam("where_id")))
_INSERT_TIMERS = DriverStatement(insert(_timers))
_UPDATE_TIMER = DriverStatement(update(_timers).where(_timers.c.id == bindparam("where_id")))
# A timer row addressed by its task, when the unit knows the case's timers from its workflow as loaded.
_UPDATE_TIMER_OF_TASK = DriverStatement(
    update(_timers).where(
        _timers.c.instance_id == bindparam("where_instance"),
        _timers.c.task_guid == bindparam("where_guid"),
        _timers.c.repetition == bindparam("where_repetition"),
        _timers.c.fired_at.is_(None),
    )
)
# Read on the driver, the rows made the session's objects (engine.db.loaded_rows): an ORM load of
# each costs several times the statement.
_TASK_COLUMNS = loaded_columns(HumanTask)
_OPEN_TASK_ROWS = DriverStatement(
    select(*_TASK_COLUMNS).where(
        HumanTask.instance_id == bindparam("instance_id"), HumanTask.status == "open"
    )
)
_PENDING_TIMER_ROWS = select(Timer).where(
    Timer.instance_id == bindparam("instance_id"), Timer.fired_at.is_(None)
)


def _update_row(session: Session, statement: DriverStatement, row: HumanTask | Timer, **values: Any) -> None:
    """Write those of `values` the row does not hold yet (a column named in SET rewrites its index
    entries on SQLite even when it stays the same), and tell the row's object in the session without
    another SELECT."""
    changed = changed_values(row, values)
    if not changed:
        return
    write(session, statement, {**changed, "where_id": row.id})
    for name, value in changed.items():
        set_committed_value(row, name, value)


def is_clock_timer(task: SpiffTask) -> bool:
    """A timer event whose due time the engine's clock decides (engine.bpmn.timer_events)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(task.task_spec, CatchingEvent) and isinstance(
        definition,
        ClockDurationTimerEventDefinition
        | ClockTimeDateEventDefinition
        | ClockCycleTimerEventDefinition
        | ClockFirstCycleEventDefinition,
    )


def is_repeating_timer(task: SpiffTask) -> bool:
    """A timer that fires again and again while it waits (a reminder on a non-interrupting boundary)."""
    return isinstance(getattr(task.task_spec, "event_definition", None), ClockCycleTimerEventDefinition)


def timer_key(guid: str, number: int) -> str:
    """How a timer row is known while its case is saved: its task, and for a repeating timer's later
    repetitions their number as well (one row per repetition)."""
    return guid if number == 0 else f"{guid}#{number}"


def _guid_and_number(key: str) -> tuple[str, int]:
    guid, _, number = key.partition("#")
    return guid, int(number or 0)


def row_key(row: Timer) -> str:
    return timer_key(row.task_guid, row.repetition)


def _is_ready_user_task(task: SpiffTask) -> bool:
    return task.state == TaskState.READY and bool(task.task_spec.manual)


def _in_tree_order(workflow: BpmnWorkflow, state: int, found: list[SpiffTask]) -> list[SpiffTask]:
    """`found` in the order SpiffWorkflow's tree walk gives. The walk costs more than the look at
    `workflow.tasks` that found them, so it is made only when the order matters (more than one)."""
    if len(found) < 2:
        return found
    ids = {t.id for t in found}
    return [t for t in workflow.get_tasks(state=state) if t.id in ids]


def waiting_timers(workflow: BpmnWorkflow) -> list[SpiffTask]:
    found = [t for t in workflow.tasks.values() if t.state == TaskState.WAITING and is_clock_timer(t)]
    return _in_tree_order(workflow, TaskState.WAITING, found)


def ready_user_tasks(workflow: BpmnWorkflow) -> list[SpiffTask]:
    found = [t for t in workflow.tasks.values() if _is_ready_user_task(t)]
    return _in_tree_order(workflow, TaskState.READY, found)


def open_work(workflow: BpmnWorkflow) -> tuple[list[SpiffTask], list[SpiffTask]]:
    """`waiting_timers` and `ready_user_tasks` of the workflow, found in one look at its tasks."""
    timers, ready = [], []
    for task in workflow.tasks.values():
        if task.state == TaskState.WAITING:
            if is_clock_timer(task):
                timers.append(task)
        elif _is_ready_user_task(task):
            ready.append(task)
    return _in_tree_order(workflow, TaskState.WAITING, timers), _in_tree_order(
        workflow, TaskState.READY, ready
    )


def ready_user_task(workflow: BpmnWorkflow, guid: str) -> SpiffTask | None:
    """The ready user task with this guid, as `ready_user_tasks` would find it, without looking at the others."""
    task = workflow.tasks.get(UUID(guid))
    return task if task is not None and _is_ready_user_task(task) else None


def pending_timer_dues(timers: list[SpiffTask]) -> dict[str, datetime]:
    """The due time of each waiting timer by task guid: what the case's unfired timer rows hold, as
    `sync_timers` wrote them when the workflow was saved."""
    dues = {timer_key(str(t.id), repetition(t)): due_time(t) for t in timers}
    return {key: due for key, due in dues.items() if due is not None}


def _due_of_user_task(task: SpiffTask, timers: list[SpiffTask]) -> datetime | None:
    """A user task's deadline: the earliest boundary timer waiting beside it (a repeating reminder is
    no deadline)."""
    # An instance of a multi-instance step hangs below the step, whose deadline is beside the step.
    holder = task.parent.parent if is_instance(task) and task.parent is not None else task.parent
    beside = [
        due_time(t) for t in timers if t.parent is holder and t is not task and not is_repeating_timer(t)
    ]
    dues = [d for d in beside if d is not None]
    return min(dues) if dues else None


def apply_parameters(task: SpiffTask, parameters: tuple[tuple[str, str], ...]) -> None:
    """Put a step's input or output parameters (camunda:inputOutput) into its data, each evaluated in
    the sandbox over the data as it is; a value that fails fails the step, naming it."""
    for name, source in parameters:
        try:
            task.data[name] = task.workflow.script_engine.evaluate(task, source)
        except SpiffWorkflowException as err:
            raise ScriptFailed.from_spiff(task.task_spec.bpmn_id, err) from err


def _task_dates(
    task: SpiffTask, info: UserTaskInfo | None, now: datetime
) -> tuple[datetime | None, datetime | None, int]:
    """The task's camunda:dueDate, followUpDate and priority as the case data gives them at its creation;
    a value that cannot be read fails the step, naming the task."""
    if info is None:
        return None, None, DEFAULT_PRIORITY
    zone = task.workflow.script_engine.zone
    attribute, written = "dueDate", info.due_date
    try:
        due = task_moment(written, task.data, now, zone)
        attribute, written = "followUpDate", info.follow_up_date
        follow_up = task_moment(written, task.data, now, zone)
        attribute, written = "priority", info.priority
        return due, follow_up, task_priority(written, task.data)
    except TaskValueError as err:
        raise ScriptFailed(task.task_spec.bpmn_id, f"camunda:{attribute} {written}: {err}") from err


def open_task_rows(session: Session, instance_id: int) -> dict[str, HumanTask]:
    """The case's open task rows by task guid, as the database has them now (rows already in the
    session are refreshed: read after `lock_case`, they show what others committed before the lock)."""
    rows = _OPEN_TASK_ROWS.execute(session, {"instance_id": instance_id}).rows
    tasks = (session_object(session, HumanTask, _TASK_COLUMNS, row, refresh=True) for row in rows)
    return {task.task_guid: task for task in tasks}


def sync_human_tasks(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    parsed: ParsedDefinition,
    now: datetime,
    timers: list[SpiffTask],
    completed_guid: str | None,
    actor: str,
    ready_tasks: list[SpiffTask] | None = None,
    open_rows: dict[str, HumanTask] | None = None,
) -> list[HumanTask]:
    """Open a row for each new ready user task, close rows whose task went away. Returns new rows.

    `ready_tasks` are the workflow's ready user tasks if the caller has them already; `open_rows` the
    case's open rows (`open_task_rows`) if it read them in this transaction after locking the case, or
    `{}` for a case opened in this unit: either spares a SELECT.
    """
    if open_rows is None:
        open_rows = open_task_rows(session, instance.id)
    ready = {
        str(task.id): task for task in (ready_user_tasks(workflow) if ready_tasks is None else ready_tasks)
    }
    for guid, row in open_rows.items():
        if guid == completed_guid:
            # Completing an unclaimed task claims it (engine.cases.runner): the row names who did it.
            _update_row(
                session,
                _UPDATE_TASK,
                row,
                status="completed",
                completed_at=now,
                completed_by=actor,
                assignee=row.assignee or actor,
            )
        elif guid not in ready:
            _update_row(session, _UPDATE_TASK, row, status="cancelled", completed_at=now)
    created = []
    group_rows: list[dict[str, Any]] = []
    for guid, task in ready.items():
        if guid in open_rows:
            # A fired (non-interrupting) deadline leaves no waiting timer, but the task stays overdue.
            due = _due_of_user_task(task, timers)
            # A paused task's timer waits far in the future (engine.cases.pauses); its row keeps the deadline.
            if due is not None and open_rows[guid].due_at != due and open_rows[guid].paused_at is None:
                _update_row(session, _UPDATE_TASK, open_rows[guid], due_at=due)
            continue
        info = parsed.user_tasks.get(task.task_spec.bpmn_id)
        mapping = parsed.io_mappings.get(task.task_spec.bpmn_id)
        if mapping is not None:
            apply_parameters(task, mapping.inputs)
        groups = candidate_groups_for(info, task.data) if info else []
        assignee = assignee_for(info, task.data) if info else None
        if info is not None and not groups and assignee is None:
            raise ScriptFailed(
                task.task_spec.bpmn_id,
                f"nobody may do this step: its assignee {info.assignee!r} and candidates are empty in the case data",
            )
        due, follow_up, priority = _task_dates(task, info, now)
        values: dict[str, Any] = {
            "instance_id": instance.id,
            "task_guid": guid,
            "element_id": task.task_spec.bpmn_id,
            "name": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            "candidate_groups": ",".join(groups),
            "status": "open",
            "created_at": now,
            "due_at": _due_of_user_task(task, timers) or due,
            "assignee": assignee,
            "priority": priority,
            "follow_up_at": follow_up,
        }
        task_id = _INSERT_TASK.execute(session, values).scalar_one()
        group_rows.extend({"task_id": task_id, "group_name": g} for g in groups)
        created.append(written_object(HumanTask, {**values, "id": task_id}))  # not added to the session
    if group_rows:
        _INSERT_TASK_GROUPS.execute(session, group_rows)
    return created


def sync_timers(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    timers: list[SpiffTask],
    now: datetime,
    fired_now: Sequence[SpiffTask] = (),
    new_case: bool = False,
    pending_dues: dict[str, datetime] | None = None,
    rows: dict[str, Timer] | None = None,
) -> None:
    """One row per waiting timer with its due time; the scheduler reads only these rows.

    A timer that stopped waiting either fired (its task completed) or was cancelled with its activity.
    A timer that was due as soon as it started (`fired_now`) never waited; it gets a fired row all the
    same, so its deadline and lateness are on record. A case opened in this unit (`new_case`) has no
    rows yet, so none are read; a unit that loaded the workflow under the case's lock knows its unfired
    rows from it (`pending_dues`, by `pending_timer_dues` of the workflow as loaded), so none are read
    either: the rows were written from that same workflow when it was saved. `rows`: the case's unfired
    rows by task guid if the caller read them in this transaction after locking the case (a group of
    timer firings does), so they are updated by id.
    """
    if new_case:
        pending_dues = {}
    if rows is None:
        rows = {}
        if pending_dues is None:
            rows = {
                row_key(row): row
                for row in session.scalars(_PENDING_TIMER_ROWS, {"instance_id": instance.id})
            }
    if pending_dues is None:
        pending_dues = {key: row.due_at for key, row in rows.items()}
    waiting = {timer_key(str(t.id), repetition(t)): t for t in timers}
    for key in pending_dues:
        if key not in waiting:
            guid, number = _guid_and_number(key)
            task = workflow.tasks.get(UUID(guid))
            # A repeating timer that moved on to its next repetition fired this one.
            fired = task is not None and (task.state == TaskState.COMPLETED or repetition(task) > number)
            _update_timer(
                session, instance, key, rows, status="fired" if fired else "cancelled", fired_at=now
            )
    new_rows: list[dict[str, Any]] = []
    for key, task in waiting.items():
        due = due_time(task)
        if due is None:
            continue
        if key in pending_dues:
            if pending_dues[key] != due:
                _update_timer(session, instance, key, rows, due_at=due)
        else:
            new_rows.append(_timer_values(instance, key, task, due, "waiting", None))
    for task in fired_now:
        due = due_time(task)
        if str(task.id) not in pending_dues and due is not None and not is_repeating_timer(task):
            new_rows.append(_timer_values(instance, str(task.id), task, due, "fired", now))
    if new_rows:
        _INSERT_TIMERS.execute(session, new_rows)


def _update_timer(
    session: Session, instance: ProcessInstance, key: str, rows: dict[str, Timer], **values: Any
) -> None:
    """Write `values` to the timer row of the task: by id when it was read, else by case and task."""
    row = rows.get(key)
    if row is not None:
        _update_row(session, _UPDATE_TIMER, row, **values)
    else:
        guid, number = _guid_and_number(key)
        _UPDATE_TIMER_OF_TASK.execute(
            session,
            {**values, "where_instance": instance.id, "where_guid": guid, "where_repetition": number},
        )


def _timer_values(
    instance: ProcessInstance,
    key: str,
    task: SpiffTask,
    due: datetime,
    status: str,
    fired_at: datetime | None,
) -> dict[str, Any]:
    """A timer row's values; every row of one insert names the same columns."""
    guid, number = _guid_and_number(key)
    return {
        "instance_id": instance.id,
        "task_guid": guid,
        "repetition": number,
        "element_id": task.task_spec.bpmn_id,
        "due_at": due,
        "status": status,
        "fired_at": fired_at,
    }


def summary_values(
    data: dict[str, Any], workflow: BpmnWorkflow, open_task_names: list[str], now: datetime, case_number: str
) -> dict[str, Any]:
    """The case row's summary columns; `open_task_names` are the names of the workflow's ready user tasks."""
    shown = without_identity(data) if is_confidential(data) else data  # C7: lists and searches keep a mask
    values: dict[str, Any] = {field: _short(shown.get(field)) for field in SUMMARY_FIELDS}
    values.update(source_values(data, PROCEDURE_SOURCES.get(workflow.spec.name, DEFAULT_SOURCE)))
    values["search_text"] = search_text(
        (case_number, values["customer_name"], values["customer_phone"], values["address"])
    )
    values["data"] = data
    values["updated_at"] = now
    values["current_step"] = "、".join(open_task_names)[:200] or None
    # An open user task is an unfinished one: the walk of the tree for any other is left out then.
    if not open_task_names and workflow.is_completed():
        values["status"] = "completed"
        values["closed_at"] = now
    return values


# The summary columns the case's search indexes carry (engine.db.models.cases).
_INDEXED_SUMMARY = (*SUMMARY_FIELDS, "search_text", "source", "upstream_reference", "upstream_deadline")


def first_summary(
    data: dict[str, Any], workflow: BpmnWorkflow, now: datetime, case_number: str
) -> dict[str, Any]:
    """The indexed summary columns a new case's row is inserted with: those the data known before the
    unit runs gives (the intake form). The unit's save then names only those that came out otherwise;
    a row inserted empty moved its entry in every search index at the save, two leaves written each."""
    values = summary_values(data, workflow, [], now, case_number)
    return {name: values[name] for name in _INDEXED_SUMMARY}


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:300]


# The intake fields that say where a case came from (issue 19): a reference enum of case sources, the
# platform's own number for the case and its deadline.
SOURCE_FIELD, UPSTREAM_REFERENCE_FIELD, UPSTREAM_DEADLINE_FIELD = (
    "case_source",
    "upstream_reference",
    "upstream_deadline",
)


# A case whose intake names no source came through its procedure's own channel: a liaison's report of a
# visit through the liaison (issue 19 item 4), any other case to the own hotline.
DEFAULT_SOURCE = "hotline"
PROCEDURE_SOURCES = {"liaison": "liaison"}


def source_values(data: dict[str, Any], default: str = DEFAULT_SOURCE) -> dict[str, Any]:
    """The case's source columns from its data; a case whose intake names no source came from
    `default`."""
    deadline = data.get(UPSTREAM_DEADLINE_FIELD)
    moment: datetime | None = None
    if deadline:
        try:
            moment = datetime.fromisoformat(str(deadline))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            moment = None
    reference = data.get(UPSTREAM_REFERENCE_FIELD)
    return {
        "source": str(data.get(SOURCE_FIELD) or default)[:50],
        "upstream_reference": str(reference)[:100] if reference else None,
        "upstream_deadline": moment,
    }


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


def timers_may_fire(workflow: BpmnWorkflow, now: datetime) -> bool:
    """Whether refreshing the workflow's timers at `now` could change anything: some timer is due (or
    its due time unknown), or a subprocess waits. Otherwise the refresh and the engine steps after it
    would find nothing to do.

    A refresh looks only at waiting timer events (SpiffWorkflow's `refresh_timers`: a timer or a
    multiple event definition); a waiting join or message catch is left as the last save left it, so
    it does not count (every case waits at its process's end join)."""
    if workflow.subprocesses:
        return True
    for task in workflow.tasks.values():
        if task.state == TaskState.WAITING:
            definition = getattr(task.task_spec, "event_definition", None)
            if not isinstance(definition, TimerEventDefinition | MultipleEventDefinition):
                continue
            due = due_time(task) if is_clock_timer(task) else None
            if due is None and is_repeating_timer(task):
                continue  # used up: it waits, without a due time, until its task ends
            if due is None or due <= now:
                return True
    return False
