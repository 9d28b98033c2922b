"""Claimed timers fired together in one unit of work: their cases are locked in one statement, and
what the firings need of them after the lock — open task rows, unfired timer rows, and the
supervisors a deadline's chase (C4) picks from — is read once for the group instead of once a firing.

One commit then makes the whole group durable: on a server where a commit waits ~20 ms for the disk,
that wait, not the engine's work, had bounded how many timers a worker fired per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.projection import row_key
from engine.cases.stamps import note_stamps, stamp_columns
from engine.db import HumanTask, ProcessInstance, Timer
from engine.messaging import StaffContact


@dataclass
class CaseRows:
    """A locked case's rows as read after its lock: what its firing would otherwise read itself. (The
    case is held here too: the session's identity map keeps only objects someone refers to.)"""

    instance: ProcessInstance
    open_tasks: dict[str, HumanTask] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)


@dataclass
class FiringGroup:
    """The cases this unit of work locked to fire their timers, each with its rows; and the supervisors,
    once a first chase has read them (engine.cases.effects.active_supervisors)."""

    cases: dict[int, CaseRows]
    supervisors: list[tuple[StaffContact, str]] | None = None

    def take(self, instance_id: int) -> CaseRows | None:
        """The case's rows for its first firing in this unit. Once fired, its rows are out of date, so a
        second firing of the same case gets None and locks and reads it itself (engine.cases.store)."""
        return self.cases.pop(instance_id, None)


def lock_group(
    session: Session, timer_ids: list[int], worker: str
) -> tuple[FiringGroup, list[int], list[int]]:
    """Lock the cases of these claimed timers and read their rows; returns the group, the timers to
    fire (in the order given: still this worker's, waiting, their case locked and running) and the
    busy ones, whose case another transaction holds (a person completing a step, another worker).

    PostgreSQL locks the cases with `FOR NO KEY UPDATE SKIP LOCKED`: the group never waits for a lock
    (so two groups cannot deadlock) and leaves a busy case to a later round. The case rows are locked
    before the timer and task rows are read, as engine.cases.store.take_case does for one case, so the
    reads see what the last writer of each case committed. SQLite took its write lock at BEGIN."""
    # With the stamps, as take_case reads them (engine.cases.stamps).
    rows = session.execute(
        select(ProcessInstance, *stamp_columns())
        .where(ProcessInstance.id.in_(select(Timer.instance_id).where(Timer.id.in_(timer_ids))))
        .order_by(ProcessInstance.id)
        .with_for_update(of=ProcessInstance, key_share=True, skip_locked=True)
    ).all()
    instances = [row[0] for row in rows]
    if rows:
        note_stamps(session, rows[0][1:4])
    cases = {instance.id: CaseRows(instance) for instance in instances if instance.status == "running"}
    locked = {instance.id for instance in instances}
    unfired = session.scalars(
        select(Timer).where(Timer.instance_id.in_(locked), Timer.fired_at.is_(None))
    ).all()
    for timer in unfired:
        if timer.instance_id in cases:
            cases[timer.instance_id].timers[row_key(timer)] = timer
    if cases:
        for task in session.scalars(
            select(HumanTask).where(HumanTask.instance_id.in_(cases), HumanTask.status == "open")
        ):
            cases[task.instance_id].open_tasks[task.task_guid] = task
    by_id = {timer.id: timer for timer in unfired}
    fireable = [
        timer_id
        for timer_id in timer_ids
        if (claimed := by_id.get(timer_id)) is not None
        and claimed.instance_id in cases
        and claimed.claimed_by == worker
        and claimed.status == "waiting"
    ]
    # Not read: its case is held by another transaction (or the timer is no longer waiting at all).
    busy = [timer_id for timer_id in timer_ids if timer_id not in by_id]
    return FiringGroup(cases), fireable, busy
