"""Due timers: claim them with a lease, fire them in groups, keep failures as incidents.

Several workers (and web processes running the embedded scheduler) may look for due timers at the same
time. A worker first claims a batch in a short transaction — on PostgreSQL with `FOR UPDATE SKIP
LOCKED`, so two workers never take the same row; SQLite serialises writers — and stamps it with a short
lease (LEASE, 8 s), which it renews while it works through the batch (each time less than half of it is
left). The claimed timers then fire in groups, one unit of work and one commit per group of at most
GROUP_TIME (engine.cases.timer_groups: the group's cases are locked, and their rows read, together).
A worker that dies mid-group loses that group's uncommitted firings and leaves its claims behind; the
lease runs out within LEASE and another worker takes the timers at its next round, so a killed
worker's timers are late by at most LEASE plus the polling interval. The case's lock and version
check stop a timer from firing twice even when a lease ran out under a slow worker: the second unit
of work finds the timer fired or the case locked or moved on, and writes nothing.

A firing that fails on a transient database error (engine.db.is_transient: a lost connection, a
deadlock, a locked database) is tried again by a later round, each time after a longer pause
(`retries`, `not_before`); only an error of the diagram or its data becomes an incident that waits for
a supervisor's retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, or_, select, text, update
from sqlalchemy.orm import Session

from engine.cases.case_access import readable_cases
from engine.cases.projection import event_row
from engine.cases.runner import fire_timer
from engine.cases.timer_groups import FiringGroup, lock_group
from engine.db import Event, HeldWritesFailed, ProcessInstance, Timer, holding_writes, is_transient
from engine.errors import Conflict
from engine.runtime import Actor, Runtime

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

LEASE = timedelta(seconds=8)
# A group of firings commits once it has run this long, even if claimed timers are left: a firing is
# durable (and seen by others) at most this long after its fired_at, and the claims still to be fired
# are renewed between groups.
GROUP_TIME = timedelta(seconds=0.25)
# After a transient database error: 5 s, 10 s, 20 s … at most 5 minutes until the next try.
RETRY_PAUSE = timedelta(seconds=5)
RETRY_PAUSE_LIMIT = timedelta(minutes=5)
ERROR_LIMIT = 4000
LAST_ERROR_LIMIT = 300  # the short text of a transient error kept on a postponed timer
log = logging.getLogger(__name__)


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """A timer a worker may take at `now`: waiting, not fired, not held by a live lease, not paused."""
    return (
        Timer.fired_at.is_(None),
        Timer.status == "waiting",
        or_(Timer.claimed_until.is_(None), Timer.claimed_until < now),
        or_(Timer.not_before.is_(None), Timer.not_before <= now),
    )


def claim_due_timers(
    session: Session, worker: str, now: datetime, limit: int = 100, lease: timedelta = LEASE
) -> list[int]:
    """Take up to `limit` due, unclaimed (or lease-expired) timers for `worker`, the most overdue first.

    On PostgreSQL one statement picks them (`FOR UPDATE SKIP LOCKED`, so two workers never take the
    same row) and stamps the lease (`UPDATE … RETURNING`); SQLite serialises writers, so a plain select
    and update do the same there."""
    due = (
        select(Timer.id)
        .where(Timer.due_at <= now, *_claimable(now))
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
    )
    stamp = update(Timer).values(claimed_by=worker, claimed_until=now + lease)
    if session.get_bind().dialect.name == "postgresql":
        picked = due.with_for_update(skip_locked=True).scalar_subquery()
        rows = session.execute(
            stamp.where(Timer.id.in_(picked)).returning(Timer.id, Timer.due_at),
            execution_options={"synchronize_session": False},
        ).all()
        return [timer_id for timer_id, _due in sorted(rows, key=lambda row: (row[1], row[0]))]
    ids = list(session.scalars(due))
    if ids:
        session.execute(stamp.where(Timer.id.in_(ids)))
    return ids


def next_due_at(session: Session, now: datetime) -> datetime | None:
    """When the soonest timer a worker could take falls due (in the past if one is due already), or None."""
    found: datetime | None = session.scalar(select(func.min(Timer.due_at)).where(*_claimable(now)))
    return found


def renew_claims(session: Session, timer_ids: list[int], worker: str, until: datetime) -> None:
    """The worker is alive and still working through these claimed timers: hold them until `until`."""
    session.execute(
        update(Timer)
        .where(Timer.id.in_(timer_ids), Timer.claimed_by == worker, Timer.fired_at.is_(None))
        .values(claimed_until=until)
    )


def retry_pause(retries: int) -> timedelta:
    """How long a timer waits after its `retries`-th transient failure."""
    pause: timedelta = RETRY_PAUSE * 2 ** min(max(retries - 1, 0), 16)
    return min(pause, RETRY_PAUSE_LIMIT)


def short_error(err: BaseException) -> str:
    """A transient error as one short line: its type and the first line of its message."""
    first_line = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
    text = f"{type(err).__name__}: {first_line}" if first_line else type(err).__name__
    return text if len(text) <= LAST_ERROR_LIMIT else text[: LAST_ERROR_LIMIT - 1] + "…"


def postpone_timer(
    session: Session, timer_id: int, worker: str, now: datetime, error: str | None = None
) -> None:
    """The firing failed on a transient database error: give the claim back and let a later round
    try again after a pause that grows with each such failure. No incident: nothing is wrong with the
    case. The error's short text and its time are kept, so the timer shows as retrying."""
    timer = session.get(Timer, timer_id)
    if timer is None or timer.fired_at is not None or timer.status != "waiting":
        return
    if timer.claimed_by not in (None, worker):
        return  # the lease ran out and another worker has it now
    timer.retries += 1
    timer.not_before = now + retry_pause(timer.retries)
    timer.claimed_by = timer.claimed_until = None
    if error is not None:
        timer.last_error, timer.last_error_at = error[:LAST_ERROR_LIMIT], now


