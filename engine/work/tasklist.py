"""Queries behind the tasklist and case pages; they read projections only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SelectBase, case, func, or_, select, true, union
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from engine.cases import normalized
from engine.db import ESCAPE, HumanTask, HumanTaskGroup, ProcessInstance, containing

TABS = ("todo", "mine", "group", "all")
PERSONAL_TABS = ("todo", "mine", "group")
# The most urgent first, no deadline last.
_URGENT_FIRST = (HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id)


@dataclass(frozen=True)
class TaskFilter:
    """What a person narrows the tasklist to; empty fields do not filter."""

    process_key: str = ""
    category: str = ""
    department: str = ""
    overdue: bool = False
    due_between: tuple[datetime, datetime] | None = None  # "due today": within the local day
    text: str = ""
    # Whether the person may search by who the customer is; otherwise the text matches case numbers
    # only, or a search would reveal the name and phone they see masked (M6).
    personal: bool = True
    now: datetime | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """Conditions on the task rows; the case's own filters become one `instance_id IN (...)`, which the
        database answers from the cases' narrow indexes instead of reading a case row per task."""
        found: list[ColumnElement[bool]] = []
        if self.overdue and self.now is not None:
            found.append(HumanTask.due_at < self.now)
        if self.due_between is not None:
            found.append(HumanTask.due_at.between(*self.due_between))
        of_case = self._case_clauses()
        if of_case:
            found.append(HumanTask.instance_id.in_(select(ProcessInstance.id).where(*of_case)))
        return found

    def _case_clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.process_key:
            found.append(ProcessInstance.process_key == self.process_key)
        if self.category:
            found.append(ProcessInstance.category == self.category)
        if self.department:
            found.append(ProcessInstance.department == self.department)
        typed = normalized(self.text[:100])
        if typed and self.personal:  # one column with its own index, not an OR over four columns
            found.append(ProcessInstance.search_text.like(containing(typed), escape=ESCAPE))
        elif typed:
            found.append(func.lower(ProcessInstance.case_number).like(containing(typed), escape=ESCAPE))
        return found


def _candidates(tab: str, username: str, groups: Iterable[str]) -> SelectBase | None:
    """The ids of the tasks a tab may show, open or not, each part from its own index: a UNION, not an OR
    that would make the database read every open task. None for 'all'."""
    in_groups = select(HumanTaskGroup.task_id.label("id")).where(HumanTaskGroup.group_name.in_(list(groups)))
    claimed = select(HumanTask.id.label("id")).where(HumanTask.assignee == username)
    if tab == "mine":
        return claimed
    if tab == "group":
        return in_groups
    if tab == "todo":
        return union(in_groups, claimed)
    return None


def _tab_filter(tab: str, username: str) -> ColumnElement[bool]:
    """todo: claimed by me or unclaimed in my groups; mine: claimed by me; group: unclaimed in my groups;
    all: every open task. The groups are the candidates' part."""
    if tab == "mine":
        return HumanTask.assignee == username
    if tab == "group":
        return HumanTask.assignee.is_(None)
    if tab == "todo":
        return or_(HumanTask.assignee == username, HumanTask.assignee.is_(None))
    return true()


# `query` stays Any: Select's type parameters differ between SQLAlchemy 2.0 and 2.1.
def _open_in(query: Any, candidates: SelectBase | None, where: TaskFilter | None) -> Any:
    if candidates is not None:
        ids = candidates.subquery()
        query = query.join(ids, ids.c.id == HumanTask.id)
    return query.where(HumanTask.status == "open", *(where.clauses() if where is not None else []))


def open_tasks_for(
    session: Session,
    tab: str,
    username: str,
    groups: Iterable[str],
    limit: int = 50,
    offset: int = 0,
    where: TaskFilter | None = None,
) -> list[HumanTask]:
    """A tab of the tasklist, the most urgent first (no deadline last).

    The page's ids are chosen on the narrow task rows first; only those tasks are then read with their
    cases (without the workflow state), so sorting never carries the wide case rows."""
    ids_query = _open_in(select(HumanTask.id), _candidates(tab, username, groups), where).where(
        _tab_filter(tab, username)
    )
    return _with_cases(
        session, list(session.scalars(ids_query.order_by(*_URGENT_FIRST).limit(limit).offset(offset)))
    )


@dataclass(frozen=True)
class TasklistPage:
    tasks: list[HumanTask]
    counts: dict[str, int]


