"""Q1 on the pages: the reply step shows the agreed contact and the answer; "SMS" sends the answer and the
case's history keeps the text sent."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import start_case
from engine.db.models import OutboxMessage
from engine.runtime import Runtime
from tests.helpers import OPERATOR, open_task
from tests.web.support import get, login, submit

CONSULTATION = {
    "customer_name": "王芳",
    "customer_phone": "13900000004",
    "question": "明年供暖费标准是否调整?",
    "category": "billing",
    "answered_now": False,
    "promised_reply_at": "2026-11-24T10:00",
    "reply_channel": "sms",
    "contact": "13912345678",
}
ANSWER = "明年供暖费标准不作调整。"


def test_a_reply_by_sms_is_sent_and_its_text_kept_in_the_history_q1(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    deploy_process("consultation")
    with sessions.begin() as session:
        case = start_case(session, runtime, "consultation", OPERATOR, CONSULTATION)
        number, case_id = case.case_number, case.id
    with sessions() as session:
        task_id = open_task(session, case_id, "reply_customer").id
    login(client, "operator")
    form = get(client, f"/tasks/{task_id}")
    assert form.field_value("contact") == "13912345678"
    page = submit(
        client,
        f"/tasks/{task_id}",
        {"answer": ANSWER, "channel_used": "sms", "contact": "13912345678", "replied": "on"},
    )
    assert page.status == 302
    with sessions() as session:
        sent = session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.text)
        ).all()
    assert [tuple(row[:3]) for row in sent] == [("sms", "13912345678", "consultation_reply")]
    assert ANSWER in sent[0][3]
    history = get(client, f"/cases/{number}").html
    assert "已通过短信发送" in history and ANSWER in history
