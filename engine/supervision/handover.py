"""The shift handover record (M7; 003 ch.6 §24–26): at each shift change the record is prepared with
what the next shift takes over — the cases received during the shift, cases still waiting for a
department's answer, open complaints and open outages with their causes (the procedures whose diagrams
declare the process role `complaint` or `outage`, engine.bpmn.roles). The outgoing operator adds
what else must be said and hands over; someone of the incoming shift acknowledges it.

From May to September the record also carries the flood-prevention notes (003 §21).

What the record lists is frozen when it is prepared, so it says what was handed over, not what the
cases look like later; what was opened after the shift change belongs to the next record, even when
the record is prepared late (after a stop). It holds case numbers and codes, never a customer's personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import COMPLAINT, OUTAGE
from engine.db import Department, HandoverRecord, HumanTask, HumanTaskGroup, ProcessInstance
from engine.errors import Conflict, HotlineError, NotFound
from engine.messages import N_
from engine.processes import deployed_roles
from engine.supervision.shifts import latest_shift_change, shift_before

# More than this in one list is summarised by its count; a handover is read by a person.
LIST_LIMIT = 300
FLOOD_SEASON_MONTHS = range(5, 10)  # May to September (003 §21)


class HandoverNotAllowed(HotlineError):
    """The step does not fit the record's state or the user (e.g. acknowledging one's own handover)."""

    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "not_handed_over": N_("The outgoing shift has not handed over yet."),
        "own_handover": N_("Someone of the incoming shift acknowledges, not the one who handed over."),
    }

    def __init__(self, reason: str) -> None:
        super().__init__(reason, code=reason)
        self.reason = reason


@dataclass(frozen=True)
class ShiftSettings:
    changes: tuple[time, ...]
    zone: ZoneInfo


def in_flood_season(record: HandoverRecord, zone: ZoneInfo) -> bool:
    return record.shift_end.astimezone(zone).month in FLOOD_SEASON_MONTHS


def prepare_due_handover(session: Session, now: datetime, shifts: ShiftSettings) -> HandoverRecord:
    """The record for the latest shift change, prepared now if it does not exist yet.

    Safe to call from several scheduler processes: one insert wins the unique shift end; the others
    read its record.
    """
    shift_end = latest_shift_change(now, shifts.changes, shifts.zone)
    existing = _record_ending(session, shift_end)
    if existing is not None:
        return existing
    shift_start = shift_before(shift_end, shifts.changes, shifts.zone)
    record = HandoverRecord(
        shift_start=shift_start,
        shift_end=shift_end,
        prepared_at=now,
        status="prepared",
        snapshot=snapshot(session, shift_start, shift_end),
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        # Another process prepared it first: its record stands.
        prepared = _record_ending(session, shift_end)
        if prepared is None:
            raise
        return prepared
    return record


def _record_ending(session: Session, shift_end: datetime) -> HandoverRecord | None:
    return session.scalar(select(HandoverRecord).where(HandoverRecord.shift_end == shift_end))


def snapshot(session: Session, shift_start: datetime, shift_end: datetime) -> dict[str, Any]:
    received = _cases(
        session, ProcessInstance.opened_at >= shift_start, ProcessInstance.opened_at < shift_end
    )
    roles = deployed_roles(session)
    return {
        "received": [_case_row(case) for case in received[:LIST_LIMIT]],
        "received_count": len(received),
        "received_by_process": _count_by_process(received),
        "unanswered": _unanswered(session, shift_end),
        "open_complaints": [
            _case_row(case)
            for case in _cases(
                session,
                ProcessInstance.process_key.in_(roles.keys_with(COMPLAINT)),
                ProcessInstance.status == "running",
                ProcessInstance.opened_at < shift_end,
            )[:LIST_LIMIT]
        ],
        "outages": [
            _outage_row(case)
            for case in _cases(
                session,
                ProcessInstance.process_key.in_(roles.keys_with(OUTAGE)),
                ProcessInstance.status == "running",
                ProcessInstance.opened_at < shift_end,
            )[:LIST_LIMIT]
        ],
        "overdue_count": session.scalar(
            select(func.count(HumanTask.id)).where(HumanTask.status == "open", HumanTask.due_at < shift_end)
        )
        or 0,
    }


def _cases(session: Session, *conditions: Any) -> list[ProcessInstance]:
    return list(
        session.scalars(select(ProcessInstance).where(*conditions).order_by(ProcessInstance.opened_at))
    )


def _count_by_process(cases: list[ProcessInstance]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.process_key] = counts.get(case.process_key, 0) + 1
    return counts


def _case_row(case: ProcessInstance) -> dict[str, Any]:
    return {
        "case_number": case.case_number,
        "process_key": case.process_key,
        "category": case.category,
        "department": case.department,
        "status": case.status,
        "current_step": case.current_step,
        "opened_at": case.opened_at.isoformat(),
    }


def _outage_row(case: ProcessInstance) -> dict[str, Any]:
    data = case.data
    area = " ".join(str(data.get(part) or "") for part in ("district", "building", "unit")).strip()
    return {
        "case_number": case.case_number,
        "service": data.get("service"),
        "area": area,
        "cause": data.get("cause") or "",
        "estimated_restore_at": data.get("estimated_restore_at"),
        "current_step": case.current_step,
    }


def _unanswered(session: Session, shift_end: datetime) -> list[dict[str, Any]]:
    """Open tasks waiting on a department (003 §26: 未回复的投诉), oldest first."""
    department_codes = select(Department.code)
    rows = session.execute(
        select(HumanTask, ProcessInstance.case_number, ProcessInstance.process_key)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            HumanTask.status == "open",
            HumanTask.created_at < shift_end,
            HumanTask.id.in_(
                select(HumanTaskGroup.task_id).where(HumanTaskGroup.group_name.in_(department_codes))
            ),
        )
        .order_by(HumanTask.created_at)
        .limit(LIST_LIMIT)
    )
    return [
        {
            "case_number": number,
            "process_key": key,
            "task": task.name,
            "element_id": task.element_id,
            "groups": task.candidate_groups,
            "waiting_since": task.created_at.isoformat(),
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "overdue": bool(task.due_at and task.due_at < shift_end),
        }
        for task, number, key in rows
    ]


def get_record(session: Session, record_id: int, *, for_update: bool = False) -> HandoverRecord:
    query = select(HandoverRecord).where(HandoverRecord.id == record_id)
    record = session.scalar(query.with_for_update() if for_update else query)
    if record is None:
        raise NotFound(f"handover record {record_id} does not exist")
    return record


def hand_over(
    session: Session, record_id: int, username: str, notes: str, flood_notes: str | None, now: datetime
) -> HandoverRecord:
    """The outgoing operator completes the record. Validation of the notes is the caller's (the form's)."""
    record = get_record(session, record_id, for_update=True)
    if record.status != "prepared":
        raise Conflict(
            f"handover {record_id} was already handed over by {record.handed_over_by}",
            reason="handover_done",
            by=record.handed_over_by,
        )
    record.status = "handed_over"
    record.handed_over_by = username
    record.handed_over_at = now
    record.notes = notes
    record.flood_notes = flood_notes
    return record


def acknowledge(session: Session, record_id: int, username: str, now: datetime) -> HandoverRecord:
    """Someone of the incoming shift, not the one who handed over, confirms taking it over."""
    record = get_record(session, record_id, for_update=True)
    if record.status == "acknowledged":
        raise Conflict(
            f"handover {record_id} was already acknowledged by {record.acknowledged_by}",
            reason="handover_acknowledged",
            by=record.acknowledged_by,
        )
    if record.status != "handed_over":
        raise HandoverNotAllowed("not_handed_over")
    if record.handed_over_by == username:
        raise HandoverNotAllowed("own_handover")
    record.status = "acknowledged"
    record.acknowledged_by = username
    record.acknowledged_at = now
    return record


def recent_records(session: Session, limit: int = 50, offset: int = 0) -> list[HandoverRecord]:
    return list(
        session.scalars(
            select(HandoverRecord).order_by(HandoverRecord.shift_end.desc()).limit(limit).offset(offset)
        )
    )
