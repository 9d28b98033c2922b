"""The platform reply sent by API (issue 19 item 5, U1) against a local HTTP server acting as the
12345 platform: with a reply endpoint for the case's source, completing "send the reply" queues it,
the case waits until the platform takes it, and the platform's answer is in the history; a platform
that fails then recovers gets the same reply again; a refusal is an incident and the case stays open;
without an endpoint the reply stays the operator's paste-and-record task. Complaint and repair."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db import Event, HumanTask, OutboxMessage, ProcessDefinition, ProcessInstance
from engine.messaging import failed_messages, retry_message, save_platform_endpoint, send_due_messages
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import PlatformGateway
from tests.helpers import OPERATOR, department_handler, intake_form
from tests.messaging_servers import HttpGateway, Received, running

REFERENCE = "YC12345-20261123-0042"
TOKEN = "Bearer platform-token-1"


class Platform:
    """The platform's reply API: checks the token, answers as the test says, with a reply id."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.answers = answers or []
        self.taken: list[Received] = []

    def __call__(self, received: Received) -> tuple[int, Any]:
        if received.headers.get("Authorization") != TOKEN:
            return 401, {"error": "token"}
        status = self.answers.pop(0) if self.answers else 200
        if status < 300:
            self.taken.append(received)
            return status, {"replyId": f"R-{len(self.taken)}", "msg": "已受理"}
        return status, {"error": "busy" if status >= 500 else "rejected: reference unknown"}


def _units(sessions: sessionmaker[Session], runtime: Runtime) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(sessions, runtime)


def _send(sessions: sessionmaker[Session], runtime: Runtime) -> Any:
    units = _units(sessions, runtime)
    return send_due_messages(units, {"platform": PlatformGateway(units, timeout=5)}, "w1")


def _endpoint(sessions: sessionmaker[Session], runtime: Runtime, url: str, **extra: Any) -> None:
    with UnitOfWork(sessions, runtime) as uow:
        save_platform_endpoint(
            uow,
            "admin",
            "mayor_12345",
            {"url": url, "auth": TOKEN, "body_format": "json", "active": True, **extra},
        )
        uow.commit()


def _open_task(sessions: sessionmaker[Session], instance_id: int) -> HumanTask:
    with sessions() as session:
        return session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        ).one()


def _complete(
    sessions: sessionmaker[Session], runtime: Runtime, task: HumanTask, actor: Actor, form: dict[str, Any]
) -> None:
    with UnitOfWork(sessions, runtime) as uow:
        complete_task(uow.session, runtime, task.id, actor, form)
        uow.commit()


def _complaint_to_the_reply(sessions: sessionmaker[Session], runtime: Runtime) -> tuple[int, HumanTask]:
    """A 12345 complaint, handled and called back: its open task is the platform reply step."""
    with UnitOfWork(sessions, runtime) as uow:
        form = intake_form(case_source="mayor_12345", upstream_reference=REFERENCE)
        instance_id = start_case(uow.session, runtime, "complaint", OPERATOR, form).id
        uow.commit()
    handling = _open_task(sessions, instance_id)
    _complete(
        sessions,
        runtime,
        handling,
        department_handler("operations"),
        {"investigation": "换热站阀门卡滞", "outcome": "resolved", "result": "已更换阀门"},
    )
    callback = _open_task(sessions, instance_id)
    _complete(sessions, runtime, callback, OPERATOR, {"customer_informed": "on", "satisfied": "yes"})
    return instance_id, _open_task(sessions, instance_id)


def _state(sessions: sessionmaker[Session], instance_id: int) -> tuple[str, list[str]]:
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        open_steps = list(
            session.scalars(
                select(HumanTask.element_id).where(
                    HumanTask.instance_id == instance_id, HumanTask.status == "open"
                )
            )
        )
        return instance.status, open_steps


def _history(sessions: sessionmaker[Session], instance_id: int) -> list[Event]:
    with sessions() as session:
        return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)))


