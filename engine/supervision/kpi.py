"""Service-quality figures (M4, 001 §6.2) and the case facts the weekly and monthly reports count (M2, M3).

Everything is read from the projections the units of work write — `process_instance` (received,
closed, department, category), `human_task` (when a step was created and completed, its deadline) and
`event` (the answers given at callbacks) — with a fixed number of aggregate queries per figure,
whatever the number of cases; nothing deserializes a workflow.

What the diagrams say, and so what the figures count (the diagrams declare which steps these are:
the roles of engine.bpmn.roles and docs/modelling.md; the figures read them from every deployed version):

- **A hotline case** is a case of any procedure but the sampled callback itself (`callback.bpmn`, M1,
  process role `sampled_callback`), which is follow-up work on another case.
- **Received** (受理): the case was opened (`process_instance.opened_at`) in the period (and by the
  time of the figures).
- **Replied** (答复, 回复): the department gave the hotline its result. Complaint (C3): the department
  completed 调查处理并答复 with "handled" — the case moves on to the callback (the task with the role
  `replied` is created). Repair (R6): the worker reported the repair done (现场维修并回单) — the callback
  task is created. Liaison feedback (L4): the department finished on site or its plan — the callback
  task is created.
  Consultation (Q1), outage (O2) and new connection (S2) reply by finishing: the answer given, the
  service restored, the heating on; for them replied is closed.
- **Closed** (办结): the case reached its end (`process_instance.closed_at`).
- **A deadline** is a task's due time (`human_task.due_at`): dispatch within 3 minutes (C2, R2), on
  site within the category's minutes (R3) or 2 hours (L4), the same-day reply (C3, R6), the written
  report within 1 hour (L2) or submission within 24 hours (L3), a promised reply time (Q1), heating
  within 2 working days (S2), an outage's estimated restoration (O2), a plan's milestones (L4), the
  department's investigation of a liaison report (L4: 2 hours for an urgent one), the callback within
  24 hours (C5, R5, L5).
- **A callback answer** is the customer's answer to 客户是否满意 / 用户是否满意 at a procedure's callback
  (complaint C5, repair R5, liaison L5: role `callback`), every time one is recorded, and the answer of
  every reached customer at a sampled callback (M1).
- A case's **department** is its responsible department (`department`); a case without one (a
  consultation) belongs to the department its category is routed to (by the routing table, as cases
  are routed; the category's own department where no table answers); a case without either to its
  diagram's `defaultDepartment` (outage and new connection: operations, 生产运行, who restore and heat);
  anything else to customer service.

The four KPIs (M4), each for a period (whole local days) and for every department or category:

1. **Satisfaction rate** (用户满意度) = callback answers "satisfied" ÷ callback answers recorded in the
   period (by the time the callback task was completed).
2. **Response timeliness rate** (响应及时率) = deadlines met ÷ deadlines judged: every task deadline
   falling in the period that has passed, or whose task is done, by the time of the figures; met when
   the task was completed at or before its due time. Cancelled tasks are not judged. A task whose clock
   was paused (the customer not at home, an agreed appointment, materials awaited) is judged by its
   deadline moved by the working time it was paused (engine.cases.pauses), and not while it is paused.
3. **Resolution rate** (问题解决率) = cases received in the period and closed by the time of the
   figures ÷ cases received in the period.
4. **Complaint handling rate** (投诉处理率) = complaints (C1-C7, process role `complaint`) received in
   the period that the department had replied to by the time of the figures ÷ complaints received in
   the period.

A rate with nothing to divide by is shown as "—", never as 0 % or 100 %.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import ANSWER_FIELD, CALLBACK, COMPLAINT, REPLIED, SAMPLED_CALLBACK, SATISFIED
from engine.db import HumanTask, ProcessInstance
from engine.decisions import routes
from engine.processes import DeployedRoles, deployed_roles
from engine.reference import ReferenceData
from engine.supervision.periods import Period
from engine.supervision.sampled_outcomes import callback_completions, sampled_answers

# Whose a case is when it names no department, its category none, and its diagram none either.
FALLBACK_DEPARTMENT = "customer_service"
NONE = ""  # the group key of cases without a category

KPI_NAMES = ("satisfaction", "timeliness", "resolution", "complaint_handling")


def routed_departments(session: Session, reference: ReferenceData) -> dict[str, str]:
    """Each category's department as the routing table sends it (engine.decisions.routing, as a case's
    routing and every other lookup of a route): the category's own column only where no table answers
    (none deployed, or no rule matches it). One read of the table, whatever the number of cases."""
    found = routes(session, [c.code for c in reference.categories])
    departments = {}
    for row in reference.categories:
        route = found.get(row.code)
        departments[row.code] = (
            route.department if route is not None and route.department else row.department_code
        )
    return departments


def department_of_case(
    process_key: str,
    department: str | None,
    category: str | None,
    routed: Mapping[str, str],
    roles: DeployedRoles,
) -> str:
    """A case's department for the figures (see the module's docstring); `routed`: the categories'
    departments by the routing table (routed_departments)."""
    if department:
        return department
    if category and routed.get(category):
        return routed[category]
    return roles.default_department(process_key) or FALLBACK_DEPARTMENT


@dataclass(frozen=True)
class Rate:
    """A share: `part` of `whole`. None when there is nothing to divide by."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return None if self.whole == 0 else self.part / self.whole

    @property
    def percent(self) -> str:
        """'87.5%' with one decimal, '—' when there is nothing to divide by."""
        return "—" if self.value is None else f"{self.value * 100:.1f}%"

    def as_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "whole": self.whole,
            "rate": None if self.value is None else round(self.value, 4),
        }


