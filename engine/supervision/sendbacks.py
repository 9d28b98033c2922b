"""Send-backs by department (退单/改派, C4; the 回退率 of city hotline assessment), for a period: the
send-back table, and the send-back figure of the monthly department assessment (department_send_backs).

The diagrams declare the dispatcher's review of a send-back with the task role `sendback_review`
(engine.bpmn.roles); its form field `sendback_decision` says `approve` (re-dispatched to another
department) or `reject` (back to the same department). Everything is read from `human_task` and
`event` with three queries, whatever the number of cases:

- **A send-back** is a review task created in the period (by the time of the figures): the moment a
  department said "not ours". It counts for **the department that sent it back**: the candidate group
  of the case's step completed last at or before the review was created (the department step whose
  completion asked for the review). Where that step belongs to a group that is no department (the
  repair worker's arrival on site, repair.bpmn), it is the department the case was with at that moment
  (its `department` as the case history last recorded it before the review).
- **Approved** / **rejected**: the decision recorded when the review was completed (by the time of the
  figures); the history keeps what a step changed, so an unchanged decision at a later review of the
  same case is the one recorded before it. A review still open is **awaiting review**.
- **Time lost**: for each decided send-back, from the moment the department received the case (its
  step was created) until the dispatcher decided: the time the case spent without progress because it
  went to a department that said it was not theirs. Shown in hours, summed per department.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import SENDBACK_APPROVED, SENDBACK_DECISION_FIELD, SENDBACK_REVIEW
from engine.db import Department, Event, HumanTask, ProcessInstance
from engine.processes import DeployedRoles, deployed_roles, of_elements
from engine.reference import ReferenceData
from engine.supervision.periods import Period

APPROVED, REJECTED = "approved", "rejected"


@dataclass
class SendBackCounts:
    sent_back: int = 0
    approved: int = 0
    rejected: int = 0
    awaiting: int = 0
    time_lost: timedelta = field(default_factory=timedelta)

    def add(self, other: SendBackCounts) -> None:
        self.sent_back += other.sent_back
        self.approved += other.approved
        self.rejected += other.rejected
        self.awaiting += other.awaiting
        self.time_lost += other.time_lost

    @property
    def hours_lost(self) -> float:
        return round(self.time_lost.total_seconds() / 3600, 1)


@dataclass(frozen=True)
class SendBack:
    """One send-back: its case, the department that sent it back, the decision (None while awaiting)."""

    instance_id: int
    department: str
    sent_at: datetime
    decision: str | None
    time_lost: timedelta | None
    case_number: str = ""
    process_key: str = ""


@dataclass(frozen=True)
class DepartmentSendBack:
    case_number: str
    process_key: str
    sent_at: datetime


@dataclass
class SendBackTable:
    rows: dict[str, SendBackCounts] = field(default_factory=dict)
    total: SendBackCounts = field(default_factory=SendBackCounts)


def _review_condition(roles: DeployedRoles) -> Any:
    reviews = roles.element_ids(SENDBACK_REVIEW)
    if not reviews:
        return None
    return of_elements(reviews, HumanTask.element_id)


def send_backs(
    session: Session, start: datetime, end: datetime, as_of: datetime, roles: DeployedRoles | None = None
) -> list[SendBack]:
    """Every send-back of the period (see the module's docstring), oldest first."""
    roles = roles or deployed_roles(session)
    condition = _review_condition(roles)
    if condition is None:
        return []
    reviews = session.execute(
        select(
            HumanTask.id,
            HumanTask.instance_id,
            HumanTask.created_at,
            HumanTask.completed_at,
            HumanTask.element_id,
            ProcessInstance.case_number,
            ProcessInstance.process_key,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            condition,
            HumanTask.created_at >= start,
            HumanTask.created_at < end,
            HumanTask.created_at <= as_of,
            HumanTask.status != "cancelled",
        )
        .order_by(HumanTask.created_at, HumanTask.id)
    ).all()
    if not reviews:
        return []
    instance_ids = sorted({r.instance_id for r in reviews})
    review_ids = {r.id for r in reviews}
    review_elements = {r.element_id for r in reviews}
    steps = session.execute(
        select(
            HumanTask.id,
            HumanTask.instance_id,
            HumanTask.candidate_groups,
            HumanTask.created_at,
            HumanTask.completed_at,
        )
        .where(HumanTask.instance_id.in_(instance_ids), HumanTask.completed_at.is_not(None))
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    events = session.execute(
        select(Event.instance_id, Event.at, Event.changes)
        .where(
            Event.instance_id.in_(instance_ids),
            Event.kind == "task_completed",
            Event.element_id.in_(sorted(review_elements)),
        )
        .order_by(Event.id)
    ).all()
    decisions = _decisions_by_time([(e.instance_id, e.at, e.changes) for e in events])
    departments = set(session.scalars(select(Department.code)))
    held_by: dict[int, list[tuple[datetime, str]]] | None = None
    found = []
    for review in reviews:
        sender = next(
            (
                s
                for s in reversed(steps)
                if s.instance_id == review.instance_id
                and s.id not in review_ids
                and s.completed_at is not None
                and s.completed_at <= review.created_at
            ),
            None,
        )
        department = sender.candidate_groups if sender is not None else ""
        if not set(department.split(",")) & departments:
            if held_by is None:
                held_by = _departments_by_time(session, instance_ids)
            department = _value_at(held_by.get(review.instance_id, []), review.created_at) or department
        decided = review.completed_at is not None and review.completed_at <= as_of
        decision = (
            _decision_at(decisions.get(review.instance_id, []), review.completed_at) if decided else None
        )
        lost = None
        if decided and sender is not None and review.completed_at is not None:
            lost = review.completed_at - sender.created_at
        found.append(
            SendBack(
                review.instance_id,
                department,
                review.created_at,
                decision,
                lost,
                review.case_number,
                review.process_key,
            )
        )
    return found


def department_send_backs(
    session: Session, start: datetime, end: datetime, as_of: datetime
) -> dict[str, list[DepartmentSendBack]] | None:
    """The send-backs as the monthly department assessment counts them: per department code, one item
    per send-back the department made in [start, end) by `as_of`. None while no deployed procedure has
    a step with the role `sendback_review` (the figure is then "—" and its weight drops out)."""
    roles = deployed_roles(session)
    if not roles.element_ids(SENDBACK_REVIEW):
        return None
    by_department: dict[str, list[DepartmentSendBack]] = {}
    for sent in send_backs(session, start, end, as_of, roles):
        for department in (d for d in sent.department.split(",") if d):
            by_department.setdefault(department, []).append(
                DepartmentSendBack(sent.case_number, sent.process_key, sent.sent_at)
            )
    return by_department


def _departments_by_time(session: Session, instance_ids: list[int]) -> dict[int, list[tuple[datetime, str]]]:
    """Per case, each department the case history recorded it moving to, in order."""
    found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for instance_id, at, changes in session.execute(
        select(Event.instance_id, Event.at, Event.changes)
        .where(Event.instance_id.in_(instance_ids))
        .order_by(Event.id)
    ):
        change = (changes or {}).get("department")
        if isinstance(change, list) and len(change) == 2 and change[1]:
            found[instance_id].append((at, str(change[1])))
    return found


def _value_at(values: list[tuple[datetime, str]], moment: datetime) -> str | None:
    return next((value for at, value in reversed(values) if at <= moment), None)


def _decisions_by_time(
    events: list[tuple[int, datetime, dict[str, Any]]],
) -> dict[int, list[tuple[datetime, str]]]:
    """Per case, the decision in force after each completed review, in order."""
    found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    last: dict[int, str] = {}
    for instance_id, at, changes in events:
        change = (changes or {}).get(SENDBACK_DECISION_FIELD)
        if isinstance(change, list) and len(change) == 2:
            last[instance_id] = str(change[1])
        if instance_id in last:
            found[instance_id].append((at, last[instance_id]))
    return found


def _decision_at(decisions: list[tuple[datetime, str]], completed_at: datetime | None) -> str | None:
    value = next(
        (d for at, d in reversed(decisions) if completed_at is not None and at <= completed_at), None
    )
    if value is None:
        return None
    return APPROVED if value == SENDBACK_APPROVED else REJECTED


def sendback_table(
    session: Session, period: Period, zone: ZoneInfo, as_of: datetime, reference: ReferenceData
) -> SendBackTable:
    """The send-backs of a period by the department that sent them back, in reference order, with the total."""
    start, end = period.bounds(zone)
    rows: dict[str, SendBackCounts] = defaultdict(SendBackCounts)
    for sent in send_backs(session, start, end, as_of):
        counts = rows[sent.department]
        counts.sent_back += 1
        if sent.decision == APPROVED:
            counts.approved += 1
        elif sent.decision == REJECTED:
            counts.rejected += 1
        else:
            counts.awaiting += 1
        if sent.time_lost is not None:
            counts.time_lost += sent.time_lost
    order = {d.code: index for index, d in enumerate(reference.departments)}
    table = SendBackTable(dict(sorted(rows.items(), key=lambda item: (order.get(item[0], 10_000), item[0]))))
    for counts in table.rows.values():
        table.total.add(counts)
    return table
