"""The monthly department assessment (红黑榜, issue 20 item 9): six figures per department, each with
the cases behind it, a weighted score and a rank.

What the diagrams declare and so what is counted (roles of engine.bpmn.roles, read from every deployed
version): a **department step** is a user task with the role `department_task` (the complaint's
investigation and reply, the repair's arrival and report, the liaison case's investigation, on-site
work, plan and progress reports, the sampled callback's rework). Only steps with a deadline
(`human_task.due_at`) are judged. A case's department is that of the KPIs (engine.supervision.kpi).

1. **On-time acknowledgement** (按时签收率) = department steps that arrived in the period (created)
   and were acknowledged by their deadline ÷ such steps acknowledged or past their deadline by the time
   of the figures. A step is **acknowledged** (签收) when someone of the department first claims it
   (history event `task_claimed` on the step after it was created), or when it is completed without a
   claim, whichever is first.
2. **On-time closing** (按时办结率) = department steps whose deadline fell in the period and were
   completed by it ÷ such steps completed or past their deadline by the time of the figures.
3. **Satisfaction** (满意率) = callback answers "satisfied" ÷ callback answers given in the period, as
   the KPI's satisfaction rate (M4) counts them.
4. **Redo rate** (重办率, lower is better) = cases the department replied to in the period (M4's
   "replied") that a customer's "not satisfied" sent back to the department by the time of the figures
   ÷ cases the department replied to in the period. Every diagram today sends a case back on that answer
   (C5, R5, L5, and M1's sampled callback): so an unsatisfied answer at the procedure's callback, or at a
   sampled callback of the case, is the send-back.
5. **Chases received** (被督办, lower is better) = chases (C4) in the period: a timer on the boundary of a
   department step fired, that is its deadline passed with the step still open. As a rate: chases ÷
   the department steps judged for on-time closing, at most 1.
6. **Send-back rate** (退单率, lower is better) = cases the department sent back as not its own ÷
   department steps that arrived in the period. Counted by `engine.supervision.sendbacks`
   (department_send_backs), the hook where the send-back-with-review path plugs in; until it does there
   is nothing to count and the figure shows "—".

**Score**: each figure as points out of 100 (a rate × 100; lower-is-better ones (1 − rate) × 100), the
weighted mean with the administrator's weights (engine.supervision.assessment_weights) over the figures
that have something to divide by. Departments are ranked by score, highest first; a department with no
figure has no score and comes last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import DEPARTMENT_TASK, SATISFIED
from engine.db import Event, HumanTask, ProcessInstance
from engine.processes import DeployedRoles, deployed_roles, of_elements
from engine.reference import ReferenceData
from engine.supervision.kpi import (
    Rate,
    department_of_case,
    hotline_case,
    procedure_callback_answers,
    replied_at_column,
    routed_departments,
    sampled_callback_answers,
)
from engine.supervision.periods import Period
from engine.supervision.sendbacks import department_send_backs

FIGURES = ("acknowledgement", "closing", "satisfaction", "redo", "chases", "send_backs")
LOWER_IS_BETTER = frozenset({"redo", "chases", "send_backs"})
CLAIMED = "task_claimed"
FIRED = "timer_fired"


@dataclass(frozen=True)
class Item:
    """One case behind a figure: a step, an answer or a chase; `counted` when it is in the numerator."""

    case_number: str
    what: str
    at: datetime | None
    due_at: datetime | None
    counted: bool
    process_key: str = ""
    element_id: str | None = None  # the step (or the timer of a chase), for its name in the UI language


@dataclass
class Figure:
    items: list[Item] = field(default_factory=list)
    # A figure whose denominator is another figure's (chases, send-backs) names it here.
    whole_from: list[Item] | None = None
    # False while nothing can be counted (the send-backs before their path exists): the rate is "—".
    counted: bool = True

    @property
    def rate(self) -> Rate:
        if not self.counted:
            return Rate(0, 0)
        part = sum(1 for item in self.items if item.counted)
        whole = len(self.whole_from) if self.whole_from is not None else len(self.items)
        return Rate(min(part, whole), whole) if self.whole_from is not None else Rate(part, whole)

    @property
    def count(self) -> int:
        return sum(1 for item in self.items if item.counted)


@dataclass
class DepartmentRow:
    department: str
    figures: dict[str, Figure] = field(default_factory=lambda: {name: Figure() for name in FIGURES})
    score: float | None = None
    rank: int | None = None

    def points(self, name: str) -> float | None:
        value = self.figures[name].rate.value
        if value is None:
            return None
        return (1 - value) * 100 if name in LOWER_IS_BETTER else value * 100


@dataclass
class DepartmentAssessment:
    period: Period
    as_of: datetime
    weights: dict[str, int]
    rows: list[DepartmentRow]

    def row(self, department: str) -> DepartmentRow | None:
        return next((row for row in self.rows if row.department == department), None)


def _department_steps(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> list[Any]:
    steps = roles.element_ids(DEPARTMENT_TASK)
    if not steps:
        return []
    first_claim = (
        select(func.min(Event.at))
        .where(
            Event.instance_id == HumanTask.instance_id,
            Event.element_id == HumanTask.element_id,
            Event.kind == CLAIMED,
            Event.at >= HumanTask.created_at,
            Event.at <= as_of,
        )
        .correlate(HumanTask)
        .scalar_subquery()
    )
    of_role = of_elements(steps, HumanTask.element_id)
    return list(
        session.execute(
            select(
                ProcessInstance.case_number,
                ProcessInstance.process_key,
                ProcessInstance.department,
                ProcessInstance.category,
                HumanTask.name,
                HumanTask.element_id,
                HumanTask.created_at,
                HumanTask.due_at,
                HumanTask.completed_at,
                first_claim,
            )
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(
                of_role,
                HumanTask.status != "cancelled",
                HumanTask.due_at.is_not(None),
                HumanTask.created_at <= as_of,
                or_(
                    and_(HumanTask.created_at >= start, HumanTask.created_at < end),
                    and_(HumanTask.due_at >= start, HumanTask.due_at < end),
                ),
            )
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    )


# Written into the SQL, not bound: only then may the planners (SQLite's, PostgreSQL's generic plans)
# read the fired timers from their partial index (ix_event_timer_fired_at, WHERE kind = 'timer_fired').
_IS_FIRED = Event.kind == literal(FIRED, literal_execute=True)


def _chases(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> list[Any]:
    timers = roles.deadline_timers(DEPARTMENT_TASK)
    if not timers:
        return []
    of_role = of_elements(timers, Event.element_id)
    return list(
        session.execute(
            select(
                ProcessInstance.case_number,
                ProcessInstance.process_key,
                ProcessInstance.department,
                ProcessInstance.category,
                Event.element_name,
                Event.element_id,
                Event.at,
            )
            .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
            .where(of_role, _IS_FIRED, Event.at >= start, Event.at < end, Event.at <= as_of)
            .order_by(Event.at, Event.id)
        )
    )


def _replied_cases(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> list[Any]:
    per_case = (
        select(
            ProcessInstance.case_number.label("case_number"),
            ProcessInstance.process_key.label("process_key"),
            ProcessInstance.department.label("department"),
            ProcessInstance.category.label("category"),
            replied_at_column(roles).label("replied_at"),
        )
        .where(
            hotline_case(roles),
            ProcessInstance.opened_at < end,
            ProcessInstance.opened_at <= as_of,
            # A case replies before (or as) it closes: one closed before the period did not reply in it.
            or_(ProcessInstance.closed_at.is_(None), ProcessInstance.closed_at >= start),
        )
        .subquery()
    )
    return list(
        session.execute(
            select(per_case).where(
                per_case.c.replied_at >= start, per_case.c.replied_at < end, per_case.c.replied_at <= as_of
            )
        )
    )


def department_assessment(
    session: Session,
    period: Period,
    zone: ZoneInfo,
    as_of: datetime,
    reference: ReferenceData,
    weights: dict[str, int],
) -> DepartmentAssessment:
    """The six figures of every department with something to count in the period, scored and ranked."""
    start, end = period.bounds(zone)
    roles = deployed_roles(session)
    routed = routed_departments(session, reference)
    rows: dict[str, DepartmentRow] = {}

    def row_of(process_key: str, department: str | None, category: str | None) -> DepartmentRow:
        code = department_of_case(process_key, department, category, routed, roles)
        return rows.setdefault(code, DepartmentRow(code))

    for number, key, dept, category, name, element, created, due, completed, claimed in _department_steps(
        session, roles, start, end, as_of
    ):
        row = row_of(key, dept, category)
        done = completed if completed is not None and completed <= as_of else None
        acknowledged = min((t for t in (claimed, done) if t is not None), default=None)
        if start <= created < end and (acknowledged is not None or due <= as_of):
            on_time = acknowledged is not None and acknowledged <= due
            row.figures["acknowledgement"].items.append(
                Item(number, name, acknowledged, due, on_time, key, element)
            )
        if start <= due < end and (done is not None or due <= as_of):
            on_time = done is not None and done <= due
            row.figures["closing"].items.append(Item(number, name, done, due, on_time, key, element))

    answers = procedure_callback_answers(session, start, end, as_of, roles) + sampled_callback_answers(
        session, start, end, as_of, roles
    )
    for group, number, answer, at in sorted(answers, key=lambda a: (a[3], a[1])):
        row = row_of(group.process_key, group.department, group.category or None)
        row.figures["satisfaction"].items.append(Item(number, answer or "", at, None, answer == SATISFIED))

    later = as_of + timedelta(seconds=1)
    unsatisfied: dict[str, datetime] = {}
    for _group, number, answer, at in procedure_callback_answers(
        session, start, later, as_of, roles
    ) + sampled_callback_answers(session, start, later, as_of, roles):
        if answer != SATISFIED:
            unsatisfied.setdefault(number, at)
    for number, key, dept, category, replied_at in sorted(
        _replied_cases(session, roles, start, end, as_of), key=lambda r: (r[4], r[0])
    ):
        sent_back = number in unsatisfied and unsatisfied[number] >= replied_at
        at = unsatisfied[number] if sent_back else replied_at
        row_of(key, dept, category).figures["redo"].items.append(Item(number, "", at, None, sent_back))

    for number, key, dept, category, name, element, at in _chases(session, roles, start, end, as_of):
        chase = Item(number, name or "", at, None, True, key, element)
        row_of(key, dept, category).figures["chases"].items.append(chase)

    send_backs = department_send_backs(session, start, end, as_of)
    for code, sent in (send_backs or {}).items():
        rows.setdefault(code, DepartmentRow(code)).figures["send_backs"].items.extend(
            Item(s.case_number, "send_back", s.sent_at, None, True, s.process_key) for s in sent
        )

    for row in rows.values():
        row.figures["chases"].whole_from = row.figures["closing"].items
        row.figures["send_backs"].whole_from = row.figures["acknowledgement"].items
        row.figures["send_backs"].counted = send_backs is not None
        row.score = weighted_score(row, weights)
    return DepartmentAssessment(period, as_of, dict(weights), rank(list(rows.values()), reference))


def weighted_score(row: DepartmentRow, weights: dict[str, int]) -> float | None:
    """The weighted mean of the figures' points over those with something to divide by; None if none."""
    scored = [(weights.get(name, 0), row.points(name)) for name in FIGURES]
    total = sum(weight for weight, points in scored if points is not None)
    if total == 0:
        return None
    return sum(weight * points for weight, points in scored if points is not None) / total


def rank(rows: list[DepartmentRow], reference: ReferenceData) -> list[DepartmentRow]:
    """Highest score first (ties share a rank, then in the reference data's order); no score last."""
    order = {d.code: index for index, d in enumerate(reference.departments)}
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), order.get(r.department, 10_000), r.department))
    previous: float | None = None
    for index, row in enumerate(rows, start=1):
        if row.score is None:
            continue
        row.rank = rows[index - 2].rank if index > 1 and previous == round(row.score, 6) else index
        previous = round(row.score, 6)
    return rows


def list_size(rows: list[DepartmentRow]) -> int:
    """How many departments make each end of the list (红榜 the top, 黑榜 the bottom): three, fewer when
    fewer than six departments are scored, so no department is on both."""
    return min(3, sum(1 for row in rows if row.score is not None) // 2)