def fire_claimed_timer(
    session: Session, engine: Runtime, timer_id: int, worker: str
) -> ProcessInstance | None:
    """Fire a timer this worker claimed; None if it is no longer this worker's or no longer due."""
    # Timer and case in one round trip; the runner then finds both in the session.
    found = session.execute(
        select(Timer, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.id == timer_id)
    ).first()
    if found is None:
        return None
    timer = found[0]
    if timer.claimed_by != worker or timer.fired_at is not None or timer.status != "waiting":
        return None
    return fire_timer(session, engine, timer_id)


def release_claim(session: Session, timer_id: int, worker: str) -> None:
    """Give a claimed timer back at once (its case was busy), rather than after the lease."""
    session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
    )


def release_claims(session: Session, timer_ids: list[int], worker: str) -> None:
    """Give claimed timers whose cases were busy back at once, rather than after the lease."""
    if timer_ids:
        session.execute(
            update(Timer)
            .where(Timer.id.in_(timer_ids), Timer.claimed_by == worker, Timer.fired_at.is_(None))
            .values(claimed_by=None, claimed_until=None)
        )


def record_incident(session: Session, timer_id: int, error: str, now: datetime) -> None:
    """The firing failed: the timer waits for a supervisor's retry instead of failing again and again."""
    timer = session.get(Timer, timer_id)
    if timer is None or timer.fired_at is not None:
        return
    timer.status, timer.error, timer.failed_at = "failed", error[:ERROR_LIMIT], now
    timer.attempts += 1
    timer.claimed_by = timer.claimed_until = None
    session.add(
        Event(
            **event_row(
                timer.instance_id,
                now,
                "system",
                "incident_raised",
                timer.element_id,
                timer.element_id,
                {"error": [None, timer.error]},
            )
        )
    )


def retry_timer(session: Session, timer_id: int, actor: str, now: datetime) -> bool:
    """Put a failed timer back in line; the scheduler fires it on its next round."""
    timer = session.get(Timer, timer_id)
    if timer is None or timer.status != "failed":
        return False
    timer.status, timer.claimed_by, timer.claimed_until = "waiting", None, None
    timer.not_before = None
    session.add(
        Event(
            **event_row(
                timer.instance_id,
                now,
                actor,
                "incident_retried",
                timer.element_id,
                timer.element_id,
                {"error": [timer.error, None]},
            )
        )
    )
    timer.error = None
    return True


# --- use cases: the scheduler's round and a supervisor's retry, on units of work ----------------------


