"""The outbox on the pages: a case's sending progress, failed messages on the incidents page with a
supervisor's retry, and the gateway's delivery-receipt callback (token, generic and Tencent shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.db import Event, OutboxMessage, User
from engine.db.models import ProcessDefinition
from engine.messaging import NewMessage, queue_messages
from engine.runtime import MessagingPolicy, Runtime
from hotline.outbox_settings import OutboxSettings
from tests.web.support import build_app, fast_password_hashing, get, login, record_case, submit, switch_user


@pytest.fixture
def app(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    fast_password_hashing(monkeypatch)
    return build_app(tmp_path, database_url, runtime, sessions, outbox=OutboxSettings(receipt_token="tok-1"))


def _case_with_messages(sessions: sessionmaker[Session], runtime: Runtime) -> tuple[str, list[int]]:
    number, instance_id = record_case(sessions, runtime)
    with sessions.begin() as session:
        now = runtime.clock.now()
        queue_messages(
            session,
            [
                NewMessage("sms", f"1390000000{n}", "outage", "停水", f"k:{n}", instance_id=instance_id)
                for n in range(4)
            ],
            now,
        )
        ids = list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[0])
            .values(status="sent", provider_message_id="p-0", sent_at=now)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(status="sent", provider_message_id="p-1", sent_at=now)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[2])
            .values(status="failed", failed_at=now, attempts=6, last_error="HTTP 400: bad number")
        )
    return number, ids


def test_the_case_page_shows_how_far_its_messages_have_gone_o1(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _ids = _case_with_messages(sessions, runtime)
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    progress = page.by_id("sending-progress")
    assert (progress.get("data-sent"), progress.get("data-failed"), progress.get("data-pending")) == (
        "2",
        "1",
        "1",
    )
    assert "已发送 2" in page.text("sending-progress")


def test_the_case_page_says_plainly_when_no_gateway_sends_its_messages_o1(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """As in the demo: without an SMS gateway the pending SMS wait for ever; the page says so, and to a
    supervisor or administrator where it is configured. With a gateway it says nothing of the kind."""
    number, _ids = _case_with_messages(sessions, runtime)
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    warning = page.text("no-gateway-sms")
    assert "未配置短信网关" in warning and "HOTLINE_SMS_GATEWAY" in warning
    assert not page.has("no-gateway-email")
    runtime.messaging = MessagingPolicy(
        channels=OutboxSettings.from_env(
            {"HOTLINE_SMS_GATEWAY": "http", "HOTLINE_SMS_URL": "http://127.0.0.1:9/"}
        ).channels
    )
    assert not get(client, f"/cases/{number}").has("no-gateway-sms")


def test_a_supervisor_retries_a_failed_message_from_the_incidents_page(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, ids = _case_with_messages(sessions, runtime)
    login(client, "operator")
    assert client.post(f"/incidents/messages/{ids[2]}/retry").status_code in (400, 403)
    switch_user(client, "supervisor")
    page = get(client, "/incidents")
    assert "HTTP 400: bad number" in page.text(f"message-{ids[2]}")
    done = submit(client, "/incidents", {}, post_url=f"/incidents/messages/{ids[2]}/retry", follow=True)
    assert not done.has(f"message-{ids[2]}")
    with sessions() as session:
        assert session.get(OutboxMessage, ids[2]).status == "pending"  # type: ignore[union-attr]
    again = submit(client, "/incidents", {}, post_url=f"/incidents/messages/{ids[2]}/retry")
    assert again.status == 404


def test_delivery_receipts_need_the_token_and_update_the_message(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, ids = _case_with_messages(sessions, runtime)
    receipt = {"id": "p-0", "status": "delivered"}
    assert client.post("/outbox/receipts/generic", json=receipt).status_code == 401
    assert client.post("/outbox/receipts/generic?token=wrong", json=receipt).status_code == 401
    answer = client.post("/outbox/receipts/generic", json=receipt, headers={"Authorization": "Bearer tok-1"})
    assert answer.status_code == 200 and answer.json["matched"] == 1
    tencent = [
        {
            "user_receive_time": "2026-11-23 09:01:02",
            "nationcode": "86",
            "mobile": "13900000001",
            "report_status": "FAIL",
            "errmsg": "MK:0005",
            "description": "用户关机",
            "sid": "p-1",
        }
    ]
    answer = client.post("/outbox/receipts/tencent?token=tok-1", json=tencent)
    assert answer.status_code == 200 and answer.json == {"result": 0, "errmsg": "OK", "matched": 1}
    for bad in ({"id": "p-0", "status": "maybe"}, "text", [1, 2]):
        assert client.post("/outbox/receipts/generic?token=tok-1", json=bad).status_code == 400
    assert (
        client.post("/outbox/receipts/generic?token=tok-1", json={"id": "nope", "status": "delivered"}).json[
            "matched"
        ]
        == 0
    )
    with sessions() as session:
        first, second = session.get(OutboxMessage, ids[0]), session.get(OutboxMessage, ids[1])
        assert first is not None and second is not None
        assert (first.status, second.status) == ("delivered", "failed")
        assert second.last_error == "MK:0005 用户关机"
        kinds = list(
            session.scalars(select(Event.kind).where(Event.kind.like("message_%")).order_by(Event.id))
        )
    assert kinds == ["message_delivered", "message_failed"]


def test_each_person_chooses_how_chases_reach_them_c4(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "supervisor")
    page = get(client, "/account/password")
    assert page.by_id("channel-auto").get("checked") is not None
    done = submit(
        client, "/account/password", {"message_channel": "email"}, post_url="/account/messages", follow=True
    )
    assert done.flashes() == ["已保存：督办和紧急报告将按此方式发送，同时在系统内通知。"]
    assert done.by_id("channel-email").get("checked") is not None
    refused = submit(client, "/account/password", {"message_channel": "pigeon"}, post_url="/account/messages")
    assert refused.status == 400
    with sessions() as session:
        assert (
            session.scalars(select(User.message_channel).where(User.username == "supervisor")).one()
            == "email"
        )


def test_a_run_of_sends_is_one_entry_of_the_history_and_a_failure_its_own(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, instance_id = record_case(sessions, runtime)
    now = runtime.clock.now()

    def event(kind: str, message: int, **more: Any) -> Event:
        facts = {"message": message, "channel": "sms", "kind": "outage", **more}
        return Event(
            instance_id=instance_id,
            at=now,
            actor="system",
            kind=kind,
            changes={k: [None, v] for k, v in facts.items()},
        )

    with sessions.begin() as session:
        session.add_all([event("message_sent", n) for n in range(1, 5)])
        session.add(event("message_failed", 5, error="HTTP 400: bad number"))
        session.add(event("message_sent", 6))
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    assert len(page.all("kind-message_sent")) == 1 and len(page.all("kind-messages_sent")) == 1
    assert "4 条消息已交网关发送" in page.all("kind-messages_sent")[0].text_content()
    assert (
        "短信 第 5 条（outage）发送失败：HTTP 400: bad number"
        in page.all("kind-message_failed")[0].text_content()
    )
