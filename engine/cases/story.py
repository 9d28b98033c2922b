"""A case's whole story for its page: where it stands on its diagram (the markers the viewer draws),
every deadline with how late its step was, and the other cases of the same customer.

Read from the projections (history events, task and timer rows), never from the workflow state.
Lateness is plain elapsed time (done − due, or now − due while still open): the deadlines themselves
already follow the business calendar where a rule asks for it (end of day, working days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import HumanTask, ProcessInstance, Timer
from engine.people import cases_of_phone

# History events whose element has run to its end.
COMPLETING_EVENTS = frozenset({"task_completed", "script_ran", "timer_fired", "end_reached"})
MARKER_STATES = ("completed", "active", "overdue", "failed")


def case_markers(
    events: Iterable[Any],
    tasks: Iterable[HumanTask],
    timers: Iterable[Timer],
    now: datetime,
    start_ids: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Element ids by state: completed (ran at least once and is not running now), active (an open task
    or a waiting timer), overdue (an open task past due) and failed (a timer whose firing failed).

    An open task past due is both active and overdue; an element that ran before and runs again (a
    case sent back) counts as active, not completed.
    """
    completed = {e.element_id for e in events if e.kind in COMPLETING_EVENTS and e.element_id}
    completed |= set(start_ids)
    active: set[str] = set()
    overdue: set[str] = set()
    failed: set[str] = set()
    for task in tasks:
        if task.status == "completed":
            completed.add(task.element_id)
        elif task.status == "open":
            active.add(task.element_id)
            if task.due_at is not None and task.due_at < now:
                overdue.add(task.element_id)
    for timer in timers:
        if timer.status == "failed":
            failed.add(timer.element_id)
        elif timer.status == "waiting":
            active.add(timer.element_id)
        elif timer.status == "fired":
            completed.add(timer.element_id)
    completed -= active | failed
    active -= failed
    found = {"completed": completed, "active": active, "overdue": overdue, "failed": failed}
    return {state: sorted(found[state]) for state in MARKER_STATES}


@dataclass(frozen=True)
class Deadline:
    """One deadline of a case: a task's due time, or a timer's."""

    kind: str  # task or timer
    element_id: str
    name: str
    due_at: datetime
    done_at: datetime | None  # completed, fired or cancelled
    status: str  # task: open, completed, cancelled; timer: waiting, fired, failed, cancelled
    late_by: timedelta  # zero when on time

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def is_late(self) -> bool:
        return self.late_by > timedelta(0)


def _late_by(due: datetime, done: datetime | None, now: datetime) -> timedelta:
    return max((done or now) - due, timedelta(0))


def case_deadlines(
    tasks: Iterable[HumanTask], timers: Iterable[Timer], now: datetime, names: dict[str, str]
) -> list[Deadline]:
    """Every task with a due time and every timer, by due time. A timer still waiting is late only
    once it is due and has not fired; a fired timer's lateness is how long after its due time it fired."""
    found = [
        Deadline(
            "task",
            t.element_id,
            t.name,
            t.due_at,
            t.completed_at,
            t.status,
            _late_by(t.due_at, t.completed_at, now),
        )
        for t in tasks
        if t.due_at is not None
    ]
    for timer in timers:
        done = timer.fired_at
        found.append(
            Deadline(
                "timer",
                timer.element_id,
                names.get(timer.element_id, timer.element_id),
                timer.due_at,
                done,
                timer.status,
                _late_by(timer.due_at, done, now),
            )
        )
    return sorted(found, key=lambda d: (d.due_at, d.kind, d.element_id))


def tasks_of_case(session: Session, instance_id: int) -> list[HumanTask]:
    return list(
        session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id))
    )


def timers_of_case(session: Session, instance_id: int) -> list[Timer]:
    return list(session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)))


def related_cases(session: Session, instance: ProcessInstance, limit: int = 20) -> list[ProcessInstance]:
    """The customer's other cases (same phone number), open ones first."""
    return [
        c for c in cases_of_phone(session, instance.customer_phone or "", limit + 1) if c.id != instance.id
    ][:limit]


def case_number_of_timer(session: Session, timer_id: int) -> str | None:
    return session.scalar(
        select(ProcessInstance.case_number)
        .join(Timer, Timer.instance_id == ProcessInstance.id)
        .where(Timer.id == timer_id)
    )
