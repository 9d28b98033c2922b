"""Whether someone may work on a task: it exists, is open, is for one of their groups and not claimed
by someone else. Completing a step (engine.cases.runner) and claiming it (engine.work.claims) ask alike."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine.bpmn import user_candidate
from engine.db import (
    DriverStatement,
    HumanTask,
    ProcessDefinition,
    ProcessInstance,
    loaded_columns,
    session_object,
)
from engine.errors import Conflict, NotAllowed, NotFound
from engine.runtime import Actor

# With its case (and the case's definition, which the case always loads with it) in the same statement:
# every caller looks at the case next (lock, conflict text). Read on the driver, the rows made the
# session's objects (engine.db.loaded_rows): an ORM load of the three costs several times the statement.
_TASK_COLUMNS = loaded_columns(HumanTask)
_CASE_COLUMNS = loaded_columns(ProcessInstance)
_DEFINITION_COLUMNS = loaded_columns(ProcessDefinition)
_CASE_AT = len(_TASK_COLUMNS)
_DEFINITION_AT = _CASE_AT + len(_CASE_COLUMNS)
_TASK_WITH_CASE = DriverStatement(
    select(*_TASK_COLUMNS, *_CASE_COLUMNS, *_DEFINITION_COLUMNS)
    .join_from(HumanTask, ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
    .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
    .where(HumanTask.id == bindparam("task_id"))
)


def task_by_id(session: Session, task_id: int) -> HumanTask:
    # A task the unit already holds is not read again (a view's check, the use case and the runner all
    # ask): reading it again would not refresh it either, as the ORM keeps the loaded object. Whoever
    # changed it meanwhile is seen after the case's lock (engine.cases.runner._take_task).
    known = session.identity_map.get(identity_key(HumanTask, task_id))
    if isinstance(known, HumanTask):
        return known
    row = _TASK_WITH_CASE.execute(session, {"task_id": task_id}).one_or_none()
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    definition = session_object(session, ProcessDefinition, _DEFINITION_COLUMNS, row[_DEFINITION_AT:])
    instance = session_object(session, ProcessInstance, _CASE_COLUMNS, row[_CASE_AT:_DEFINITION_AT])
    task = session_object(session, HumanTask, _TASK_COLUMNS, row[:_CASE_AT])
    # As the joined load would: a relationship not loaded yet is given the object read with it.
    if "definition" not in instance.__dict__:
        set_committed_value(instance, "definition", definition)
    set_committed_value(task, "instance", instance)
    return task


def closed_conflict(task: HumanTask) -> Conflict:
    by = f" by {task.completed_by}" if task.completed_by else ""
    return Conflict(
        f"task '{task.name}' of case {task.instance.case_number} is already {task.status}{by}",
        "task_closed",
        task=task.name,
        case=task.instance.case_number,
        status=task.status,
        by=task.completed_by or "",
    )


def claimed_conflict(task: HumanTask) -> Conflict:
    return Conflict(
        f"task '{task.name}' of case {task.instance.case_number} was claimed by {task.assignee}",
        "task_claimed",
        task=task.name,
        case=task.instance.case_number,
        by=task.assignee or "",
    )


def check_member(groups: list[str], actor: Actor, what: str) -> None:
    """NotAllowed unless the actor holds one of the groups, or is named among them (candidateUsers)."""
    if not set(groups) & (actor.groups | {user_candidate(actor.username)}):
        raise NotAllowed(f"{what} is for {', '.join(groups) or 'nobody'}; you are not in that group")


def workable_task(session: Session, task_id: int, actor: Actor) -> HumanTask:
    """The task, if it is open, for one of the actor's groups or handed to the actor by a supervisor, and
    not claimed by someone else."""
    task = task_by_id(session, task_id)
    if task.status != "open":
        raise closed_conflict(task)
    if task.assignee != actor.username:
        check_member(task.candidate_groups.split(","), actor, f"task '{task.name}'")
    if task.assignee is not None and task.assignee != actor.username:
        raise claimed_conflict(task)
    return task
