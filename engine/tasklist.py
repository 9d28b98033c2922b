"""Queries behind the tasklist and case pages; they read projections only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, joinedload

from .like import ESCAPE, containing
from .models import HumanTask, HumanTaskGroup, ProcessInstance


def _for_groups(groups: Iterable[str]):  # noqa: ANN202 - a SQLAlchemy clause
    return exists().where(HumanTaskGroup.task_id == HumanTask.id, HumanTaskGroup.group_name.in_(list(groups)))


TABS = ("todo", "mine", "group", "all")


@dataclass(frozen=True)
class TaskFilter:
    """What a person narrows the tasklist to; empty fields do not filter."""

    process_key: str = ""
    category: str = ""
    department: str = ""
    overdue: bool = False
    due_between: tuple[datetime, datetime] | None = None  # "due today": within the local day
    text: str = ""
    now: datetime | None = None

    def clauses(self) -> list[Any]:
        found: list[Any] = []
        if self.process_key:
            found.append(ProcessInstance.process_key == self.process_key)
        if self.category:
            found.append(ProcessInstance.category == self.category)
        if self.department:
            found.append(ProcessInstance.department == self.department)
        if self.overdue and self.now is not None:
            found.append(HumanTask.due_at < self.now)
        if self.due_between is not None:
            found.append(HumanTask.due_at.between(*self.due_between))
        if self.text.strip():
            pattern = containing(self.text.strip()[:100])
            found.append(or_(*(column.like(pattern, escape=ESCAPE) for column in (
                ProcessInstance.case_number, ProcessInstance.customer_name, ProcessInstance.customer_phone,
                ProcessInstance.address))))
        return found


def _tab_filter(tab: str, username: str, groups: Iterable[str]):  # noqa: ANN202 - a SQLAlchemy clause
    """todo: claimed by me or unclaimed in my groups; mine: claimed by me; group: unclaimed in my groups;
    all: every open task."""
    groups = list(groups)
    unclaimed_in_groups = and_(HumanTask.assignee.is_(None), _for_groups(groups))
    if tab == "mine":
        return HumanTask.assignee == username
    if tab == "group":
        return unclaimed_in_groups
    if tab == "all":
        return true()
    return or_(HumanTask.assignee == username, unclaimed_in_groups)


def _filtered(query: Any, tab: str, username: str, groups: Iterable[str], where: TaskFilter | None) -> Any:
    query = query.where(HumanTask.status == "open", _tab_filter(tab, username, groups))
    clauses = where.clauses() if where is not None else []
    if clauses:
        query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(*clauses)
    return query


def open_tasks_for(session: Session, tab: str, username: str, groups: Iterable[str], limit: int = 50,
                   offset: int = 0, where: TaskFilter | None = None) -> list[HumanTask]:
    """A tab of the tasklist, the most urgent first (no deadline last)."""
    query = _filtered(select(HumanTask).options(joinedload(HumanTask.instance)), tab, username, groups, where)
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_open_tasks_for(session: Session, tab: str, username: str, groups: Iterable[str],
                         where: TaskFilter | None = None) -> int:
    return session.scalar(_filtered(select(func.count(HumanTask.id)), tab, username, groups, where)) or 0


def open_tasks_of_case(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open").order_by(HumanTask.id)
    ))


def case_by_number(session: Session, case_number: str) -> ProcessInstance | None:
    return session.scalars(select(ProcessInstance).where(ProcessInstance.case_number == case_number)).first()


def recent_cases(session: Session, limit: int = 50, offset: int = 0, status: str | None = None) -> list[ProcessInstance]:
    query = select(ProcessInstance).order_by(ProcessInstance.opened_at.desc(), ProcessInstance.id.desc())
    if status:
        query = query.where(ProcessInstance.status == status)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_cases(session: Session, status: str | None = None) -> int:
    query = select(func.count(ProcessInstance.id))
    if status:
        query = query.where(ProcessInstance.status == status)
    return session.scalar(query) or 0
