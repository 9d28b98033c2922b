"""Who works on a task: claiming a group task, giving it back, a supervisor handing it to someone or to
another group (with a reason).

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

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.cases import check_member, claimed_conflict, closed_conflict, event_row, lock_case, task_by_id
from engine.db import Event, HumanTask, HumanTaskGroup, User, UserRole, rows_matched
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import Actor

SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
# Roles that change diagrams or accounts, not cases: nobody hands them a task.
NO_CASEWORK_ROLES = frozenset({"process_owner", "admin"})
REASON_LENGTH = 500


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


def suitable_people(session: Session) -> list[User]:
    """Whoever a supervisor may hand a task to: active staff who do casework (a role other than process
    owner or administrator), by name."""
    casework = select(UserRole.user_id).where(UserRole.role.not_in(NO_CASEWORK_ROLES))
    return list(
        session.scalars(
            select(User).where(User.active.is_(True), User.id.in_(casework)).order_by(User.username)
        )
    )


def group_members(session: Session) -> dict[str, int]:
    """Each role held by active staff, with how many hold it (a group nobody holds is missing here)."""
    rows = session.execute(
        select(UserRole.role, func.count(UserRole.user_id))
        .join(User, User.id == UserRole.user_id)
        .where(User.active.is_(True))
        .group_by(UserRole.role)
    )
    return {role: count for role, count in rows}


def suitable_groups(session: Session) -> list[str]:
    """The groups a supervisor may hand a task to: those with at least one active member who does
    casework, so a task is never handed to a group where nobody would see it."""
    return sorted(
        role
        for role in group_members(session)
        if role not in NO_CASEWORK_ROLES and role not in SUPERVISING_ROLES
    )


def _checked_handover(
    session: Session, task_id: int, supervisor: Actor, reason: str, values: dict[str, str]
) -> tuple[HumanTask, str]:
    if not supervisor.groups & SUPERVISING_ROLES:
        raise NotAllowed("only a supervisor may reassign a task")
    reason = reason.strip()[:REASON_LENGTH]
    if not reason:
        raise FormInvalid({"handover_reason": FieldError("required")}, values)
    # The history keeps the reason in a JSON column, which PostgreSQL refuses with a NUL in it.
    unkept = control_character_error(reason, multiline=True)
    if unkept is not None:
        raise FormInvalid({"handover_reason": unkept}, values)
    task = _locked_task(session, task_id)
    if task.status != "open":
        raise closed_conflict(task)
    return task, reason


def reassign_task(
    session: Session, task_id: int, supervisor: Actor, username: str, now: datetime, reason: str
) -> HumanTask:
    """A supervisor hands an open task to someone: a member of its groups, or any active staff member
    who does casework (the task's groups may have nobody, or nobody free), with a reason the history
    keeps. The person may then complete it as its assignee."""
    values = {"assignee": username, "handover_reason": reason}
    task, reason = _checked_handover(session, task_id, supervisor, reason, values)
    if username not in {u.username for u in suitable_people(session)}:
        raise NotAllowed(f"{username} is not active staff who may work on {task.candidate_groups}")
    before = task.assignee
    if before == username:
        return task
    task.assignee = username
    _record_handover(
        session, task, supervisor, now, {"assignee": [before, username], "handover_reason": [None, reason]}
    )
    return task


def hand_task_to_group(
    session: Session, task_id: int, supervisor: Actor, group: str, now: datetime, reason: str
) -> HumanTask:
    """A supervisor sends an open task to another group (a department with nobody in it routed it to
    the wrong place): the task leaves its groups and any assignee, and the history keeps the reason."""
    values = {"group": group, "handover_reason": reason}
    task, reason = _checked_handover(session, task_id, supervisor, reason, values)
    if group not in suitable_groups(session):
        raise FormInvalid({"group": FieldError("not_option")}, values)
    before_groups, before_assignee = task.candidate_groups, task.assignee
    if before_groups == group and before_assignee is None:
        return task
    task.candidate_groups = group
    task.assignee = None
    task.groups = [HumanTaskGroup(group_name=group)]
    changes: dict[str, list[str | None]] = {"candidate_groups": [before_groups, group]}
    if before_assignee is not None:
        changes["assignee"] = [before_assignee, None]
    changes["handover_reason"] = [None, reason]
    _record_handover(session, task, supervisor, now, changes)
    return task


def _record_handover(
    session: Session, task: HumanTask, supervisor: Actor, now: datetime, changes: dict[str, list[str | None]]
) -> None:
    row = event_row(
        task.instance_id, now, supervisor.username, "task_reassigned", task.element_id, task.name, changes
    )
    session.execute(insert(Event), [row])
