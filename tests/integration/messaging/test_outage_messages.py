"""O1/O2 live: announcing an outage puts one SMS per affected customer with a phone (e-mail otherwise,
or when the customer asked for no SMS) in the outbox, in the customer's language; a new estimate and the
restoration go to the same people; a new estimate at night waits for the morning; a long planned
outage announced late is flagged to the dispatchers; each send is a history event of the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db import (
    Customer,
    Event,
    HumanTask,
    Notice,
    NoticeRecipient,
    Notification,
    OutboxMessage,
    User,
    UserRole,
)
from engine.messaging import HttpSmsGateway, HttpSmsSettings, send_due_messages, sending_progress
from engine.runtime import Actor, MessagingPolicy, Runtime
from engine.unit_of_work import UnitOfWork
from hotline.message_languages import message_languages
from tests.helpers import department_handler
from tests.messaging_servers import HttpGateway, accept_all, running

DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
REPAIR = department_handler("repair")


@pytest.fixture
def outage(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, deploy_process: Any
) -> sessionmaker[Session]:
    deploy_process("outage")
    runtime.messaging = MessagingPolicy(languages=message_languages())
    return sessions


def _form(**changes: str) -> dict[str, str]:
    form = {
        "service": "water",
        "outage_type": "fault",
        "district": "金明区",
        "building": "5号楼",
        "unit": "",
        "cause": "主管道爆裂",
        "starts_at": "2026-11-23T08:30",
        "estimated_restore_at": "2026-11-23T14:00",
    }
    form.update(changes)
    return form


def _start(sessions: sessionmaker[Session], runtime: Runtime, form: dict[str, str]) -> int:
    with sessions.begin() as session:
        return start_case(session, runtime, "outage", DISPATCHER, first_task_form=form).id


def _messages(sessions: sessionmaker[Session], instance_id: int) -> list[tuple[str, str, str, str, str]]:
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.instance_id == instance_id).order_by(OutboxMessage.id)
        )
        return [(m.kind, m.channel, m.recipient, m.language, m.text) for m in rows]


def _repair(
    sessions: sessionmaker[Session], runtime: Runtime, instance_id: int, values: dict[str, str]
) -> None:
    with sessions.begin() as session:
        task_id = session.scalar(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                HumanTask.element_id == "restore_service",
                HumanTask.status == "open",
            )
        )
        assert task_id is not None
        complete_task(session, runtime, task_id, REPAIR, values)


def test_an_outage_goes_to_each_affected_customer_once_and_restoration_to_the_same_people_o1_o2(
    outage: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    sessions = outage
    with sessions.begin() as session:
        # 王芳 asked for no SMS and has an e-mail address; 李强 has no phone; 王芳 reads English.
        session.execute(
            update(Customer)
            .where(Customer.account_no == "JM-0501-301")
            .values(no_sms=True, email="wang@example.test", language="en")
        )
    case = _start(sessions, runtime, _form())
    first = _messages(sessions, case)
    assert [(kind, channel, to, lang) for kind, channel, to, lang, _text in first] == [
        ("outage", "email", "wang@example.test", "en"),
        ("outage", "email", "jm-0502-602@example.test", "zh_CN"),
    ]
    assert first[0][4].startswith(
        "Notice from the hotline: water in 金明区 5号楼 stops from 2026-11-23 08:30"
    )
    assert first[1][4].startswith("【热线通知】金明区 5号楼自2026-11-23 08:30起停止供水")

    # Someone moves in after the announcement: the restoration goes to those who were told of the outage.
    with sessions.begin() as session:
        session.add(
            Customer(
                account_no="JM-0501-999",
                name="新住户",
                phone="13900009999",
                district="金明区",
                building="5号楼",
                unit="1单元",
            )
        )
    clock.advance(timedelta(hours=3))
    _repair(
        sessions,
        runtime,
        case,
        {"work_status": "restored", "restored_at": "2026-11-23T12:00", "work_done": "已修复"},
    )
    restored = [m for m in _messages(sessions, case) if m[0] == "restoration"]
    assert [(channel, to) for _k, channel, to, _l, _t in restored] == [
        ("email", "wang@example.test"),
        ("email", "jm-0502-602@example.test"),
    ]
    assert "恢复供水" in restored[1][4]


def test_sms_go_out_and_each_send_is_in_the_case_history_with_progress_counts_o1(
    outage: sessionmaker[Session], runtime: Runtime
) -> None:
    sessions = outage
    case = _start(sessions, runtime, _form(building="3号楼"))
    with sessions() as session:
        assert sending_progress(session, case).pending == 3
    with running(HttpGateway(accept_all)) as server:
        gateway = HttpSmsGateway(HttpSmsSettings(url=server.url, id_field="msgid"))
        done = send_due_messages(lambda: UnitOfWork(sessions, runtime), {"sms": gateway}, "w1")
    assert done.sent == 3
    assert sorted(r.json()["phone"] for r in server.received) == ["13800001111", "13900000001", "13900000002"]
    with sessions() as session:
        progress = sending_progress(session, case)
        kinds = list(
            session.scalars(select(Event.kind).where(Event.instance_id == case, Event.kind.like("message_%")))
        )
    assert (progress.pending, progress.sent, progress.failed) == (0, 3, 0)
    assert kinds == ["message_sent"] * 3
    with sessions() as session:
        statuses = set(
            session.scalars(select(NoticeRecipient.status).join(Notice).where(Notice.instance_id == case))
        )
    assert statuses == {"sent"}  # the notice's list of recipients follows its messages


def test_a_new_estimate_at_night_waits_for_the_morning_but_an_outage_does_not_o1_o2(
    outage: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    sessions = outage
    clock.set(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    case = _start(
        sessions,
        runtime,
        _form(
            building="3号楼",
            unit="2单元",
            starts_at="2026-11-23T22:00",
            estimated_restore_at="2026-11-24T06:00",
        ),
    )
    _repair(
        sessions,
        runtime,
        case,
        {"work_status": "update_estimate", "new_estimate": "2026-11-24T10:00", "progress_note": "等待配件"},
    )
    with sessions() as session:
        rows = session.execute(
            select(OutboxMessage.kind, OutboxMessage.next_attempt_at)
            .where(OutboxMessage.instance_id == case)
            .order_by(OutboxMessage.id)
        ).all()
    assert rows == [("outage", clock.now()), ("estimate", datetime(2026, 11, 23, 23, 0, tzinfo=UTC))]


def test_a_long_planned_outage_announced_less_than_a_day_ahead_is_flagged_to_the_dispatchers_o1(
    outage: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    sessions = outage
    with sessions.begin() as session:
        session.add(
            User(
                username="disp1",
                display_name="调度",
                password_hash="!",
                created_at=clock.now(),
                roles=[UserRole(role="dispatcher")],
            )
        )
    # 09:00 now; the 8-hour stop starts at 20:00 today: 11 hours ahead, less than the 24 h lead.
    late = _start(
        sessions,
        runtime,
        _form(outage_type="planned", starts_at="2026-11-23T20:00", estimated_restore_at="2026-11-24T04:00"),
    )
    timely = _start(
        sessions,
        runtime,
        _form(
            outage_type="planned",
            building="3号楼",
            starts_at="2026-11-25T08:00",
            estimated_restore_at="2026-11-25T16:00",
        ),
    )
    with sessions() as session:
        flagged = session.execute(
            select(Notification.recipient, Notification.instance_id, Notification.message).where(
                Notification.kind == "late_notice"
            )
        ).all()
    assert [(r, i) for r, i, _m in flagged] == [("disp1", late)]
    assert "2026-11-23 20:00" in flagged[0][2] and timely != late
