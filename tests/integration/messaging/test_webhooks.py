"""Webhooks (issue 19 item 3) against a real HTTP receiver on loopback that checks each delivery's
signature with its own copy of the secret and its timestamp: deliveries are written with the event, at
least once (a receiver that fails and recovers gets it again, the same delivery id), a 4xx refusal fails
the delivery as an incident a supervisor retries, and each attempt's answer is kept."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import due_timer_ids, fire_timer, start_case
from engine.clock import SettableClock
from engine.db import ApiClient, Event, OutboxMessage, ProcessDefinition
from engine.messaging import (
    WebhookGateway,
    add_subscription,
    delete_subscription,
    deliveries,
    failed_messages,
    retry_message,
    send_due_messages,
    set_paused,
)
from engine.people import add_api_client
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR, intake_form
from tests.messaging_servers import HttpGateway, Received, running

TOLERANCE = 300  # seconds a receiver accepts between the signature's time and its own


class Receiver:
    """A subscriber's endpoint: refuses a delivery whose signature or timestamp does not check out
    (401), else answers as the test says."""

    def __init__(self, secret: str, clock: SettableClock, answers: list[int] | None = None) -> None:
        self.secret, self.clock = secret, clock
        self.answers = answers or []
        self.verified: list[Received] = []

    def __call__(self, received: Received) -> tuple[int, Any]:
        header = received.headers.get("X-Hotline-Signature", "")
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        stamp = parts.get("t", "")
        expected = hmac.new(
            self.secret.encode(), stamp.encode() + b"." + received.body, hashlib.sha256
        ).hexdigest()
        if not stamp.isdigit() or not hmac.compare_digest(expected, parts.get("v1", "")):
            return 401, {"error": "bad signature"}
        if abs(self.clock.now().timestamp() - int(stamp)) > TOLERANCE:
            return 401, {"error": "stale"}
        self.verified.append(received)
        status = self.answers.pop(0) if self.answers else 200
        return status, {"ok": status < 300, "note": "x" * 600}


def _units(sessions: sessionmaker[Session], runtime: Runtime) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(sessions, runtime)


def _subscribe(
    sessions: sessionmaker[Session], runtime: Runtime, url: str, events: list[str]
) -> tuple[int, str]:
    with UnitOfWork(sessions, runtime) as uow:
        client = add_api_client(
            uow,
            "admin",
            "phone-system",
            scopes=["webhooks:manage"],
            role="operator",
            expires_at=uow.clock.now() + timedelta(days=365),
        ).client
        made = add_subscription(uow, "admin", client, url, events)
        uow.commit()
        return made.subscription.id, made.secret


def _open_case(sessions: sessionmaker[Session], runtime: Runtime) -> str:
    with UnitOfWork(sessions, runtime) as uow:
        number = start_case(uow.session, runtime, "complaint", OPERATOR, intake_form()).case_number
        uow.commit()
        return number


def _send(sessions: sessionmaker[Session], runtime: Runtime) -> Any:
    units = _units(sessions, runtime)
    return send_due_messages(units, {"webhook": WebhookGateway(units, timeout=5)}, "w1")


def test_each_event_is_delivered_signed_with_a_delivery_id_and_nothing_personal(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    gateway = HttpGateway(lambda r: (500, {}))
    with running(gateway) as server:
        subscription_id, secret = _subscribe(
            sessions, runtime, server.url + "/hooks", ["case.opened", "task.created"]
        )
        receiver = Receiver(secret, clock)
        server.answer = receiver
        number = _open_case(sessions, runtime)
        with sessions() as session:
            queued = list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")))
        assert sorted(m.kind for m in queued) == ["case.opened", "task.created"]
        done = _send(sessions, runtime)
    assert done.sent == 2 and len(receiver.verified) == 2
    bodies = {r.json()["event"]: r for r in receiver.verified}
    opened = bodies["case.opened"].json()
    assert opened["case_number"] == number and opened["procedure"] == "complaint"
    assert set(opened) == {"id", "event", "occurred_at", "case_number", "procedure", "data"}
    assert bodies["case.opened"].headers["X-Hotline-Delivery"] == opened["id"]
    assert bodies["task.created"].json()["data"]["element_id"]
    form = intake_form()
    for received in receiver.verified:  # the customer's name, phone and address never leave
        text = received.body.decode()
        assert form["customer_phone"] not in text and form["customer_name"] not in text
    with sessions() as session:
        shown = deliveries(session, subscription_id)
    assert [(d.status, d.response_code) for d in shown] == [("sent", 200), ("sent", 200)]
    assert all(len(d.response_excerpt) == 500 for d in shown)


def test_a_failing_receiver_gets_the_same_delivery_again_once_it_recovers(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    with running(HttpGateway(lambda r: (200, {}))) as server:
        subscription_id, secret = _subscribe(sessions, runtime, server.url, ["case.opened"])
        receiver = Receiver(secret, clock, answers=[503, 429])
        server.answer = receiver
        _open_case(sessions, runtime)
        first = _send(sessions, runtime)
        assert (first.sent, first.retrying) == (0, 1)
        with sessions() as session:
            assert [(d.status, d.response_code) for d in deliveries(session, subscription_id)] == [
                ("pending", 503)
            ]
        assert _send(sessions, runtime).sent == 0  # the back-off holds it
        clock.advance(timedelta(seconds=31))
        assert _send(sessions, runtime).retrying == 1  # 429: once more later
        clock.advance(timedelta(minutes=2))
        assert _send(sessions, runtime).sent == 1
    ids = {r.headers["X-Hotline-Delivery"] for r in receiver.verified}
    stamps = [r.headers["X-Hotline-Signature"].split(",")[0] for r in receiver.verified]
    assert len(receiver.verified) == 3 and len(ids) == 1 and len(set(stamps)) == 3
    with sessions() as session:
        [shown] = deliveries(session, subscription_id)
    assert (shown.status, shown.attempts, shown.response_code) == ("sent", 3, 200)


@pytest.mark.parametrize("status", [400, 410])
def test_a_refusal_fails_the_delivery_as_an_incident_a_supervisor_retries(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    status: int,
) -> None:
    with running(HttpGateway(lambda r: (200, {}))) as server:
        subscription_id, secret = _subscribe(sessions, runtime, server.url, ["case.opened"])
        receiver = Receiver(secret, clock, answers=[status])
        server.answer = receiver
        _open_case(sessions, runtime)
        assert _send(sessions, runtime).failed == 1
        with sessions() as session:
            [incident] = [m for m in failed_messages(session) if m.channel == "webhook"]
            assert incident.kind == "case.opened" and f"HTTP {status}" in incident.error
            [shown] = deliveries(session, subscription_id)
            assert (shown.status, shown.response_code) == ("failed", status)
        with UnitOfWork(sessions, runtime) as uow:
            assert retry_message(uow.session, incident.id, "sup1", uow.clock.now())
            uow.commit()
        assert _send(sessions, runtime).sent == 1
    assert len(receiver.verified) == 2


def test_a_wrong_secret_or_a_stale_timestamp_is_refused_by_the_receiver(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """The receiver's checks can fail: another secret, or a clock far from the signature's time."""
    with running(HttpGateway(lambda r: (200, {}))) as server:
        _subscription_id, secret = _subscribe(sessions, runtime, server.url, ["case.opened"])
        wrong = Receiver(secret + "x", clock)
        server.answer = wrong
        _open_case(sessions, runtime)
        assert _send(sessions, runtime).failed == 1 and not wrong.verified
        late = SettableClock(clock.now() + timedelta(minutes=10))
        stale = Receiver(secret, late)
        server.answer = stale
        _open_case(sessions, runtime)
        assert _send(sessions, runtime).failed == 1 and not stale.verified


def test_paused_and_deleted_subscriptions_get_no_new_deliveries(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    with running(HttpGateway(lambda r: (200, {}))) as server:
        subscription_id, secret = _subscribe(sessions, runtime, server.url, ["case.opened"])
        receiver = Receiver(secret, clock)
        server.answer = receiver
        with UnitOfWork(sessions, runtime) as uow:
            client = uow.session.scalars(select(ApiClient)).one()
            set_paused(uow, "admin", client, subscription_id, True)
            uow.commit()
        _open_case(sessions, runtime)
        assert _send(sessions, runtime).sent == 0
        with UnitOfWork(sessions, runtime) as uow:
            client = uow.session.scalars(select(ApiClient)).one()
            set_paused(uow, "admin", client, subscription_id, False)
            uow.commit()
        _open_case(sessions, runtime)
        with UnitOfWork(sessions, runtime) as uow:  # deleted while its delivery waits: it is dropped
            client = uow.session.scalars(select(ApiClient)).one()
            delete_subscription(uow, "admin", client, subscription_id)
            uow.commit()
        done = _send(sessions, runtime)
    assert (done.sent, done.failed) == (0, 1) and not receiver.verified
    with sessions() as session:
        history = set(session.scalars(select(Event.kind)))
    assert "message_sent" not in history and "message_failed" not in history  # not in the case's story


def test_task_completed_and_deadline_passed_are_delivered(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """The intake is a task completed as the case opens; a task's deadline (a timer on it) passes when
    the scheduler fires it."""
    with running(HttpGateway(lambda r: (200, {}))) as server:
        _subscription_id, secret = _subscribe(
            sessions, runtime, server.url, ["deadline.passed", "task.completed"]
        )
        receiver = Receiver(secret, clock)
        server.answer = receiver
        number = _open_case(sessions, runtime)
        _send(sessions, runtime)
        assert [(r.json()["event"], r.json()["data"]["element_id"]) for r in receiver.verified] == [
            ("task.completed", "intake")
        ]
        clock.advance(timedelta(days=30))
        with sessions() as session:
            due = due_timer_ids(session, clock.now())
        assert due
        for timer_id in due:
            with UnitOfWork(sessions, runtime) as uow:
                fire_timer(uow.session, runtime, timer_id)
                uow.commit()
        _send(sessions, runtime)
    passed = [r.json() for r in receiver.verified if r.json()["event"] == "deadline.passed"]
    assert passed and {p["case_number"] for p in passed} == {number}


def test_outage_published_and_case_closed_are_delivered(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> None:
    """An outage's notice is published as the case opens; restored, the outage case ends."""
    from tests.integration.messaging.test_outage_messages import _form, _repair, _start

    deploy_process("outage")
    with running(HttpGateway(lambda r: (200, {}))) as server:
        _subscription_id, secret = _subscribe(
            sessions, runtime, server.url, ["outage.published", "case.closed"]
        )
        receiver = Receiver(secret, clock)
        server.answer = receiver
        instance_id = _start(sessions, runtime, _form())
        _send(sessions, runtime)
        [published] = [r.json() for r in receiver.verified]
        assert published["event"] == "outage.published" and published["procedure"] == "outage"
        assert isinstance(published["data"]["notice"], int)
        _repair(
            sessions,
            runtime,
            instance_id,
            {"work_status": "restored", "restored_at": "2026-11-23T12:00", "work_done": "已修复"},
        )
        _send(sessions, runtime)
    events = [r.json()["event"] for r in receiver.verified]
    assert events[0] == "outage.published" and "case.closed" in events
    assert events.count("outage.published") == 2  # the restoration notice too
