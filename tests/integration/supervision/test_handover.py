"""The shift handover record (M7; 003 ch.6): shift arithmetic, the frozen snapshot, handing over and
acknowledging, and preparing it once however many scheduler processes try."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import HandoverRecord, ProcessDefinition
from engine.errors import Conflict
from engine.runtime import Actor, Runtime
from engine.supervision import handover as handover_module
from engine.supervision.handover import (
    HandoverNotAllowed,
    ShiftSettings,
    acknowledge,
    hand_over,
    in_flood_season,
    prepare_due_handover,
)
from engine.supervision.shifts import latest_shift_change, parse_shift_changes, shift_before
from hotline.scheduling import prepare_handover
from tests.helpers import intake_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIFTS = ShiftSettings(parse_shift_changes("08:00,20:00"), SHANGHAI)
OPERATOR = Actor("operator", frozenset({"operator"}))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_latest_shift_change_is_yesterday_evening_in_the_small_hours_m7() -> None:
    assert latest_shift_change(local(2026, 11, 24, 3, 0), SHIFTS.changes, SHANGHAI) == local(
        2026, 11, 23, 20, 0
    )
    assert latest_shift_change(local(2026, 11, 24, 8, 0), SHIFTS.changes, SHANGHAI) == local(
        2026, 11, 24, 8, 0
    )
    assert latest_shift_change(local(2026, 11, 24, 19, 59), SHIFTS.changes, SHANGHAI) == local(
        2026, 11, 24, 8, 0
    )
    assert shift_before(local(2026, 11, 24, 8, 0), SHIFTS.changes, SHANGHAI) == local(2026, 11, 23, 20, 0)
    assert shift_before(local(2027, 1, 1, 8, 0), SHIFTS.changes, SHANGHAI) == local(2026, 12, 31, 20, 0)


def test_three_shifts_are_read_in_order_and_bad_times_are_named() -> None:
    assert parse_shift_changes("16:00, 00:00,08:00") == (time(0, 0), time(8, 0), time(16, 0))
    with pytest.raises(ValueError, match="'8 Uhr'"):
        parse_shift_changes("08:00,8 Uhr")
    with pytest.raises(ValueError, match="different times"):
        parse_shift_changes("08:00,08:00")


def _complaint(sessions: sessionmaker[Session], runtime: Runtime, **overrides: object) -> str:
    with sessions.begin() as session:
        return start_case(session, runtime, "complaint", OPERATOR, intake_form(**overrides)).case_number


def _prepare(sessions: sessionmaker[Session], now: datetime) -> int:
    with sessions.begin() as session:
        return prepare_due_handover(session, now, SHIFTS).id


def test_the_record_lists_the_shift_s_cases_unanswered_work_and_complaints_without_personal_data_m7(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """M7: received during the shift, waiting for a department (未回复), open complaints — frozen, no names or phones."""
    number = _complaint(sessions, runtime)  # 09:00, in the 08:00-20:00 shift
    clock.advance(timedelta(hours=11, minutes=5))  # 20:05
    record_id = _prepare(sessions, clock.now())
    with sessions() as session:
        record = session.get(HandoverRecord, record_id)
        assert (record.shift_start, record.shift_end) == (
            local(2026, 11, 23, 8, 0),
            local(2026, 11, 23, 20, 0),
        )
        assert record.status == "prepared"
        snap = record.snapshot
        assert [row["case_number"] for row in snap["received"]] == [number]
        assert snap["received_count"] == 1 and snap["received_by_process"] == {"complaint": 1}
        assert [row["case_number"] for row in snap["unanswered"]] == [number]
        assert snap["unanswered"][0]["groups"] == "operations"
        assert [row["case_number"] for row in snap["open_complaints"]] == [number]
        assert snap["outages"] == []
        dumped = json.dumps(snap, ensure_ascii=False)
        assert "张伟" not in dumped and "13800001111" not in dumped


def test_a_case_of_the_next_shift_is_not_in_the_record_and_the_record_stays_frozen_m7(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    clock.set(local(2026, 11, 23, 20, 1).astimezone(UTC))
    record_id = _prepare(sessions, clock.now())
    _complaint(sessions, runtime)  # after the change: belongs to the night shift
    assert _prepare(sessions, clock.now()) == record_id
    with sessions() as session:
        snap = session.get(HandoverRecord, record_id).snapshot
    assert snap["received"] == [] and snap["open_complaints"] == []


def test_a_record_prepared_late_leaves_out_what_came_after_the_shift_change_m7(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """After a stop the scheduler prepares the missed record late; the cases opened since belong to the next one."""
    clock.set(local(2026, 11, 23, 20, 30).astimezone(UTC))
    _complaint(sessions, runtime)
    with sessions() as session:
        snap = prepare_due_handover(session, clock.now(), SHIFTS).snapshot
    assert (snap["received"], snap["unanswered"], snap["open_complaints"]) == ([], [], [])


def test_preparing_twice_or_from_two_workers_keeps_one_record_per_shift_change_m7(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_handover(runtime, sessions, SHIFTS)
    prepare_handover(runtime, sessions, SHIFTS)
    # a second worker that looked before the first one's insert was visible: the unique shift end decides
    real_lookup = handover_module._record_ending
    looks = []

    def late_lookup(session: Session, shift_end: datetime) -> HandoverRecord | None:
        looks.append(shift_end)
        return None if len(looks) == 1 else real_lookup(session, shift_end)

    monkeypatch.setattr(handover_module, "_record_ending", late_lookup)
    prepare_handover(runtime, sessions, SHIFTS)
    assert len(looks) == 2
    with sessions() as session:
        assert session.scalar(select(func.count(HandoverRecord.id))) == 1
    clock.advance(timedelta(hours=12))
    monkeypatch.setattr(handover_module, "_record_ending", real_lookup)
    prepare_handover(runtime, sessions, SHIFTS)
    with sessions() as session:
        assert session.scalar(select(func.count(HandoverRecord.id))) == 2


def test_outgoing_hands_over_and_someone_else_acknowledges_once_m7(
    sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    record_id = _prepare(sessions, clock.now())
    with sessions.begin() as session, pytest.raises(HandoverNotAllowed, match="not_handed_over"):
        acknowledge(session, record_id, "dispatcher", clock.now())
    with sessions.begin() as session:
        hand_over(session, record_id, "operator", "3号楼抢修未完,注意回访。", None, clock.now())
    with sessions.begin() as session, pytest.raises(Conflict) as again:
        hand_over(session, record_id, "operator2", "second", None, clock.now())
    assert again.value.params["by"] == "operator"
    with sessions.begin() as session, pytest.raises(HandoverNotAllowed, match="own_handover"):
        acknowledge(session, record_id, "operator", clock.now())
    clock.advance(timedelta(minutes=3))
    with sessions.begin() as session:
        acknowledge(session, record_id, "dispatcher", clock.now())
    with sessions.begin() as session, pytest.raises(Conflict):
        acknowledge(session, record_id, "supervisor", clock.now())
    with sessions() as session:
        record = session.get(HandoverRecord, record_id)
        assert (record.status, record.notes, record.handed_over_by) == (
            "acknowledged",
            "3号楼抢修未完,注意回访。",
            "operator",
        )
        assert (record.acknowledged_by, record.acknowledged_at) == ("dispatcher", clock.now())


def test_flood_season_is_may_to_september_by_the_shift_change_003_21() -> None:
    def record(moment: datetime) -> HandoverRecord:
        return HandoverRecord(shift_end=moment)

    assert in_flood_season(record(local(2027, 5, 1, 8, 0)), SHANGHAI)
    assert in_flood_season(record(local(2027, 9, 30, 20, 0)), SHANGHAI)
    assert not in_flood_season(record(local(2027, 10, 1, 8, 0)), SHANGHAI)
    assert not in_flood_season(record(local(2026, 11, 23, 8, 0)), SHANGHAI)
