"""What supervisors and shifts do from a page, as use cases: retry an incident, hand a shift over and
acknowledge it, choose a month's notable cases. Plain values and a unit of work; never a commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.cases import retry_timer
from engine.db import HandoverRecord
from engine.supervision.handover import acknowledge, get_record, hand_over, in_flood_season
from engine.supervision.reports.store import NotableProblem, get_report, set_notable_cases

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork


def retry_incident(uow: UnitOfWork, timer_id: int, username: str) -> bool:
    """Put a failed timer back in line for the scheduler; False when there is no such failed timer."""
    return retry_timer(uow.session, timer_id, username, uow.clock.now())


def hand_over_shift(
    uow: UnitOfWork, record_id: int, username: str, notes: str, flood_notes: str
) -> HandoverRecord:
    """The outgoing shift completes its record; the flood-prevention notes count only in flood season.
    Conflict when someone handed it over first."""
    record = get_record(uow.session, record_id)
    in_season = in_flood_season(record, uow.runtime.zone)
    return hand_over(
        uow.session, record_id, username, notes, flood_notes if in_season else None, uow.clock.now()
    )


def acknowledge_handover(uow: UnitOfWork, record_id: int, username: str) -> HandoverRecord:
    """The incoming shift confirms; Conflict when acknowledged already, HandoverNotAllowed when not
    handed over yet or by the same person."""
    return acknowledge(uow.session, record_id, username, uow.clock.now())


def choose_notable_cases(
    uow: UnitOfWork, report_id: int, chosen: list[tuple[str, str]], username: str
) -> list[NotableProblem]:
    """M3: a monthly report's notable cases (case number, note); the problems when they cannot be kept
    (then nothing is written and the caller does not commit)."""
    report = get_report(uow.session, report_id)
    return set_notable_cases(uow.session, report, chosen, username, uow.clock.now(), uow.runtime.zone)
