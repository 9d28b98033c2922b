"""Who may open a case: its page, its history, its diagram with the markers, its files, its line in the
case search. One rule, asked alike by every page that shows a case (docs/access.md):

- supervisors and administrators read every case (they check and supervise the hotline's work);
- the roles that see personal data where that is their job (operators and dispatchers: the hotline's
  first contact answers any caller about any of their cases, S3) read every case too;
- everyone else reads the cases they have a part in: the cases they opened, the cases routed to a
  department they belong to, the cases with a task (open or done) for one of their groups, and the
  cases in whose history they act (claimed, completed, drafted, attached, ...).

Anyone else is told the case does not exist: a case number tried by chance reveals nothing (C7).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from engine.db import Event, HumanTask, HumanTaskGroup, ProcessInstance
from engine.people import PII_ROLES
from engine.runtime import Actor

SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
EVERY_CASE_ROLES = SUPERVISING_ROLES | PII_ROLES


def reads_every_case(actor: Actor) -> bool:
    return bool(actor.groups & EVERY_CASE_ROLES)


def _part_in_case(actor: Actor) -> ColumnElement[bool]:
    """SQL: the case (ProcessInstance) is one the actor has a part in."""
    groups = sorted(actor.groups)
    in_groups = exists().where(HumanTaskGroup.task_id == HumanTask.id, HumanTaskGroup.group_name.in_(groups))
    has_task = exists().where(
        HumanTask.instance_id == ProcessInstance.id,
        or_(HumanTask.assignee == actor.username, HumanTask.completed_by == actor.username, in_groups),
    )
    in_history = exists().where(Event.instance_id == ProcessInstance.id, Event.actor == actor.username)
    return or_(
        ProcessInstance.opened_by == actor.username,
        ProcessInstance.department.in_(groups),
        has_task,
        in_history,
    )


def readable_cases(actor: Actor) -> ColumnElement[bool] | None:
    """A WHERE clause on ProcessInstance keeping the cases the actor may open; None when they may open
    every case (no filter at all, so the case search keeps its indexes)."""
    return None if reads_every_case(actor) else _part_in_case(actor)


def may_read_case(session: Session, instance_id: int, actor: Actor) -> bool:
    """Whether the actor may open this case (its page, history, diagram and files)."""
    if reads_every_case(actor):
        return True
    found = session.scalar(
        select(ProcessInstance.id).where(ProcessInstance.id == instance_id, _part_in_case(actor)).limit(1)
    )
    return found is not None