def _with_cases(session: Session, ids: list[int]) -> list[HumanTask]:
    """These tasks with their cases (without the workflow state), in the order of `ids`."""
    if not ids:
        return []
    rows = session.scalars(
        select(HumanTask)
        .where(HumanTask.id.in_(ids))
        .options(
            joinedload(HumanTask.instance).options(
                defer(ProcessInstance.state), selectinload(ProcessInstance.definition)
            )
        )
    )
    by_id = {task.id: task for task in rows}
    return [by_id[task_id] for task_id in ids]


def tasklist_page(
    session: Session,
    tab: str,
    tabs: Iterable[str],
    username: str,
    groups: Iterable[str],
    limit: int = 50,
    offset: int = 0,
    where: TaskFilter | None = None,
) -> TasklistPage:
    """A tab's page and the counts of every tab, as the tasklist shows them.

    One statement for the personal tabs: the candidates of "to do" (claimed by me or unclaimed in my
    groups) are read once; window counts give each tab's total, and the rows of the chosen tab sort
    first, so the page of a narrower tab ("mine", "group") is cut from the same rows."""
    tabs = list(tabs)
    counts: dict[str, int] = {}
    ids: list[int] = []
    if tab in PERSONAL_TABS:
        in_tab = _tab_filter(tab, username)
        query = _open_in(
            select(
                HumanTask.id,
                case((in_tab, 1), else_=0).label("in_tab"),
                func.count(case((HumanTask.assignee == username, 1))).over().label("mine"),
                func.count(case((HumanTask.assignee.is_(None), 1))).over().label("unclaimed"),
            ),
            _candidates("todo", username, groups),
            where,
        ).where(_tab_filter("todo", username))
        query = query.order_by(case((in_tab, 0), else_=1), *_URGENT_FIRST).limit(limit).offset(offset)
        rows = session.execute(query).all()
        if rows:
            mine, unclaimed = rows[0].mine, rows[0].unclaimed
            counts.update(todo=mine + unclaimed, mine=mine, group=unclaimed)
        ids = [row.id for row in rows if row.in_tab]
    else:
        ids = list(
            session.scalars(
                _open_in(select(HumanTask.id), None, where)
                .order_by(*_URGENT_FIRST)
                .limit(limit)
                .offset(offset)
            )
        )
    missing = [t for t in tabs if t not in counts]
    if missing:  # "all", or a page past the end of the personal tabs
        counts.update(count_open_tasks_by_tab(session, missing, username, groups, where))
    return TasklistPage(_with_cases(session, ids), {t: counts[t] for t in tabs})


def count_open_tasks_by_tab(
    session: Session,
    tabs: Iterable[str],
    username: str,
    groups: Iterable[str],
    where: TaskFilter | None = None,
) -> dict[str, int]:
    """How many open tasks each tab holds, the personal tabs in one query over the same candidates."""
    tabs = list(tabs)
    counts: dict[str, int] = {}
    if set(tabs) & set(PERSONAL_TABS):
        mine = func.count(case((HumanTask.assignee == username, 1)))
        unclaimed = func.count(case((HumanTask.assignee.is_(None), 1)))
        claimed_by_me, unclaimed_in_groups = session.execute(
            _open_in(select(mine, unclaimed), _candidates("todo", username, groups), where)
        ).one()
        counts.update(todo=claimed_by_me + unclaimed_in_groups, mine=claimed_by_me, group=unclaimed_in_groups)
    if "all" in tabs:
        counts["all"] = session.scalar(_open_in(select(func.count(HumanTask.id)), None, where)) or 0
    return {tab: counts[tab] for tab in tabs}


def count_open_tasks_for(
    session: Session, tab: str, username: str, groups: Iterable[str], where: TaskFilter | None = None
) -> int:
    return count_open_tasks_by_tab(session, [tab], username, groups, where)[tab]


def open_tasks_of_case(session: Session, instance_id: int) -> list[HumanTask]:
    return list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
            .order_by(HumanTask.id)
        )
    )


def case_by_number(session: Session, case_number: str) -> ProcessInstance | None:
    return session.scalars(select(ProcessInstance).where(ProcessInstance.case_number == case_number)).first()


def recent_cases(
    session: Session, limit: int = 50, offset: int = 0, status: str | None = None
) -> list[ProcessInstance]:
    query = select(ProcessInstance).order_by(ProcessInstance.opened_at.desc(), ProcessInstance.id.desc())
    if status:
        query = query.where(ProcessInstance.status == status)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_cases(session: Session, status: str | None = None) -> int:
    query = select(func.count(ProcessInstance.id))
    if status:
        query = query.where(ProcessInstance.status == status)
    return session.scalar(query) or 0
