"""Pausing a task's clock (挂起): while the hotline waits for the customer (not at home, an appointment
agreed for a date) or for materials, the task's deadline does not run.

A pause has a reason from a list (with a text for `other`) and may name a date it resumes itself by
(the appointment): a `deadline_step` row of kind `resume` that the scheduler fires like a graded
deadline's level. While paused the task's deadline timers wait far in the future, so neither the
scheduler nor another step of the case fires them, and its warning and escalation levels are held; on
resume the deadline, and each held level, moves by the working time the task was paused
(engine.calendar), and the history records the original and the moved deadline and the time paused.
A paused task cannot be completed until it is resumed; pause, resume and completion lock the case, so
a race between them is a Conflict (409), never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.calendar import BusinessCalendar
from engine.cases.projection import EventRow, event_row
from engine.cases.runner import move_task_deadline
from engine.cases.task_access import check_member, task_by_id
from engine.db import DeadlineStep, HumanTask
from engine.errors import Conflict, FormInvalid
from engine.messages import N_
from engine.runtime import Actor, Runtime

PAUSE_REASONS = {
    "not_at_home": N_("Customer not at home"),
    "appointment": N_("Appointment agreed for a date"),
    "materials": N_("Waiting for materials"),
    "other": N_("Other"),
}
NOTE_LIMIT = 500
# A paused task's deadline timers wait this many years later than their due time: beyond any case's
# life, each keeping its own time for the resume; 800 years keep the calendar (29 February included).
PARKED_YEARS = 800
PAUSED_EVENT = "task_paused"
RESUMED_EVENT = "task_resumed"
STAFF_WHO_PAUSE_ANY = frozenset({"supervisor"})


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _parked(due: datetime) -> datetime:
    return due.replace(year=due.year + PARKED_YEARS)


def _unparked(parked: datetime) -> datetime:
    return parked.replace(year=parked.year - PARKED_YEARS)


def _may_pause(task: HumanTask, actor: Actor) -> None:
    """Those who may do the task, and the supervisors who follow it up."""
    if actor.groups & STAFF_WHO_PAUSE_ANY or task.assignee == actor.username:
        return
    check_member(task.candidate_groups.split(","), actor, f"task '{task.name}'")


def paused_conflict(task: HumanTask) -> Conflict:
    return Conflict(
        f"task '{task.name}' of case {task.instance.case_number} is paused; resume it first",
        "task_paused",
        task=task.name,
        case=task.instance.case_number,
        by=task.paused_by or "",
    )


def pause_problems(
    reason: str, note: str, resume_at: datetime | None, now: datetime
) -> dict[str, FieldError]:
    """What is wrong with a pause's reason, note and resume time, by field."""
    errors: dict[str, FieldError] = {}
    note = note.strip()
    if reason not in PAUSE_REASONS:
        errors["reason"] = FieldError("not_option")
    if reason == "other" and not note:
        errors["note"] = FieldError("required")
    if len(note) > NOTE_LIMIT:
        errors["note"] = FieldError("max_length", {"max": NOTE_LIMIT})
    # The history keeps the note in a JSON column, which PostgreSQL refuses with a NUL in it.
    unkept = control_character_error(note, multiline=True)
    if unkept is not None:
        errors["note"] = unkept
    if reason == "appointment" and resume_at is None:
        errors["resume_at"] = FieldError("required")
    if resume_at is not None and resume_at <= now:
        errors["resume_at"] = FieldError("resume_in_past")
    return errors