def fire_due_timers(
    units: Callable[[], UnitOfWork],
    worker: str,
    batch: int = 20,
    lease: timedelta = LEASE,
    on_backlog: Callable[[], None] | None = None,
) -> int:
    """One scheduler round: claim due timers and fire them in groups, each group one unit of work
    (engine.cases.timer_groups); keep failures as incidents (transient database errors: tried again
    later). `units` opens a fresh unit of work; `on_backlog` is called each time a claim comes back
    full (more timers are due than one batch). Returns how many fired."""
    fired = 0
    while True:
        with units() as uow:
            _without_waiting_for_the_disk(uow.session)
            claimed_at = uow.clock.now()
            ids = claim_due_timers(uow.session, worker, claimed_at, batch, lease)
            uow.commit()
        if on_backlog is not None and len(ids) == batch:
            on_backlog()
        held_until = claimed_at + lease
        pending = ids
        while pending:
            held_until = _keep_claims(units, pending, worker, held_until, lease)
            fired_now, pending = _fire_group(units, pending, worker)
            fired += fired_now
        if len(ids) < batch:
            return fired


def _without_waiting_for_the_disk(session: Session) -> None:
    """Commit this transaction without waiting for the disk (PostgreSQL: `synchronous_commit = off` for
    it alone): only for claims and their renewals. A claim a server crash loses only leaves its timer
    unclaimed — who fires a timer once is decided by the case's lock and version, not by the claim —
    and the firing after a claim commits synchronously, which writes the log up to and including the
    claim. Firings, incidents and postponements keep waiting for the disk: a firing lost after its
    commit would fire again, and notify again."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


def _keep_claims(
    units: Callable[[], UnitOfWork], ids: list[int], worker: str, held_until: datetime, lease: timedelta
) -> datetime:
    """The heartbeat: before each group, renew the claims still to be fired once less than half of the
    lease is left. Returns until when they are held."""
    unit = units()
    now = unit.clock.now()
    if held_until - now > lease / 2:
        return held_until
    with unit as uow:
        _without_waiting_for_the_disk(uow.session)
        renew_claims(uow.session, ids, worker, now + lease)
        uow.commit()
    return now + lease


def _fire_group(units: Callable[[], UnitOfWork], timer_ids: list[int], worker: str) -> tuple[int, list[int]]:
    """Fire claimed timers in one unit of work, one commit for all, until GROUP_TIME has passed.
    Returns how many fired and the timers left to the next group.

    A firing that fails takes the group's unit down with it (nothing of the group is written): that
    timer is then dealt with on its own as `_fire_one` would (an incident, a pause after a database
    error, its claim given back after a conflict) and the others go on in a new group. A failure that is
    no firing's (the group's reads, its commit) sends each timer through `_fire_one`.

    The firings' writes are held back and sent together, one statement per kind of write, before the
    commit (engine.db.held_writes): a group sends a handful of statements, not a handful per firing.
    Sending them can fail for any of the group's firings, so such a failure too is no single firing's."""
    firing: int | None = None
    try:
        with units() as uow, holding_writes(uow.session):
            started = uow.clock.now()
            group, fireable, busy = lock_group(uow.session, timer_ids, worker)
            release_claims(uow.session, busy, worker)
            fired, left = 0, []
            for index, timer_id in enumerate(fireable):
                if index and uow.clock.now() - started >= GROUP_TIME:
                    left = fireable[index:]
                    break
                firing = timer_id
                fired += _fire_in_group(uow, timer_id, group)
            firing = None
            uow.commit()
            return fired, left
    except Exception as err:  # noqa: BLE001 - dealt with per timer below
        if firing is None or isinstance(err, HeldWritesFailed):
            return sum(_fire_one(units, timer_id, worker) for timer_id in timer_ids), []
        _after_failure(units, firing, worker, err)
        return 0, [timer_id for timer_id in timer_ids if timer_id != firing]


def _fire_in_group(uow: UnitOfWork, timer_id: int, group: FiringGroup) -> int:
    return 0 if fire_timer(uow.session, uow.runtime, timer_id, group) is None else 1


def _fire_one(units: Callable[[], UnitOfWork], timer_id: int, worker: str) -> int:
    """Fire one claimed timer in a unit of work of its own."""
    try:
        with units() as uow:
            instance = fire_claimed_timer(uow.session, uow.runtime, timer_id, worker)
            uow.commit()
            return 0 if instance is None else 1
    except Exception as err:  # noqa: BLE001 - any failure becomes an incident; the other timers go on
        _after_failure(units, timer_id, worker, err)
    return 0


def _after_failure(units: Callable[[], UnitOfWork], timer_id: int, worker: str, err: Exception) -> None:
    """A firing failed and wrote nothing; say so on the timer in a unit of work of its own."""
    if isinstance(err, Conflict):
        # The case changed under us (a person completed a step): the next round fires it from the new state.
        with units() as uow:
            release_claim(uow.session, timer_id, worker)
            uow.commit()
        return
    if is_transient(err):
        # The database, not the case: a later round fires it, after a pause.
        log.warning("timer %s: database error, tried again later: %s: %s", timer_id, type(err).__name__, err)
        with units() as uow:
            postpone_timer(uow.session, timer_id, worker, uow.clock.now(), short_error(err))
            uow.commit()
        return
    log.warning("timer %s failed: %s", timer_id, err)
    with units() as uow:
        record_incident(uow.session, timer_id, f"{type(err).__name__}: {err}", uow.clock.now())
        uow.commit()


def retry_failed_timer(uow: UnitOfWork, timer_id: int, actor: str) -> bool:
    """A supervisor puts a failed timer back in line; False if it is not a failed timer."""
    return retry_timer(uow.session, timer_id, actor, uow.clock.now())


@dataclass(frozen=True)
class TimerRow:
    id: int
    case_number: str
    element_id: str
    due_at: datetime
    status: str
    claimed_by: str | None
    attempts: int
    error: str | None
    # After transient database errors: how many, not before when the next try, the last error and when.
    retries: int = 0
    not_before: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    # The diagram version the case runs, so pages can name the step as the diagram does.
    definition_id: int | None = None

    @property
    def retrying(self) -> bool:
        """Postponed after a transient database error, waiting for its next try (not an incident)."""
        return self.status != "failed" and self.retries > 0


def timers_by_state(
    session: Session, now: datetime, limit: int = 200, actor: Actor | None = None
) -> dict[str, list[TimerRow]]:
    """Pending (not yet due), overdue (due, not fired yet) and failed timers, soonest first; `actor`:
    only those of cases this person may open (None: every case)."""
    readable = readable_cases(actor) if actor is not None else None
    rows = session.execute(
        select(Timer, ProcessInstance.case_number, ProcessInstance.definition_id)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.fired_at.is_(None), Timer.status.in_(("waiting", "failed")))
        .where(*([readable] if readable is not None else []))
        .order_by(Timer.due_at, Timer.id)
        .limit(limit * 3)
    ).all()
    found: dict[str, list[TimerRow]] = {"pending": [], "overdue": [], "failed": []}
    for timer, case_number, definition_id in rows:
        state = "failed" if timer.status == "failed" else ("overdue" if timer.due_at <= now else "pending")
        if len(found[state]) < limit:
            found[state].append(
                TimerRow(
                    timer.id,
                    case_number,
                    timer.element_id,
                    timer.due_at,
                    state,
                    timer.claimed_by,
                    timer.attempts,
                    timer.error,
                    timer.retries,
                    timer.not_before,
                    timer.last_error,
                    timer.last_error_at,
                    definition_id,
                )
            )
    return found


@dataclass(frozen=True)
class FiredTimer:
    id: int
    case_number: str
    element_id: str
    due_at: datetime
    fired_at: datetime

    @property
    def lateness(self) -> timedelta:
        return self.fired_at - self.due_at


def recently_fired(session: Session, limit: int = 20) -> list[FiredTimer]:
    """The last timers that fired, with how late each was (fired − due)."""
    rows = session.execute(
        select(Timer.id, ProcessInstance.case_number, Timer.element_id, Timer.due_at, Timer.fired_at)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.status == "fired")
        .order_by(Timer.fired_at.desc(), Timer.id.desc())
        .limit(limit)
    ).all()
    return [
        FiredTimer(timer_id, case_number, element_id, due_at, fired_at)
        for timer_id, case_number, element_id, due_at, fired_at in rows
        if fired_at is not None  # always set on a fired timer; the column is nullable for waiting ones
    ]
