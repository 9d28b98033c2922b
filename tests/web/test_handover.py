"""The shift handover record in the browser (M7): the outgoing operator hands over with notes, the
incoming shift acknowledges; mistakes are refused with the typed text kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import HandoverRecord
from engine.runtime import Runtime
from engine.supervision.handover import ShiftSettings, prepare_due_handover
from engine.supervision.shifts import parse_shift_changes
from tests.web.support import get, login, post, record_case, switch_user

SHIFTS = ShiftSettings(parse_shift_changes("08:00,20:00"), ZoneInfo("Asia/Shanghai"))


def _prepare(sessions: sessionmaker[Session], now: datetime) -> int:
    with sessions.begin() as session:
        return prepare_due_handover(session, now, SHIFTS).id


def _record(sessions: sessionmaker[Session], record_id: int) -> HandoverRecord:
    with sessions() as session:
        record = session.get(HandoverRecord, record_id)
        session.expunge(record)
        return record


def test_operator_hands_over_and_the_dispatcher_acknowledges_m7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """M7: the record lists the shift's complaint; handed over with notes, acknowledged by another person."""
    number, _case_id = record_case(sessions, runtime)
    clock.advance(timedelta(hours=11, minutes=2))  # 20:02, just after the evening shift change
    record_id = _prepare(sessions, clock.now())
    login(client, "operator")
    page = get(client, "/handover")
    assert number in page.text(f"handover-record-{record_id}")
    assert number in page.text("handover-unanswered")
    assert not page.has("handover-flood")  # November: no flood-prevention record
    done = post(
        client,
        f"/handover/records/{record_id}/hand-over",
        {"notes": "金明小区投诉待生产运行答复。"},
        page.csrf_token(),
        follow=True,
    )
    assert done.status == 200
    assert "王接线" in done.text("handed-over-by")
    assert not done.has("handover-acknowledge")  # not for the one who handed over
    refused = post(client, f"/handover/records/{record_id}/acknowledge", {}, done.csrf_token(), follow=True)
    assert refused.flashes and _record(sessions, record_id).status == "handed_over"

    switch_user(client, "dispatcher")
    page = get(client, f"/handover/records/{record_id}")
    assert page.has("handover-acknowledge")
    acknowledged = post(
        client, f"/handover/records/{record_id}/acknowledge", {}, page.csrf_token(), follow=True
    )
    assert "李调度" in acknowledged.text("acknowledged-by")
    record = _record(sessions, record_id)
    assert (record.status, record.handed_over_by, record.acknowledged_by) == (
        "acknowledged",
        "operator",
        "dispatcher",
    )
    listing = get(client, "/handover/records")
    assert listing.by_id("handover-records").xpath(".//tbody/tr/td[4]/text()") == ["王接线"]


def test_missing_notes_are_refused_with_the_typed_flood_record_kept_m7(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    """M7 (003 §21): from May to September the flood-prevention record is required too."""
    clock.set(datetime(2027, 6, 10, 12, 30, tzinfo=UTC))  # 20:30 in Shanghai
    record_id = _prepare(sessions, clock.now())
    login(client, "operator")
    page = get(client, f"/handover/records/{record_id}")
    assert page.has("handover-flood")
    refused = post(
        client,
        f"/handover/records/{record_id}/hand-over",
        {"notes": "  ", "flood_notes": "泵站水位正常"},
        page.csrf_token(),
    )
    assert refused.status == 400
    assert refused.has("err-notes") and not refused.has("err-flood_notes")
    assert refused.by_id("handover-flood").text == "泵站水位正常"
    refused = post(client, f"/handover/records/{record_id}/hand-over", {"notes": "无"}, page.csrf_token())
    assert refused.status == 400 and refused.has("err-flood_notes")
    assert refused.by_id("handover-notes").text == "无"
    assert _record(sessions, record_id).status == "prepared"
    post(
        client,
        f"/handover/records/{record_id}/hand-over",
        {"notes": "无", "flood_notes": "泵站水位正常"},
        page.csrf_token(),
    )
    assert _record(sessions, record_id).flood_notes == "泵站水位正常"


def test_handing_over_twice_keeps_the_first_notes_m7(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    record_id = _prepare(sessions, clock.now())
    login(client, "operator")
    token = get(client, f"/handover/records/{record_id}").csrf_token()
    post(client, f"/handover/records/{record_id}/hand-over", {"notes": "第一次"}, token)
    switch_user(client, "dispatcher")
    token = get(client, "/handover").csrf_token()
    again = post(client, f"/handover/records/{record_id}/hand-over", {"notes": "第二次"}, token, follow=True)
    assert again.status == 200 and again.flashes
    record = _record(sessions, record_id)
    assert (record.notes, record.handed_over_by) == ("第一次", "operator")


def test_handover_records_are_for_the_hotline_s_own_staff(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    record_id = _prepare(sessions, clock.now())
    login(client, "worker")
    assert get(client, "/handover/records").status == 403
    assert get(client, f"/handover/records/{record_id}").status == 403
    token = get(client, "/handover").csrf_token()
    assert post(client, f"/handover/records/{record_id}/hand-over", {"notes": "x"}, token).status == 403
    assert _record(sessions, record_id).status == "prepared"
    switch_user(client, "supervisor")
    assert get(client, "/handover/records/999999").status == 404


def test_the_live_picture_says_when_a_list_is_empty(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """An empty part of the live picture says so in words instead of showing a table with only its
    header; a part with something in it is a table as before."""
    login(client, "operator")
    page = get(client, "/handover")
    for part, says in (
        ("handover-outages", "当前没有未恢复的停水停热。"),
        ("handover-complaints", "没有在办的投诉。"),
        ("handover-overdue", "没有超时的任务。"),
    ):
        assert page.by_id(part).xpath(".//table") == [], part
        assert says in page.text(part), (part, page.text(part))
    number, _id = record_case(sessions, runtime)
    page = get(client, "/handover")
    assert number in page.text("handover-complaints-table")
    assert "没有在办的投诉。" not in page.text("handover-complaints")
