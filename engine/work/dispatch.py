"""Sending someone (R2, R3): a form field that names a person or crew of some groups (property
staffOf) is chosen from those groups' active members, each shown with their open jobs so who is free is
visible; the case's next steps for those groups become the chosen person's. A promised time later than
the category's on-site limit (property onsiteLimitReason) needs a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from engine.bpmn import FieldDef, FieldError, UserTaskInfo, parse_local_datetime
from engine.cases import event_row
from engine.db import Event, HumanTask, ProcessInstance, User, UserRole
from engine.decisions import route
from engine.reference import DEFAULT_ONSITE_MINUTES
from engine.runtime import Actor


@dataclass(frozen=True)
class StaffChoice:
    """One person (`username`) or crew (a group) a staffOf field may name."""

    value: str
    display_name: str
    is_group: bool
    open_jobs: int  # open tasks held (a person) or waiting unclaimed for the crew
    done_today: int = 0
    # Where the person's latest open job is: where they are, or are heading (for "nearest", R2).
    at_address: str = ""


def staff_choices(
    session: Session, groups: tuple[str, ...], now: datetime, zone: ZoneInfo
) -> list[StaffChoice]:
    """The active members of the groups, the least busy first, then the groups themselves."""
    members = session.execute(
        select(User.username, User.display_name)
        .where(User.active.is_(True), User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(groups))))
        .order_by(User.username)
    ).all()
    names = [m.username for m in members]
    start_of_day = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    done_today = dict(
        session.execute(
            select(HumanTask.completed_by, func.count())
            .where(
                HumanTask.status == "completed",
                HumanTask.completed_by.in_(names),
                HumanTask.completed_at >= start_of_day,
            )
            .group_by(HumanTask.completed_by)
        ).all()
    )
    # One read of the open jobs gives both how many each person holds and where the newest one is.
    open_jobs: dict[str, int] = {}
    addresses: dict[str, str] = {}
    latest_jobs = session.execute(
        select(HumanTask.assignee, ProcessInstance.address)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.status == "open", HumanTask.assignee.in_(names))
        .order_by(HumanTask.created_at)
    )
    for assignee, address in latest_jobs:
        if assignee is not None:
            open_jobs[assignee] = open_jobs.get(assignee, 0) + 1
            addresses[assignee] = address or ""  # the newest job's wins
    people = sorted(
        (
            StaffChoice(
                m.username,
                m.display_name,
                False,
                open_jobs.get(m.username, 0),
                done_today.get(m.username, 0),
                addresses.get(m.username, ""),
            )
            for m in members
        ),
        key=lambda c: (c.open_jobs, c.value),
    )
    waiting = dict(
        session.execute(
            select(HumanTask.candidate_groups, func.count())
            .where(
                HumanTask.status == "open",
                HumanTask.assignee.is_(None),
                HumanTask.candidate_groups.in_(groups),
            )
            .group_by(HumanTask.candidate_groups)
        ).all()
    )
    crews = [StaffChoice(group, group, True, waiting.get(group, 0)) for group in groups]
    return people + crews


def onsite_limit(session: Session, category: Any, now: datetime) -> datetime | None:
    """When someone must be on site at the latest if dispatched now (R3): the category's minutes, as the
    routing table gives them (engine.decisions.routing)."""
    found = route(session, str(category)) if category else None
    if found is None:
        return None
    minutes = DEFAULT_ONSITE_MINUTES if found.onsite_minutes is None else found.onsite_minutes
    return now + timedelta(minutes=minutes)


def dispatch_problems(
    session: Session,
    info: UserTaskInfo,
    case_data: Mapping[str, Any],
    submitted: Mapping[str, Any],
    now: datetime,
    zone: ZoneInfo,
) -> dict[str, FieldError]:
    """What a dispatch form's staff and promise fields refuse; empty when nothing."""
    errors: dict[str, FieldError] = {}
    for field in info.fields:
        value = str(submitted.get(field.id) or "").strip()
        choices = staff_choices(session, field.staff_of, now, zone) if field.staff_of and value else []
        if choices and value not in {c.value for c in choices}:
            errors[field.id] = FieldError("not_option")
        if field.onsite_limit_reason and value:
            problem = _late_promise(session, field, value, case_data, submitted, now, zone)
            if problem is not None:
                errors[field.id] = problem
    return errors


def _late_promise(
    session: Session,
    field: FieldDef,
    value: str,
    case_data: Mapping[str, Any],
    submitted: Mapping[str, Any],
    now: datetime,
    zone: ZoneInfo,
) -> FieldError | None:
    limit = onsite_limit(session, case_data.get("category"), now)
    try:
        promised = parse_local_datetime(value, zone)
    except ValueError:
        return None  # the form's own check says what is wrong with it
    if limit is None or promised <= limit.replace(second=59, microsecond=999999):
        return None
    if str(submitted.get(field.onsite_limit_reason) or "").strip():
        return None
    return FieldError("after_onsite_limit", {"limit": limit.astimezone(zone).strftime("%H:%M")})


def assign_dispatched(
    session: Session,
    instance_id: int,
    info: UserTaskInfo,
    values: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> list[HumanTask]:
    """The case's next open, unclaimed steps for a staffOf field's groups go to the person it names."""
    assigned = []
    for field in info.fields:
        person = str(values.get(field.id) or "").strip()
        if not field.staff_of or not person or person in field.staff_of:
            continue  # a crew keeps the steps for any of its members
        tasks = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open", HumanTask.assignee.is_(None)
            )
        ).all()
        for task in tasks:
            if set(task.candidate_groups.split(",")) & set(field.staff_of):
                task.assignee = person
                session.execute(
                    insert(Event),
                    [
                        event_row(
                            instance_id,
                            now,
                            actor.username,
                            "task_reassigned",
                            task.element_id,
                            task.name,
                            {"assignee": [None, person]},
                        )
                    ],
                )
                assigned.append(task)
    return assigned
