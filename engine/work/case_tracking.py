"""A caller looks up their own case without signing in (/track, issue 19): the case number and the
last four digits of the phone on the case give the procedure, the steps passed and the next one with
its promised time — no staff names, no personal data.

Whatever was wrong (an unknown number, the wrong digits, digits that are not four) the answer is the
same "not found", after the same one query. Lookups are rate-limited per client address and per case
number as typed, counted from the lookup log (TrackLookup) in the database, so every web process agrees
on the limits; every lookup is logged, the phone digits typed are not.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.db import Event, HumanTask, ProcessInstance, TrackLookup
from engine.people import is_confidential

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork

TRACK_WINDOW = timedelta(minutes=15)
# Lookups within the window: from one client address (a caller mistyping, or a family with several
# cases), and of one case number whatever the address (4 digits are 10,000 guesses: a few tries only).
CLIENT_LIMIT = 10
CASE_LIMIT = 5
CASE_NUMBER_LENGTH = 40
DIGITS = 4


@dataclass(frozen=True)
class PassedStep:
    element_id: str
    name: str
    done_at: datetime


@dataclass(frozen=True)
class NextStep:
    element_id: str
    name: str
    due_at: datetime | None


@dataclass(frozen=True)
class TrackedCase:
    """What a caller may learn about their case."""

    instance: ProcessInstance
    passed: list[PassedStep] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.instance.status == "completed"


@dataclass(frozen=True)
class TrackAnswer:
    """`case` when found; `limited_until` when this client or case number made too many lookups."""

    case: TrackedCase | None = None
    limited_until: datetime | None = None


def _typed_number(text: str) -> str:
    return (text or "").strip().upper()[:CASE_NUMBER_LENGTH]


def _phone_on(instance: ProcessInstance) -> str | None:
    """The phone the caller gave: a confidential case (C7) keeps it only in its data, its lists a mask."""
    if is_confidential(instance.data or {}):
        return str((instance.data or {}).get("customer_phone") or "")
    return instance.customer_phone


def _last_digits(phone: str | None) -> str:
    return "".join(c for c in (phone or "") if c.isdigit())[-DIGITS:]


def _recent(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> list[datetime]:
    return list(
        session.scalars(
            select(TrackLookup.at).where(column == value, TrackLookup.at >= since).order_by(TrackLookup.at)
        )
    )


def _limited_until(session: Session, client: str, number: str, now: datetime) -> datetime | None:
    since = now - TRACK_WINDOW
    ends = []
    for column, value, limit in (
        (TrackLookup.client, client, CLIENT_LIMIT),
        (TrackLookup.case_number, number, CASE_LIMIT),
    ):
        times = _recent(session, column, value, since)
        if len(times) >= limit:
            ends.append(times[-limit] + TRACK_WINDOW)
    return max(ends) if ends else None


def _case_story(session: Session, instance: ProcessInstance) -> TrackedCase:
    """The steps completed, from the case history (the intake's included), and the open ones."""
    passed = [
        PassedStep(element or "", name or "", at)
        for element, name, at in session.execute(
            select(Event.element_id, Event.element_name, Event.at)
            .where(Event.instance_id == instance.id, Event.kind == "task_completed")
            .order_by(Event.id)
        )
    ]
    next_steps = [
        NextStep(t.element_id, t.name, t.due_at)
        for t in session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    ]
    return TrackedCase(instance, passed, next_steps)


def track_case(uow: UnitOfWork, client: str, case_number: str, phone_digits: str) -> TrackAnswer:
    """The caller's case, if the number and the last four digits of its phone match; the lookup is logged
    (and counted for the limits) whatever the answer."""
    session, now = uow.session, uow.clock.now()
    number, client = _typed_number(case_number), (client or "unknown")[:64]
    limited = _limited_until(session, client, number, now)
    outcome = "limited"
    answer = TrackAnswer(limited_until=limited)
    if limited is None:
        instance = session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_number == number)
        ).one_or_none()
        typed = "".join(c for c in (phone_digits or "").strip() if c.isdigit())
        expected = _last_digits(_phone_on(instance)) if instance is not None else "----"
        matches = hmac.compare_digest(typed.encode(), expected.encode()) and len(typed) == DIGITS
        if instance is not None and matches:
            outcome, answer = "found", TrackAnswer(case=_case_story(session, instance))
        else:
            outcome = "not_found"
    session.add(TrackLookup(at=now, client=client, case_number=number, outcome=outcome))
    uow.flush()
    return answer
