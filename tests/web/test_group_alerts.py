"""Group alerts (群体性诉求, issue 20 item 3): the set number of calls from one building within the set
window tell the supervisors and the operations department in the app and by SMS or e-mail as each chose,
once per building and window; the board shows them, in both languages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Event, GroupAlert, Notification, OutboxMessage, User
from engine.runtime import CallGrouping, Runtime
from tests.helpers import intake_form
from tests.web.support import get, login, post, submit, switch_user


def _call(client: FlaskClient, address: str, phone: str) -> None:
    page = submit(client, "/cases/new/complaint", intake_form(address=address, customer_phone=phone))
    assert page.status == 302, page.flashes()


def _alerts(sessions: sessionmaker[Session]) -> list[GroupAlert]:
    with sessions() as session:
        return list(session.scalars(select(GroupAlert).order_by(GroupAlert.id)))


def test_enough_calls_from_one_building_alert_supervisors_and_operations_once_per_window(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: Any
) -> None:
    runtime.call_grouping = CallGrouping(alert_calls=3, alert_window=timedelta(hours=2))
    with sessions.begin() as session:
        session.execute(
            update(User)
            .where(User.username == "supervisor")
            .values(phone="13912345678", message_channel="sms")
        )
    login(client, "operator")
    _call(client, "金明小区3号楼1单元101", "13900000001")
    _call(client, "幸福里8栋", "13900000002")  # another building does not count
    clock.advance(timedelta(minutes=30))
    _call(client, "金明小区3号楼2单元201", "13900000003")
    assert _alerts(sessions) == []
    _call(client, "金明小区3号楼3单元301", "13900000004")
    (alert,) = _alerts(sessions)
    assert (alert.building, alert.calls) == ("金明小区3号楼", 3)
    with sessions() as session:
        told = set(session.scalars(select(Notification.recipient).where(Notification.kind == "group_alert")))
        texts = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "group_alert")).all()
        event = session.scalars(select(Event).where(Event.kind == "group_alert")).one()
    assert {"supervisor", "ops_handler", "ops_head"} <= told and "operator" not in told
    assert [(m.channel, m.recipient) for m in texts if m.recipient == "13912345678"] == [
        ("sms", "13912345678")
    ]
    assert "金明小区3号楼" in texts[0].text and event.instance_id == alert.instance_id
    # Once per building and window: a fourth call adds none.
    _call(client, "金明小区3号楼1单元102", "13900000005")
    assert len(_alerts(sessions)) == 1
    # The next window starts counting again.
    clock.advance(timedelta(hours=3))
    for n in range(3):
        _call(client, f"金明小区3号楼1单元{110 + n}", f"1390000001{n}")
    assert len(_alerts(sessions)) == 2

    switch_user(client, "supervisor")
    board = get(client, "/board")
    assert [li.get("data-building") for li in board.doc.xpath("//li[@class='group-alert']")] == [
        "金明小区3号楼"
    ] * 2
    assert "群体性诉求" in board.by_id("group-alerts").text_content()
    token = board.csrf_token()
    post(client, "/lang/en", {"next": "/board"}, token)
    english = get(client, "/board").by_id("group-alerts").text_content()
    assert "Group alerts" in english and "3 calls from 金明小区3号楼" in english
    notifications = get(client, "/notifications")
    assert "Group alert: 3 calls from 金明小区3号楼" in notifications.html


def test_a_confidential_call_is_not_counted_toward_a_group_alert_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    runtime.call_grouping = CallGrouping(alert_calls=2)
    login(client, "operator")
    page = submit(client, "/cases/new/complaint", intake_form(confidential=True))
    assert page.status == 302
    _call(client, "金明小区3号楼1单元101", "13900000001")
    assert _alerts(sessions) == []
