"""Queries behind the tasklist and case pages; they read projections only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    SelectBase,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session, aliased, defer, joinedload, selectinload

from engine.bpmn import user_candidate
from engine.cases import normalized
from engine.db import ESCAPE, HumanTask, HumanTaskGroup, ProcessInstance, containing

TABS = ("todo", "mine", "group", "all")
PERSONAL_TABS = ("todo", "mine", "group")
# The most urgent first (the higher priority first within one deadline), no deadline last: the order of the open tasks' index (ix_task_open_urgent), which
# both databases read in that order (SQLite reads the tasks with a deadline first, then those without).
_URGENT_FIRST = (
    HumanTask.due_at.asc().nulls_last(),
    HumanTask.priority.desc(),
    HumanTask.created_at,
    HumanTask.id,
)
# A tab counts its tasks up to here and then shows "1000+": no page reads every task of a large department.
COUNT_LIMIT = 1000
# A deadline filter leaving more of a tab's tasks than this reads its range of the open tasks' index (whose
# first column is the deadline) in urgency order: it meets one of the tab's tasks often enough to stop early,
# where reading the tab's candidates would sort every task of a large group first.
DUE_RANGE_READ_IN_ORDER = COUNT_LIMIT // 4
# A search's matching cases are listed by id in the page's statements up to this many.
MATCHED_CASES_LISTED = 2000


@dataclass(frozen=True)
class TaskFilter:
    """What a person narrows the tasklist to; empty fields do not filter."""

    process_key: str = ""
    category: str = ""
    department: str = ""
    source: str = ""
    overdue: bool = False
    due_between: tuple[datetime, datetime] | None = None  # "due today": within the local day
    text: str = ""
    # Whether the person may search by who the customer is; otherwise the text matches case numbers
    # only, or a search would reveal the name and phone they see masked (M6).
    personal: bool = True
    now: datetime | None = None
    # The cases a search matched, when they are few: looked up once for the page's statements.
    case_ids: tuple[int, ...] | None = None
    # PostgreSQL: the search column's trigram index narrows a case-number search first.
    trigram_index: bool = False
    # The search matched more cases than are listed: each task's case is checked instead, since reading
    # tasks until a page or a count is full then looks at few of them, not at every case's text.
    matches_many: bool = False

    @property
    def bounds_due(self) -> bool:
        """Whether the filter keeps tasks of a range of deadlines only."""
        return (self.overdue and self.now is not None) or self.due_between is not None

    def clauses(self, in_urgency_order: bool = False) -> list[ColumnElement[bool]]:
        """Conditions on the task rows; the case's own filters become one `instance_id IN (...)`, which the
        database answers from the cases' narrow indexes instead of reading a case row per task.
        `in_urgency_order`: the tasks are read from the open tasks' index in order and each is checked
        against the matching cases; `instance_id + 0` keeps SQLite from reading the tasks case by case
        instead and sorting them all."""
        found: list[ColumnElement[bool]] = []
        if self.overdue and self.now is not None:
            found.append(HumanTask.due_at < self.now)
        if self.due_between is not None:
            found.append(HumanTask.due_at.between(*self.due_between))
        of_case = self._case_clauses()
        task_case = HumanTask.instance_id + 0 if in_urgency_order else HumanTask.instance_id
        if self.case_ids is not None:  # ids written into the statement: PostgreSQL plans a list of bound
            # parameters slowly, and after a few runs prepares the statement with a worse, generic plan
            listed: BindParameter[Any] = bindparam(
                "case_ids", list(self.case_ids), expanding=True, literal_execute=True
            )
            found.append(task_case.in_(listed))
        elif of_case and self.matches_many:
            found.append(exists().where(ProcessInstance.id == HumanTask.instance_id, *of_case))
        elif of_case:
            found.append(task_case.in_(select(ProcessInstance.id).where(*of_case)))
        return found

    def prepared(self, session: Session) -> TaskFilter:
        """The filter for this database, with a search (which reads every case's search text or number) run
        once for the page: its cases are given to the counts and the page by id when they are at most
        MATCHED_CASES_LISTED."""
        if not normalized(self.text[:100]) or self.case_ids is not None:
            return self
        ready = replace(self, trigram_index=session.get_bind().dialect.name == "postgresql")
        found = list(
            session.scalars(
                select(ProcessInstance.id).where(*ready._case_clauses()).limit(MATCHED_CASES_LISTED + 1)
            )
        )
        if len(found) > MATCHED_CASES_LISTED:
            return replace(ready, matches_many=True)
        return replace(ready, case_ids=tuple(found))

    def _case_clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.process_key:
            found.append(ProcessInstance.process_key == self.process_key)
        if self.category:
            found.append(ProcessInstance.category == self.category)
        if self.department:
            found.append(ProcessInstance.department == self.department)
        if self.source:
            found.append(ProcessInstance.source == self.source)
        typed = normalized(self.text[:100])
        if typed and self.personal:  # one column with its own index, not an OR over four columns
            found.append(ProcessInstance.search_text.like(containing(typed), escape=ESCAPE))
        elif typed:
            if self.trigram_index:  # the case number is the search column's first part
                found.append(ProcessInstance.search_text.like(containing(typed), escape=ESCAPE))
            found.append(func.lower(ProcessInstance.case_number).like(containing(typed), escape=ESCAPE))
        return found


# Whether any task names the person as a candidate (camunda:candidateUsers): one probe of the group index.
_NAMED = select(HumanTaskGroup.task_id).where(HumanTaskGroup.group_name == bindparam("name")).limit(1)


def _candidate_names(session: Session, username: str, groups: Iterable[str]) -> list[str]:
    """The person's groups, and the person as a candidate of their own where some task names them:
    only then, since a second name makes the count of unclaimed tasks leave out doubles, which costs."""
    names = list(groups)
    mine = user_candidate(username)
    if mine not in names and session.scalar(_NAMED, {"name": mine}) is not None:
        names.append(mine)
    return names


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


def _in_groups(groups: list[str]) -> ColumnElement[bool]:
    """The task is a candidate of one of `groups`: one probe of the group table's key per task. `OFFSET 0`
    keeps PostgreSQL from hashing every task of the groups first (20,000 of a department), which costs
    more than the few hundred probes a page of tasks read in urgency order makes."""
    in_groups = select(HumanTaskGroup.task_id).where(
        HumanTaskGroup.task_id == HumanTask.id, HumanTaskGroup.group_name.in_(groups)
    )
    return in_groups.offset(0).exists()


def _in_tab(tab: str, username: str, groups: list[str]) -> ColumnElement[bool]:
    """The tab's tasks as a condition on each task row, for reading the open tasks in urgency order."""
    if tab == "mine":
        return HumanTask.assignee == username
    if tab == "group":
        return and_(HumanTask.assignee.is_(None), _in_groups(groups))
    if tab == "todo":
        return or_(HumanTask.assignee == username, and_(HumanTask.assignee.is_(None), _in_groups(groups)))
    return true()


# `query` stays Any: Select's type parameters differ between SQLAlchemy 2.0 and 2.1.
def _open_in(query: Any, candidates: SelectBase | None, where: TaskFilter | None) -> Any:
    if candidates is not None:
        ids = candidates.subquery()
        query = query.join(ids, ids.c.id == HumanTask.id)
    return query.where(HumanTask.status == "open", *_filtered(where))


def _filtered(where: TaskFilter | None, in_urgency_order: bool = False) -> list[ColumnElement[bool]]:
    return where.clauses(in_urgency_order) if where is not None else []


def _page_ids(
    session: Session,
    tab: str,
    username: str,
    groups: list[str],
    limit: int,
    offset: int,
    where: TaskFilter | None,
    many: bool,
) -> list[int]:
    """The ids of a tab's page, the most urgent first. A tab of many tasks is read in urgency order from
    the open tasks' index, each task checked against the tab, and the reading stops at the page's end;
    the tasks of the few cases a search found are read case by case; a tab of few is read from its
    candidates (group and assignee indexes). The last two are then sorted."""
    if many or (where is not None and where.case_ids is not None):
        query = select(HumanTask.id).where(
            HumanTask.status == "open",
            _in_tab(tab, username, groups),
            *_filtered(where, in_urgency_order=many),
        )
    else:
        query = _open_in(select(HumanTask.id), _candidates(tab, username, groups), where).where(
            _tab_filter(tab, username)
        )
    return list(session.scalars(query.order_by(*_URGENT_FIRST).limit(limit).offset(offset)))


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
    names = _candidate_names(session, username, groups)
    ids = _page_ids(session, tab, username, names, limit, offset, where, many=False)
    return _with_cases(session, ids)


@dataclass(frozen=True)
class TasklistPage:
    tasks: list[HumanTask]
    # Each tab's number of tasks; past COUNT_LIMIT a tab is not counted further (COUNT_LIMIT + 1 or more).
    counts: dict[str, int]
    more: bool  # whether a next page holds tasks


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
    """A tab's page and the counts of every tab, as the tasklist shows them: one statement counts the tabs
    (each up to COUNT_LIMIT), one reads the page's ids, one the page's tasks with their cases."""
    tabs, groups = list(tabs), _candidate_names(session, username, groups)
    if where is not None:
        where = where.prepared(session)
    counts = _counts_by_tab(session, list(dict.fromkeys([*tabs, tab])), username, groups, where)
    # Read in urgency order: a tab not counted to the end (its page may lie past the count), or a deadline
    # range holding many of its tasks.
    many = counts[tab] > COUNT_LIMIT or (
        where is not None and where.bounds_due and counts[tab] > DUE_RANGE_READ_IN_ORDER
    )
    ids: list[int] = []
    if many or offset < counts[tab]:
        ids = _page_ids(session, tab, username, groups, limit + 1, offset, where, many)
    return TasklistPage(
        _with_cases(session, ids[:limit]), {t: counts[t] for t in tabs}, more=len(ids) > limit
    )


def _up_to_limit(ids: Any) -> Any:
    """How many rows `ids` gives, reading no more than COUNT_LIMIT + 1 of them."""
    return select(func.count()).select_from(ids.limit(COUNT_LIMIT + 1).subquery()).scalar_subquery()


def _unclaimed_in_groups(groups: list[str], where: TaskFilter | None) -> Any:
    """Open unclaimed tasks of my groups, read from the group index (a task in two of my groups once:
    under the first of them), so the count stops early for a large group."""
    query = (
        select(HumanTaskGroup.task_id)
        .join(HumanTask, HumanTask.id == HumanTaskGroup.task_id)
        .where(
            HumanTaskGroup.group_name.in_(groups),
            HumanTask.assignee.is_(None),
            HumanTask.status == "open",
            *_filtered(where),
        )
    )
    if len(groups) > 1:
        earlier = aliased(HumanTaskGroup)
        query = query.where(
            ~exists().where(
                earlier.task_id == HumanTaskGroup.task_id,
                earlier.group_name.in_(groups),
                earlier.group_name < HumanTaskGroup.group_name,
            )
        )
    return query


def count_open_tasks_by_tab(
    session: Session,
    tabs: Iterable[str],
    username: str,
    groups: Iterable[str],
    where: TaskFilter | None = None,
) -> dict[str, int]:
    """How many open tasks each tab holds, all in one statement; each part stops counting past
    COUNT_LIMIT, so a department with tens of thousands of open tasks is not read through."""
    return _counts_by_tab(session, tabs, username, _candidate_names(session, username, groups), where)


def _counts_by_tab(
    session: Session, tabs: Iterable[str], username: str, groups: list[str], where: TaskFilter | None
) -> dict[str, int]:
    tabs = list(tabs)
    parts: dict[str, Any] = {}
    if set(tabs) & set(PERSONAL_TABS):
        parts["mine"] = _up_to_limit(
            select(HumanTask.id).where(
                HumanTask.assignee == username, HumanTask.status == "open", *_filtered(where)
            )
        )
        parts["unclaimed"] = _up_to_limit(_unclaimed_in_groups(groups, where))
    if "all" in tabs:
        parts["all"] = _up_to_limit(select(HumanTask.id).where(HumanTask.status == "open", *_filtered(where)))
    if not parts:
        return {}
    found = dict(zip(parts, session.execute(select(*parts.values())).one(), strict=True))
    counts: dict[str, int] = {}
    if "mine" in found:
        counts.update(todo=found["mine"] + found["unclaimed"], mine=found["mine"], group=found["unclaimed"])
    if "all" in found:
        counts["all"] = found["all"]
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