def pause_task(
    session: Session,
    engine: Runtime,
    task_id: int,
    actor: Actor,
    reason: str,
    note: str = "",
    resume_at: datetime | None = None,
) -> HumanTask:
    """Pause an open task's clock; FormInvalid for a reason not on the list, `other` without a text, an
    appointment without its date or a resume date not in the future; Conflict if it is closed or
    paused already (by someone quicker)."""
    task = task_by_id(session, task_id)
    now = engine.clock.now()
    errors = pause_problems(reason, note, resume_at, now)
    if errors:
        raise FormInvalid(errors, {"reason": reason, "note": note})
    note = note.strip()
    _may_pause(task, actor)
    if task.paused_at is not None:
        raise paused_conflict(task)

    def history(old: datetime | None, _new: datetime | None) -> list[EventRow]:
        return [
            event_row(
                task.instance_id,
                now,
                actor.username,
                PAUSED_EVENT,
                task.element_id,
                task.name,
                {
                    "pause_reason": [None, reason],
                    **({"pause_note": [None, note]} if note else {}),
                    **({"paused_until": [None, _iso(resume_at)]} if resume_at else {}),
                    "due": [None, _iso(old)],
                },
            )
        ]

    old, _new = move_task_deadline(session, engine, task, actor, _parked, history)
    session.refresh(task)
    if task.paused_at is not None:  # paused by someone else between the first look and the lock
        raise paused_conflict(task)
    task.due_at = old or task.due_at  # the row shows the deadline the pause stopped, not the far future
    task.paused_at, task.paused_by, task.pause_reason = now, actor.username, reason
    task.pause_note, task.paused_until = note or None, resume_at
    if task.original_due_at is None:
        task.original_due_at = old or task.due_at
    session.execute(
        update(DeadlineStep)
        .where(
            DeadlineStep.task_id == task.id, DeadlineStep.status == "waiting", DeadlineStep.kind != "resume"
        )
        .values(status="held")
    )
    if resume_at is not None:
        session.execute(
            insert(DeadlineStep).values(
                instance_id=task.instance_id,
                task_id=task.id,
                element_id=task.element_id,
                level=0,
                kind="resume",
                recipients="",
                channel="app",
                due_at=resume_at,
                deadline=resume_at,
                status="waiting",
            )
        )
    return task


def resume_task(
    session: Session, engine: Runtime, task_id: int, actor: Actor, *, automatic: bool = False
) -> HumanTask:
    """Resume a paused task: its deadline moves by the working time it was paused. Conflict if it is
    not paused (resumed by someone quicker) or closed."""
    task = task_by_id(session, task_id)
    if not automatic:
        _may_pause(task, actor)
    if task.paused_at is None:
        raise _not_paused(task)
    now = engine.clock.now()
    calendar = BusinessCalendar(engine.zone)
    paused_at = task.paused_at
    paused = calendar.working_time_between(paused_at, now)
    original = task.due_at

    def moved(parked: datetime) -> datetime:
        return calendar.add_working_time(_unparked(parked), paused)

    def history(_old: datetime | None, new: datetime | None) -> list[EventRow]:
        return [
            event_row(
                task.instance_id,
                now,
                actor.username,
                RESUMED_EVENT,
                task.element_id,
                task.name,
                {
                    "due": [_iso(original), _iso(new)],
                    "paused_minutes": [None, int(paused.total_seconds() // 60)],
                    **({"resumed_automatically": [None, True]} if automatic else {}),
                },
            )
        ]

    _old, new = move_task_deadline(session, engine, task, actor, moved, history)
    session.refresh(task)
    if task.paused_at != paused_at:
        raise _not_paused(task)
    task.paused_at = task.paused_by = task.pause_reason = task.pause_note = task.paused_until = None
    task.paused_seconds = (task.paused_seconds or 0) + int(paused.total_seconds())
    if new is not None:
        task.due_at = new
    for step in session.scalars(
        select(DeadlineStep).where(DeadlineStep.task_id == task.id, DeadlineStep.fired_at.is_(None))
    ):
        if step.status == "held":
            step.due_at = (
                calendar.add_working_time(step.due_at, paused) if paused > timedelta() else step.due_at
            )
            step.deadline = new or step.deadline
            step.status = "waiting"
        elif step.kind == "resume":
            step.status, step.fired_at = "cancelled" if not automatic else "fired", now
    return task


def _not_paused(task: HumanTask) -> Conflict:
    return Conflict(
        f"task '{task.name}' of case {task.instance.case_number} is not paused",
        "task_not_paused",
        task=task.name,
        case=task.instance.case_number,
    )
