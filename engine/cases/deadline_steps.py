"""Graded deadlines (黄灯/红灯, C4): the warning and escalation levels a user task declares
(engine.bpmn.deadline_levels) become rows of `deadline_step` when the task opens, with their due times
on the business calendar's working time; the scheduler claims the due rows by their index (no look at
every open task) and fires each: its recipients are told in the app and, for the `message` channel, by
SMS or e-mail through the outbox; the case's history records the chase; a warning turns the task
yellow (`warned_at`), a passed deadline shows red.

A level of a task that is no longer open is cancelled when it falls due, without telling anyone; the
task row is locked first, so a completion and a firing never both win.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from engine.cases.definitions import parsed_definition
from engine.cases.effects import DEPARTMENT_HEAD
from engine.cases.pauses import resume_task
from engine.cases.projection import event_row
from engine.db import DeadlineStep, Event, HumanTask, Notification, ProcessInstance, User, UserRole
from engine.errors import Conflict
from engine.messaging import STAFF_CONTACT_COLUMNS, StaffContact, queue_chases
from engine.runtime import SYSTEM, Runtime

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

LEASE = timedelta(seconds=30)
log = logging.getLogger(__name__)
WARNING_EVENT = "deadline_warning"
ESCALATION_EVENT = "deadline_escalated"


def claim_due_steps(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Take up to `limit` due levels (PostgreSQL: rows another worker holds are skipped)."""
    due = (
        select(DeadlineStep.id)
        .where(
            DeadlineStep.fired_at.is_(None),
            DeadlineStep.status == "waiting",
            DeadlineStep.due_at <= now,
            or_(DeadlineStep.claimed_until.is_(None), DeadlineStep.claimed_until < now),
        )
        .order_by(DeadlineStep.due_at, DeadlineStep.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if ids:
        session.execute(
            update(DeadlineStep).where(DeadlineStep.id.in_(ids)).values(claimed_until=now + LEASE)
        )
    return ids


def _users(session: Session, *roles: str) -> list[StaffContact]:
    query = select(*STAFF_CONTACT_COLUMNS).where(User.active.is_(True))
    for role in roles:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    return [StaffContact(*row) for row in session.execute(query.order_by(User.username))]


def _of_groups(session: Session, groups: Sequence[str], *roles: str) -> list[StaffContact]:
    found: dict[str, StaffContact] = {}
    for group in groups:
        for contact in _users(session, group, *roles):
            found.setdefault(contact.username, contact)
    return list(found.values())


def recipients_of_level(session: Session, step: DeadlineStep, task: HumanTask) -> list[StaffContact]:
    """Who a level tells: the assignee (else the task's groups), the department's heads (else the
    supervisors), the department's supervisors (else all), or the holders of a role."""
    groups = [g for g in task.candidate_groups.split(",") if g]
    found: dict[str, StaffContact] = {}
    for name in step.recipients.split("+"):
        if name == "assignee":
            people = _users_by_name(session, task.assignee) if task.assignee else _of_groups(session, groups)
        elif name == DEPARTMENT_HEAD:
            people = _of_groups(session, groups, DEPARTMENT_HEAD) or _users(session, "supervisor")
        elif name == "supervisors":
            people = _of_groups(session, groups, "supervisor") or _users(session, "supervisor")
        else:
            people = _users(session, name)
        for contact in people:
            found.setdefault(contact.username, contact)
    return list(found.values())


def _users_by_name(session: Session, username: str) -> list[StaffContact]:
    query = select(*STAFF_CONTACT_COLUMNS).where(User.username == username, User.active.is_(True))
    return [StaffContact(*row) for row in session.execute(query)]


def fire_step(session: Session, step_id: int, runtime: Runtime) -> bool:
    """Fire one due level (or a paused task's agreed resume); False if it was cancelled (its task
    closed) or is no longer due."""
    now, zone, policy = runtime.clock.now(), runtime.zone, runtime.messaging
    step = session.get(DeadlineStep, step_id, with_for_update=True)
    if step is None or step.fired_at is not None or step.status != "waiting" or step.due_at > now:
        return False
    if step.kind == "resume":
        paused = session.get(HumanTask, step.task_id)
        if paused is None or paused.status != "open" or paused.paused_at is None:
            step.status, step.fired_at, step.claimed_until = "cancelled", now, None
            return False
        resume_task(session, runtime, step.task_id, SYSTEM, automatic=True)
        return True
    task = session.get(HumanTask, step.task_id, with_for_update=True)
    instance = session.get(ProcessInstance, step.instance_id)
    if task is None or instance is None or task.status != "open":
        step.status, step.fired_at, step.claimed_until = "cancelled", now, None
        return False
    people = recipients_of_level(session, step, task)
    usernames = [p.username for p in people]
    local_due = task.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if task.due_at else ""
    info = parsed_definition(runtime, instance.definition).user_tasks.get(task.element_id)
    name_en = (info.name_en if info is not None else "") or task.name
    warning = step.kind == "warning"
    if usernames:
        session.execute(
            insert(Notification),
            [
                {
                    "recipient": username,
                    "instance_id": instance.id,
                    "element_id": task.element_id,
                    "kind": "deadline_warning" if warning else "chase",
                    "message": (
                        f"预警：工单 {instance.case_number}「{task.name}」将于 {local_due} 到期，请抓紧办理。"
                        if warning
                        else f"催办：工单 {instance.case_number}「{task.name}」已超过时限（{local_due}），请立即办理。"
                    ),
                    "message_en": (
                        f"Warning: task “{name_en}” of case {instance.case_number} is due {local_due}."
                        if warning
                        else f"Chase: task “{name_en}” of case {instance.case_number} was due {local_due}."
                    ),
                    "created_at": now,
                    "read_at": None,
                }
                for username in usernames
            ],
        )
    if step.channel == "message" and people and task.due_at is not None:
        queue_chases(
            session,
            people,
            instance.case_number,
            task.name,
            f"{task.element_id}#{step.level}",
            task.due_at,
            instance.id,
            policy,
            zone,
            now,
            name_en,
        )
    if warning and task.warned_at is None:
        task.warned_at = now
    step.status, step.fired_at, step.claimed_until = "fired", now, None
    step.told = ",".join(usernames)[:2000]
    session.add(
        Event(
            **event_row(
                instance.id,
                now,
                SYSTEM.username,
                WARNING_EVENT if warning else ESCALATION_EVENT,
                task.element_id,
                task.name,
                {
                    "level": [None, step.level],
                    "department": [None, task.candidate_groups],
                    "recipients": [None, usernames],
                },
            )
        )
    )
    return True


def fire_due_steps(units: Callable[[], UnitOfWork], batch: int = 50) -> int:
    """The scheduler's round: claim the due levels, fire each in a unit of work of its own."""
    fired = 0
    while True:
        with units() as uow:
            ids = claim_due_steps(uow.session, uow.clock.now(), batch)
            uow.commit()
        for step_id in ids:
            try:
                with units() as uow:
                    fired += fire_step(uow.session, step_id, uow.runtime)
                    uow.commit()
            except Conflict:
                # The case changed under an automatic resume: the claim runs out and a later round resumes it.
                log.info("deadline step %s: its case was busy, tried again later", step_id)
        if len(ids) < batch:
            return fired


def chases_by_department(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Chases received per department (the task's groups) from `since` up to and including `until`:
    escalations only."""
    rows = session.execute(
        select(HumanTask.candidate_groups, func.count(DeadlineStep.id))
        .join(HumanTask, HumanTask.id == DeadlineStep.task_id)
        .where(
            DeadlineStep.kind == "escalation",
            DeadlineStep.status == "fired",
            DeadlineStep.fired_at >= since,
            DeadlineStep.fired_at <= until,
        )
        .group_by(HumanTask.candidate_groups)
    ).all()
    counted: dict[str, int] = {}
    for groups, count in rows:
        for group in groups.split(","):
            counted[group] = counted.get(group, 0) + count
    return counted


@dataclass(frozen=True)
class ChaseNotice:
    """What a printed chase notice (催办通知书) says: the case, the step, its department, the deadlines,
    the level and when it fired, and who was chased."""

    step: DeadlineStep
    task: HumanTask
    last_level: bool


def fired_chases(session: Session, instance_id: int) -> list[DeadlineStep]:
    """The case's escalations that fired, in order: each has a printable chase notice."""
    return list(
        session.scalars(
            select(DeadlineStep)
            .where(
                DeadlineStep.instance_id == instance_id,
                DeadlineStep.kind == "escalation",
                DeadlineStep.status == "fired",
            )
            .order_by(DeadlineStep.fired_at, DeadlineStep.id)
        )
    )


def chase_notice(session: Session, instance_id: int, step_id: int) -> ChaseNotice | None:
    """The chase notice of one fired escalation of the case; None if there is no such chase."""
    step = session.get(DeadlineStep, step_id)
    if step is None or step.instance_id != instance_id or step.kind != "escalation" or step.status != "fired":
        return None
    task = session.get(HumanTask, step.task_id)
    if task is None:
        return None
    highest = session.scalar(
        select(func.max(DeadlineStep.level)).where(
            DeadlineStep.task_id == step.task_id, DeadlineStep.kind == "escalation"
        )
    )
    return ChaseNotice(step, task, step.level == highest)