@dataclass
class Counts:
    """The counts behind the figures, for one group of cases."""

    received: int = 0
    replied: int = 0
    closed: int = 0
    complaints: int = 0
    complaints_replied: int = 0
    deadlines: int = 0
    deadlines_met: int = 0
    answers: int = 0
    satisfied: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def rates(self) -> dict[str, Rate]:
        return {
            "satisfaction": Rate(self.satisfied, self.answers),
            "timeliness": Rate(self.deadlines_met, self.deadlines),
            "resolution": Rate(self.closed, self.received),
            "complaint_handling": Rate(self.complaints_replied, self.complaints),
        }

    def as_dict(self) -> dict[str, Any]:
        counts = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**counts, "rates": {name: rate.as_dict() for name, rate in self.rates.items()}}


@dataclass(frozen=True)
class GroupKey:
    process_key: str
    department: str
    category: str


@dataclass
class KpiTable:
    """The figures of one period, by department or by category, with the total."""

    period: Period
    as_of: datetime
    group_by: str
    rows: dict[str, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)


# --- the queries -------------------------------------------------------------------------------------


def hotline_case(roles: DeployedRoles) -> Any:
    """A condition on `process_instance`: not a sampled callback (follow-up work, M1)."""
    return ProcessInstance.process_key.not_in(roles.keys_with(SAMPLED_CALLBACK))


def replied_at_column(roles: DeployedRoles) -> Any:
    """When the department replied (see "Replied"): a correlated subquery, or the closing time."""
    whens = []
    for process_key, element_ids in roles.element_ids(REPLIED).items():
        first = (
            select(func.min(HumanTask.created_at))
            .where(HumanTask.instance_id == ProcessInstance.id, HumanTask.element_id.in_(sorted(element_ids)))
            .correlate(ProcessInstance)
            .scalar_subquery()
        )
        whens.append((ProcessInstance.process_key == process_key, first))
    return case(*whens, else_=ProcessInstance.closed_at) if whens else ProcessInstance.closed_at