def test_without_an_endpoint_the_reply_is_the_operators_paste_and_record_task_u1(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    _instance_id, task = _complaint_to_the_reply(sessions, runtime)
    assert task.element_id == "reply_on_platform"


def test_the_reply_is_sent_the_case_waits_and_the_platforms_answer_is_recorded_u1(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    platform = Platform(answers=[503])
    with running(HttpGateway(platform)) as server:
        _endpoint(sessions, runtime, server.url + "/reply")
        instance_id, task = _complaint_to_the_reply(sessions, runtime)
        assert task.element_id == "send_platform_reply"
        text = "处理结果:已更换阀门\n回访:客户满意"
        _complete(sessions, runtime, task, OPERATOR, {"platform_reply": text})
        assert _state(sessions, instance_id) == ("running", [])  # waiting for the platform
        first = _send(sessions, runtime)
        assert (first.sent, first.retrying) == (0, 1) and _state(sessions, instance_id) == ("running", [])
        clock.advance(timedelta(seconds=31))
        assert _send(sessions, runtime).sent == 1
    [taken] = platform.taken
    body = taken.json()
    assert body == {
        "case_number": body["case_number"],
        "reference": REFERENCE,
        "result": "已更换阀门",
        "source": "mayor_12345",
        "text": text,
    }
    assert len(server.received) == 2
    assert {r.headers["X-Hotline-Delivery"] for r in server.received} == {taken.headers["X-Hotline-Delivery"]}
    assert _state(sessions, instance_id) == ("running", ["summarise_and_close"])
    history = _history(sessions, instance_id)
    kinds = [e.kind for e in history]
    assert "platform_reply_queued" in kinds and "message_retrying" in kinds and "message_sent" in kinds
    [received] = [e for e in history if e.kind == "message_received"]
    assert received.changes["platform_reply_id"] == [None, "R-1"]
    assert received.changes["platform_status"] == [None, 200]
    assert "已受理" in received.changes["platform_answer"][1]


def test_a_refused_reply_is_an_incident_and_the_case_stays_open_until_it_goes_u1(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    platform = Platform(answers=[422])
    with running(HttpGateway(platform)) as server:
        _endpoint(sessions, runtime, server.url)
        instance_id, task = _complaint_to_the_reply(sessions, runtime)
        _complete(sessions, runtime, task, OPERATOR, {"platform_reply": "已处理"})
        assert _send(sessions, runtime).failed == 1
        with sessions() as session:
            [incident] = [m for m in failed_messages(session) if m.channel == "platform"]
            assert incident.case_number is not None and "HTTP 422" in incident.error
        assert _state(sessions, instance_id) == ("running", [])
        assert "message_failed" in [e.kind for e in _history(sessions, instance_id)]
        with UnitOfWork(sessions, runtime) as uow:
            assert retry_message(uow.session, incident.id, "sup1", uow.clock.now())
            uow.commit()
        assert _send(sessions, runtime).sent == 1
    assert _state(sessions, instance_id) == ("running", ["summarise_and_close"])


def test_a_switched_off_endpoint_fails_the_queued_reply_as_an_incident_u1(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    with running(HttpGateway(Platform())) as server:
        _endpoint(sessions, runtime, server.url)
        instance_id, task = _complaint_to_the_reply(sessions, runtime)
        _complete(sessions, runtime, task, OPERATOR, {"platform_reply": "已处理"})
        _endpoint(sessions, runtime, server.url, active=False)
        assert _send(sessions, runtime).failed == 1 and not server.received
    with sessions() as session:
        [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "platform"))
        assert "no active reply endpoint" in (message.last_error or "")


@pytest.mark.parametrize("body_format", ["form"])
def test_a_platform_taking_forms_and_a_signature_gets_them_u1(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition, body_format: str
) -> None:
    platform = Platform()
    with running(HttpGateway(platform)) as server:
        _endpoint(sessions, runtime, server.url, body_format=body_format, secret="s3cret")
        _instance_id, task = _complaint_to_the_reply(sessions, runtime)
        _complete(sessions, runtime, task, OPERATOR, {"platform_reply": "已处理"})
        assert _send(sessions, runtime).sent == 1
    [taken] = platform.taken
    assert taken.form()["reference"] == REFERENCE and taken.form()["text"] == "已处理"
    assert taken.headers["X-Hotline-Signature"].startswith("t=")


def test_a_forwarded_repair_is_replied_by_api_and_waits_for_the_platform_u1(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> None:
    """repair.bpmn draws the same U1 path: the checked reply is sent, the repair closes once taken."""
    from tests.scenarios.test_repair import DISPATCHER, REPORT, WORKER, repair_form

    deploy_process("repair")
    platform = Platform()
    with running(HttpGateway(platform)) as server:
        _endpoint(sessions, runtime, server.url)
        with UnitOfWork(sessions, runtime) as uow:
            form = repair_form(case_source="mayor_12345", upstream_reference=REFERENCE)
            instance_id = start_case(uow.session, runtime, "repair", DISPATCHER, form).id
            uow.commit()
        steps: list[tuple[Actor, dict[str, Any]]] = [
            (
                DISPATCHER,
                {"worker": "维修一班 王师傅", "expected_arrival": "2026-11-23T09:25", "arrival_told": "on"},
            ),
            (WORKER, {"arrived_at": clock.now().astimezone(runtime.zone).strftime("%Y-%m-%dT%H:%M")}),
            (WORKER, dict(REPORT)),
            (DISPATCHER, {"satisfied": "yes", "callback_note": "客户表示满意"}),
        ]
        for actor, values in steps:
            _complete(sessions, runtime, _open_task(sessions, instance_id), actor, values)
        task = _open_task(sessions, instance_id)
        assert task.element_id == "send_platform_reply"
        _complete(sessions, runtime, task, DISPATCHER, {"platform_reply": "维修结果:已更换接头"})
        assert _state(sessions, instance_id) == ("running", [])
        assert _send(sessions, runtime).sent == 1
    assert platform.taken[0].json()["result"] == REPORT["work_done"]
    assert _state(sessions, instance_id)[0] == "completed"
