"""What the sampled callbacks (M1) found, for the weekly report and the KPIs (M4).

- **An answer** is one completion of the step with the role `callback` in the procedure with the role
  `sampled_callback` (callback.bpmn): whether the customer was reached (`reached`) and, if so, whether
  they are satisfied (`satisfied`). Read from the history, so a step completed again after the
  department handled the matter again (R5, C5) is a new answer, and a value the second pass left
  unchanged keeps the first pass's (the history keeps what changed).
- **Its outcome**: satisfied; not satisfied — the work went back to the department of the original
  case, counted in the callback case's `sent_back_count`; or not reached.
- **Open**: a sampled callback not finished by the time of the figures, waiting for the operator's
  call or for the department (then it has been sent back at least once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import ANSWER_FIELD, CALLBACK, SAMPLED_CALLBACK, SATISFIED
from engine.db import Event, HumanTask, ProcessInstance
from engine.processes import DeployedRoles, deployed_roles
from engine.supervision.periods import Period

OUTCOMES = ("satisfied", "not_satisfied", "not_reached")
REACHED_FIELD = "reached"


@dataclass(frozen=True)
class SampledAnswer:
    case_number: str  # the sampled callback's own case
    original_case: str
    original_process: str
    department: str
    category: str
    reached: bool
    answer: str | None  # None when the customer was not reached
    at: datetime

    @property
    def outcome(self) -> str:
        if not self.reached:
            return "not_reached"
        return "satisfied" if self.answer == SATISFIED else "not_satisfied"


@dataclass(frozen=True)
class OpenSample:
    case_number: str
    original_case: str
    department: str
    sent_back: int  # times a customer's "not satisfied" sent it back to the department so far


@dataclass
class SampledSummary:
    answers: list[SampledAnswer] = field(default_factory=list)
    still_open: list[OpenSample] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.answers if a.outcome == outcome)

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {
                **{outcome: self.count(outcome) for outcome in OUTCOMES},
                "open": len(self.still_open),
            },
            "answers": [
                {
                    "case_number": a.case_number,
                    "original_case": a.original_case,
                    "department": a.department,
                    "outcome": a.outcome,
                    "at": a.at.isoformat(),
                }
                for a in self.answers
            ],
            "open": [
                {
                    "case_number": o.case_number,
                    "original_case": o.original_case,
                    "department": o.department,
                    "sent_back": o.sent_back,
                }
                for o in self.still_open
            ],
        }


def _sampled_steps(roles: DeployedRoles) -> dict[str, set[str]]:
    """The callback steps of the sampled-callback procedures, by process key."""
    samples = roles.keys_with(SAMPLED_CALLBACK)
    return {key: set(ids) for key, ids in roles.element_ids(CALLBACK).items() if key in samples}


def callback_completions(
    session: Session,
    steps: dict[str, set[str]],
    start: datetime,
    end: datetime,
    as_of: datetime,
    *case_columns: Any,
) -> Iterable[Sequence[Any]]:
    """The completions of the callback steps (`steps`, by process key) of the cases whose callback was
    completed in [start, end) by `as_of`, in history order: instance id, element id, when, what changed,
    process key, then `case_columns` of the case. One query; earlier completions come too, because an
    answer that did not change is not in its own event."""
    elements = sorted(set().union(*steps.values()))
    answered = select(HumanTask.instance_id).where(
        HumanTask.element_id.in_(elements),
        HumanTask.status == "completed",
        HumanTask.completed_at >= start,
        HumanTask.completed_at < end,
        HumanTask.completed_at <= as_of,
    )
    return session.execute(
        select(
            Event.instance_id,
            Event.element_id,
            Event.at,
            Event.changes,
            ProcessInstance.process_key,
            *case_columns,
        )
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(
            Event.instance_id.in_(answered),
            Event.kind == "task_completed",
            Event.element_id.in_(elements),
            ProcessInstance.process_key.in_(sorted(steps)),
        )
        .order_by(Event.instance_id, Event.id)
    )


def sampled_answers(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> list[SampledAnswer]:
    """Every answer recorded at a sampled callback in [start, end) by `as_of`, in the order given."""
    steps = _sampled_steps(roles)
    if not steps:
        return []
    rows = callback_completions(
        session,
        steps,
        start,
        end,
        as_of,
        ProcessInstance.case_number,
        ProcessInstance.department,
        ProcessInstance.category,
        ProcessInstance.data,
    )
    found = []
    seen: dict[int, dict[str, Any]] = {}
    for instance_id, element_id, at, changes, key, number, department, category, data in rows:
        if element_id not in steps[key]:
            continue
        known = seen.setdefault(instance_id, {})
        for name in (REACHED_FIELD, ANSWER_FIELD):
            if name in (changes or {}):
                known[name] = changes[name][1]
        if not (start <= at < end and at <= as_of):
            continue
        reached = bool(known.get(REACHED_FIELD))
        found.append(
            SampledAnswer(
                number,
                str((data or {}).get("original_case") or ""),
                str((data or {}).get("original_process") or ""),
                department or "",
                category or "",
                reached,
                known.get(ANSWER_FIELD) if reached else None,
                at,
            )
        )
    found.sort(key=lambda a: (a.at, a.case_number))
    return found


def open_samples(session: Session, roles: DeployedRoles, opened_before: datetime) -> list[OpenSample]:
    """The sampled callbacks still running, opened before the given time, by case number."""
    keys = sorted(roles.keys_with(SAMPLED_CALLBACK))
    if not keys:
        return []
    rows = session.execute(
        select(ProcessInstance.case_number, ProcessInstance.department, ProcessInstance.data)
        .where(
            ProcessInstance.process_key.in_(keys),
            ProcessInstance.status == "running",
            ProcessInstance.opened_at < opened_before,
        )
        .order_by(ProcessInstance.case_number)
    )
    return [
        OpenSample(
            number,
            str((data or {}).get("original_case") or ""),
            department or "",
            int((data or {}).get("sent_back_count") or 0),
        )
        for number, department, data in rows
    ]


def sampled_summary(
    session: Session, roles: DeployedRoles, start: datetime, end: datetime, as_of: datetime
) -> SampledSummary:
    """The answers of the period and the sampled callbacks open at the time of the figures."""
    return SampledSummary(
        sampled_answers(session, roles, start, end, as_of), open_samples(session, roles, min(end, as_of))
    )


def period_sampled_summary(
    session: Session, period: Period, zone: ZoneInfo, as_of: datetime
) -> SampledSummary:
    """`sampled_summary` of a period of local days, as the diagrams deployed declare the steps."""
    start, end = period.bounds(zone)
    return sampled_summary(session, deployed_roles(session), start, end, as_of)