def _received_counts(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> dict[GroupKey, Counts]:
    """Received, replied, closed and the complaint counts, by (process, department, category)."""
    per_case = (
        select(
            ProcessInstance.process_key.label("process_key"),
            ProcessInstance.department.label("department"),
            ProcessInstance.category.label("category"),
            replied_at_column(roles).label("replied_at"),
            ProcessInstance.closed_at.label("closed_at"),
        )
        .where(
            ProcessInstance.opened_at >= start,
            ProcessInstance.opened_at < end,
            ProcessInstance.opened_at <= as_of,
            hotline_case(roles),
        )
        .subquery()
    )
    replied = case((per_case.c.replied_at <= as_of, 1), else_=0)
    closed = case((per_case.c.closed_at <= as_of, 1), else_=0)
    query = select(
        per_case.c.process_key,
        per_case.c.department,
        per_case.c.category,
        func.count(),
        func.sum(replied),
        func.sum(closed),
    ).group_by(per_case.c.process_key, per_case.c.department, per_case.c.category)
    found: dict[GroupKey, Counts] = {}
    complaint_keys = roles.keys_with(COMPLAINT)
    for process_key, department, category, received, replied_count, closed_count in session.execute(query):
        counts = Counts(received=received, replied=int(replied_count or 0), closed=int(closed_count or 0))
        if process_key in complaint_keys:
            counts.complaints, counts.complaints_replied = counts.received, counts.replied
        found[GroupKey(process_key, department or "", category or NONE)] = counts
    return found


def _deadline_counts(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> dict[GroupKey, Counts]:
    """Deadlines judged and met (M4 timeliness), by the case's (process, department, category)."""
    done = and_(HumanTask.status == "completed", HumanTask.completed_at <= as_of)
    met = case((and_(done, HumanTask.completed_at <= HumanTask.due_at), 1), else_=0)
    query = (
        select(
            ProcessInstance.process_key,
            ProcessInstance.department,
            ProcessInstance.category,
            func.count(),
            func.sum(met),
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            HumanTask.due_at >= start,
            HumanTask.due_at < end,
            HumanTask.status != "cancelled",
            or_(HumanTask.due_at <= as_of, done),
            # A task paused now is not judged until it resumes and its deadline has moved.
            or_(HumanTask.paused_at.is_(None), done),
            hotline_case(roles),
        )
        .group_by(ProcessInstance.process_key, ProcessInstance.department, ProcessInstance.category)
    )
    return {
        GroupKey(p, d or "", c or NONE): Counts(deadlines=n, deadlines_met=int(m or 0))
        for p, d, c, n, m in session.execute(query)
    }


def procedure_callback_answers(
    session: Session, start: datetime, end: datetime, as_of: datetime, roles: DeployedRoles | None = None
) -> list[tuple[GroupKey, str, str | None, datetime]]:
    """Every answer given at a procedure's callback (C5, R5, L5) in the period:
    (group, case number, answer, when).

    The history keeps what a step changed, so a second "not satisfied" after a first one changes
    nothing and is not in its event: the answer of each callback is the last one recorded up to it.
    One query: the callback events of the cases whose callback task was completed in the period.
    """
    roles = roles or deployed_roles(session)
    internal = roles.keys_with(SAMPLED_CALLBACK)
    callbacks = {key: ids for key, ids in roles.element_ids(CALLBACK).items() if key not in internal}
    if not callbacks:
        return []
    rows = callback_completions(
        session,
        {key: set(ids) for key, ids in callbacks.items()},
        start,
        end,
        as_of,
        ProcessInstance.department,
        ProcessInstance.category,
        ProcessInstance.case_number,
    )
    answers = []
    last: dict[int, Any] = {}
    for instance_id, element_id, at, changes, process_key, department, category, number in rows:
        if element_id not in callbacks[process_key]:
            continue
        if ANSWER_FIELD in (changes or {}):
            last[instance_id] = changes[ANSWER_FIELD][1]
        if start <= at < end and at <= as_of:
            answers.append(
                (GroupKey(process_key, department or "", category or NONE), number, last.get(instance_id), at)
            )
    return answers


def sampled_callback_answers(
    session: Session, start: datetime, end: datetime, as_of: datetime, roles: DeployedRoles | None = None
) -> list[tuple[GroupKey, str, str | None, datetime]]:
    """The answers of reached customers at sampled callbacks (M1) in the period, every pass of the
    step (engine.supervision.sampled_outcomes): (group of the original case, original case number,
    answer, when)."""
    roles = roles or deployed_roles(session)
    return [
        (GroupKey(a.original_process, a.department, a.category or NONE), a.original_case, a.answer, a.at)
        for a in sampled_answers(session, roles, start, end, as_of)
        if a.reached
    ]


def _answer_counts(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> dict[GroupKey, Counts]:
    found: dict[GroupKey, Counts] = defaultdict(Counts)
    for key, _number, answer, _at in procedure_callback_answers(
        session, start, end, as_of, roles
    ) + sampled_callback_answers(session, start, end, as_of, roles):
        found[key].answers += 1
        found[key].satisfied += 1 if answer == SATISFIED else 0
    return found


def counts_by_group(
    session: Session,
    period: Period,
    zone: ZoneInfo,
    as_of: datetime,
    roles: DeployedRoles | None = None,
    span: tuple[datetime, datetime] | None = None,
) -> dict[GroupKey, Counts]:
    """Every count of the period, by (process, department as written, category): of its whole days, or
    of `span` [start, end) where one is given (the monthly 12345 summary: cut-off to cut-off)."""
    start, end = span or period.bounds(zone)
    roles = roles or deployed_roles(session)
    merged: dict[GroupKey, Counts] = defaultdict(Counts)
    for part in (
        _received_counts(session, roles, start, end, as_of),
        _deadline_counts(session, roles, start, end, as_of),
        _answer_counts(session, roles, start, end, as_of),
    ):
        for key, counts in part.items():
            merged[key].add(counts)
    return dict(merged)


def kpi_table(
    session: Session,
    period: Period,
    zone: ZoneInfo,
    as_of: datetime,
    reference: ReferenceData,
    group_by: str = "department",
    department: str | None = None,
    category: str | None = None,
    span: tuple[datetime, datetime] | None = None,
) -> KpiTable:
    """The four KPIs of a period by department or by category, optionally for one department and/or
    one category (a parent category takes in its sub-categories), with the total; counted over `span`
    instead of the period's whole days where one is given (see counts_by_group)."""
    if group_by not in ("department", "category"):
        raise ValueError("group_by is department or category")
    table = KpiTable(period, as_of, group_by)
    roles = deployed_roles(session)
    routed = routed_departments(session, reference)
    wanted_categories = _with_children(category, reference) if category else None
    for key, counts in counts_by_group(session, period, zone, as_of, roles, span).items():
        dept = department_of_case(key.process_key, key.department, key.category or None, routed, roles)
        if department and dept != department:
            continue
        if wanted_categories is not None and key.category not in wanted_categories:
            continue
        row = dept if group_by == "department" else key.category
        table.rows.setdefault(row, Counts()).add(counts)
        table.total.add(counts)
    table.rows = dict(sorted(table.rows.items(), key=lambda item: _order(item[0], group_by, reference)))
    return table


def _with_children(category: str, reference: ReferenceData) -> set[str]:
    return {category} | {c.code for c in reference.categories if c.parent_code == category}


def _order(code: str, group_by: str, reference: ReferenceData) -> tuple[int, str]:
    rows: Iterable[Any] = reference.departments if group_by == "department" else reference.categories
    for index, row in enumerate(rows):
        if row.code == code:
            return index, code
    return 10_000, code
