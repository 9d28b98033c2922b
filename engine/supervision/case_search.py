"""Finding cases for supervisors: by number, customer, phone, address, procedure, category, department,
source, status, lateness and opening date, a page at a time. Reads the case summary columns only.

Substring search (number, customer, phone, address) uses LIKE. It scans one of the search indexes of
migration 0010, which carry every searched column, never the wide case rows; bench/search_bench.py
measures it with 100,000 cases on SQLite and PostgreSQL (trigram indexes were not needed at that size).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, SQLColumnExpression, and_, exists, func, or_, select
from sqlalchemy.orm import Session, defer

from engine.cases import readable_cases
from engine.db import ESCAPE, HumanTask, ProcessInstance, containing
from engine.runtime import Actor

STATUSES = ("running", "completed")
SORTS: dict[str, tuple[SQLColumnExpression[Any], ...]] = {
    "newest": (ProcessInstance.opened_at.desc(), ProcessInstance.id.desc()),
    "oldest": (ProcessInstance.opened_at, ProcessInstance.id),
    "number": (ProcessInstance.case_number,),
}
TEXT_LIMIT = 100


@dataclass(frozen=True)
class CaseQuery:
    """What a supervisor narrows the cases to; empty fields do not filter. `opened_before` is exclusive.
    `visible_to`: only the cases this person may open (engine.cases.may_read_case); None: every case."""

    case_number: str = ""
    customer: str = ""
    phone: str = ""
    address: str = ""
    process_key: str = ""
    category: str = ""
    department: str = ""
    source: str = ""
    status: str = ""
    overdue: bool = False
    opened_from: datetime | None = None
    opened_before: datetime | None = None
    sort: str = "newest"
    now: datetime | None = None
    visible_to: Actor | None = None
    # Keyset paging (the API's cursor): only cases after this one (opened_at, id) in the order newest
    # or oldest; a page read so stays right while new cases are opened.
    after: tuple[datetime, int] | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        readable = readable_cases(self.visible_to) if self.visible_to is not None else None
        if readable is not None:
            found.append(readable)
        for column, typed in (
            (ProcessInstance.case_number, self.case_number.upper()),
            (ProcessInstance.customer_name, self.customer),
            (ProcessInstance.address, self.address),
        ):
            if typed.strip():
                found.append(column.like(containing(typed.strip()[:TEXT_LIMIT]), escape=ESCAPE))
        digits = "".join(c for c in self.phone if c.isdigit())[:TEXT_LIMIT]
        if digits:
            found.append(_digits_of(ProcessInstance.customer_phone).like(containing(digits), escape=ESCAPE))
        for column, value in (
            (ProcessInstance.process_key, self.process_key),
            (ProcessInstance.category, self.category),
            (ProcessInstance.department, self.department),
            (ProcessInstance.source, self.source),
        ):
            if value:
                found.append(column == value)
        if self.status in STATUSES:
            found.append(ProcessInstance.status == self.status)
        if self.overdue and self.now is not None:
            found.append(_has_overdue_task(self.now))
        if self.opened_from is not None:
            found.append(ProcessInstance.opened_at >= self.opened_from)
        if self.opened_before is not None:
            found.append(ProcessInstance.opened_at < self.opened_before)
        if self.after is not None and self.sort in ("newest", "oldest"):
            found.append(_after(self.after, newest_first=self.sort == "newest"))
        return found


def _after(last: tuple[datetime, int], newest_first: bool) -> ColumnElement[bool]:
    opened_at, instance_id = last
    if newest_first:
        return or_(
            ProcessInstance.opened_at < opened_at,
            and_(ProcessInstance.opened_at == opened_at, ProcessInstance.id < instance_id),
        )
    return or_(
        ProcessInstance.opened_at > opened_at,
        and_(ProcessInstance.opened_at == opened_at, ProcessInstance.id > instance_id),
    )


def _digits_of(phone: SQLColumnExpression[str | None]) -> ColumnElement[str]:
    """A phone number as its digits: "0951-5012345" is found by 09515012345 and by 0951 501 2345. The
    forms store digits with at most a dash after the area code, so the dash is all there is to drop."""
    return func.replace(phone, "-", "")


def _has_overdue_task(now: datetime) -> Exists:
    # EXISTS, not IN: walking the search index newest first, a page stops after its 50 matches.
    return exists().where(
        HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open", HumanTask.due_at < now
    )


def search_cases(
    session: Session, query: CaseQuery, limit: int = 50, offset: int = 0
) -> list[ProcessInstance]:
    """A page of matching cases. The ids come first, from the narrow search index alone (a case's row
    is wide: it holds the serialized workflow), then only the page's rows are read."""
    order = SORTS.get(query.sort, SORTS["newest"])
    ids = list(
        session.scalars(
            select(ProcessInstance.id).where(*query.clauses()).order_by(*order).limit(limit).offset(offset)
        )
    )
    if not ids:
        return []
    rows = session.scalars(
        select(ProcessInstance).options(defer(ProcessInstance.state)).where(ProcessInstance.id.in_(ids))
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids]


def count_cases_matching(session: Session, query: CaseQuery) -> int:
    return session.scalar(select(func.count(ProcessInstance.id)).where(*query.clauses())) or 0


def overdue_case_ids(session: Session, instance_ids: list[int], now: datetime) -> set[int]:
    """Which of these cases have an open task past due (one query for a page of results)."""
    if not instance_ids:
        return set()
    return set(
        session.scalars(
            select(HumanTask.instance_id)
            .where(
                HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open", HumanTask.due_at < now
            )
            .distinct()
        )
    )
