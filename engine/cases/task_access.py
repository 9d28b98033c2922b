"""Whether someone may work on a task: it exists, is open, is for one of their groups and not claimed
by someone else. Completing a step (engine.cases.runner) and claiming it (engine.work.claims) ask alike."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

from engine.bpmn import user_candidate
from engine.db import HumanTask
from engine.errors import Conflict, NotAllowed, NotFound
from engine.runtime import Actor

# With its case in the same statement: every caller looks at the case next (lock, conflict text).
# Built once, so a request binds the id to a statement compiled before instead of building one.
_TASK_WITH_CASE = (
    select(HumanTask).options(joinedload(HumanTask.instance)).where(HumanTask.id == bindparam("task_id"))
)


def task_by_id(session: Session, task_id: int) -> HumanTask:
    # A task the unit already holds is not read again (a view's check, the use case and the runner all
    # ask): reading it again would not refresh it either, as the ORM keeps the loaded object. Whoever
    # changed it meanwhile is seen after the case's lock (engine.cases.runner._take_task).
    known = session.identity_map.get(identity_key(HumanTask, task_id))
    if isinstance(known, HumanTask):
        return known
    task = session.scalars(_TASK_WITH_CASE, {"task_id": task_id}).one_or_none()
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
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
