"""Who works on a task: claiming a group task, giving it back, a supervisor handing it to someone.

A claim is one conditional UPDATE (`… WHERE assignee IS NULL AND status = 'open'`): of two people
claiming the same task at the same moment exactly one row changes, and the other gets a Conflict
naming who was quicker. Every change is a history event of the case. The workflow state is not
touched, but a claim (like a release or a reassignment) is decided under the same guard as a
completion: it first locks the task's case (engine.cases.lock_case), so a claim and a completion of the
same task run one after the other and the later one sees the earlier one's result — never "you
claimed it" for a task someone else completed at the same moment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.cases import check_member, claimed_conflict, closed_conflict, event_row, lock_case, task_by_id
from engine.db import Event, HumanTask, User, UserRole, rows_matched
from engine.errors import NotAllowed
from engine.runtime import Actor

SUPERVISING_ROLES = frozenset({"supervisor", "admin"})


def _record(
    session: Session,
    task: HumanTask,
    actor: str,
    kind: str,
    before: str | None,
    after: str | None,
    now: datetime,
) -> None:
    session.execute(
        insert(Event),
        [
            event_row(
                task.instance_id, now, actor, kind, task.element_id, task.name, {"assignee": [before, after]}
            )
        ],
    )


def _locked_task(session: Session, task_id: int) -> HumanTask:
    """The task as it is once its case is locked: a completion or claim that committed meanwhile shows."""
    task = task_by_id(session, task_id)
    lock_case(session, task.instance_id)
    session.refresh(task)
    return task


def claim_task(session: Session, task_id: int, actor: Actor, now: datetime) -> HumanTask:
    task = task_by_id(session, task_id)
    check_member(task.candidate_groups.split(","), actor, f"task '{task.name}'")
    lock_case(session, task.instance_id)
    claimed = rows_matched(
        session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.status == "open", HumanTask.assignee.is_(None))
            .values(assignee=actor.username)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(task)
    if claimed != 1:
        if task.status != "open":
            raise closed_conflict(task)
        if task.assignee == actor.username:
            return task
        raise claimed_conflict(task)
    _record(session, task, actor.username, "task_claimed", None, actor.username, now)
    return task


def release_task(session: Session, task_id: int, actor: Actor, now: datetime) -> HumanTask:
    """Give a claimed task back to its groups: its assignee may, and so may a supervisor."""
    task = _locked_task(session, task_id)
    if task.status != "open":
        raise closed_conflict(task)
    if task.assignee is None:
        return task
    if task.assignee != actor.username and not actor.groups & SUPERVISING_ROLES:
        raise NotAllowed(
            f"task '{task.name}' is claimed by {task.assignee}; only they or a supervisor may release it"
        )
    before = task.assignee
    task.assignee = None
    _record(session, task, actor.username, "task_released", before, None, now)
    return task


def eligible_assignees(session: Session, task: HumanTask) -> list[User]:
    """Active staff holding one of the task's groups, by name."""
    groups = [g for g in task.candidate_groups.split(",") if g]
    return list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True), User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(groups)))
            )
            .order_by(User.username)
        )
    )


def reassign_task(
    session: Session, task_id: int, supervisor: Actor, username: str, now: datetime
) -> HumanTask:
    """A supervisor hands an open task to a named member of its groups."""
    if not supervisor.groups & SUPERVISING_ROLES:
        raise NotAllowed("only a supervisor may reassign a task")
    task = _locked_task(session, task_id)
    if task.status != "open":
        raise closed_conflict(task)
    if username not in {u.username for u in eligible_assignees(session, task)}:
        raise NotAllowed(f"{username} is not an active member of {task.candidate_groups}")
    before = task.assignee
    if before == username:
        return task
    task.assignee = username
    _record(session, task, supervisor.username, "task_reassigned", before, username, now)
    return task
