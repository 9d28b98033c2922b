"""The outbox's sender against a real HTTP SMS gateway on loopback: each message once, retries with
back-off after transient failures, failures as incidents a supervisor retries, and messages a stopped
sender left `sending` never resent blindly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import OutboxMessage
from engine.messaging import (
    HttpSmsGateway,
    HttpSmsSettings,
    NewMessage,
    claim_due_messages,
    failed_messages,
    mark_sending,
    queue_messages,
    retry_message,
    send_due_messages,
)
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.messaging_servers import HttpGateway, Received, accept_all, running


def _units(sessions: sessionmaker[Session], runtime: Runtime) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(sessions, runtime)


def _queue(sessions: sessionmaker[Session], runtime: Runtime, count: int, prefix: str = "t") -> None:
    with UnitOfWork(sessions, runtime) as uow:
        queue_messages(
            uow.session,
            [
                NewMessage("sms", f"1380000{n:04d}", "outage", f"text {n}", f"{prefix}:{n}")
                for n in range(count)
            ],
            uow.clock.now(),
        )
        uow.commit()


def _statuses(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        found: dict[str, int] = {}
        for status in session.scalars(select(OutboxMessage.status)):
            found[status] = found.get(status, 0) + 1
        return found


def _gateway(server: HttpGateway, idempotent: bool = False) -> HttpSmsGateway:
    return HttpSmsGateway(
        HttpSmsSettings(
            url=server.url + "/send",
            body_template='{"to": "{phone}", "content": "{text}", "requestId": "{id}"}',
            auth_header="Authorization: Bearer s3cret",
            success_field="code",
            success_value="0",
            id_field="msgid",
            idempotent=idempotent,
            timeout=5,
        )
    )


def test_each_due_message_is_sent_once_and_marked_sent(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _queue(sessions, runtime, 5)
    with running(HttpGateway(accept_all)) as server:
        done = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1", batch=2)
        again = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1")
    assert (done.sent, again.sent) == (5, 0)
    assert sorted(r.json()["requestId"] for r in server.received) == [f"t:{n}" for n in range(5)]
    assert all(r.headers["Authorization"] == "Bearer s3cret" for r in server.received)
    assert _statuses(sessions) == {"sent": 5}


def test_a_gateway_that_fails_then_recovers_delivers_everything_once(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _queue(sessions, runtime, 6)
    down = {"left": 4}

    def flaky(received: Received) -> tuple[int, Any]:
        if down["left"] > 0:
            down["left"] -= 1
            return 503, {"code": "busy"}
        return accept_all(received)

    with running(HttpGateway(flaky)) as server:
        first = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1")
        assert (first.sent, first.retrying) == (2, 4)
        # Nothing is tried again before the back-off pause is over.
        assert send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1").sent == 0
        clock.advance(timedelta(seconds=31))
        second = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1")
    assert second.sent == 4
    accepted = [r.json()["requestId"] for r in server.received[4:]]
    assert sorted(accepted) == [f"t:{n}" for n in range(6)]
    assert _statuses(sessions) == {"sent": 6}


def test_rate_limiting_is_retried_and_a_refusal_fails_as_an_incident_a_supervisor_retries(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _queue(sessions, runtime, 2)
    answers = iter([(429, {"code": "limit"}), (400, {"code": "bad number"})])

    def answer(received: Received) -> tuple[int, Any]:
        return next(answers, (200, {"code": "0", "msgid": "ok"}))

    with running(HttpGateway(answer)) as server:
        first = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1")
        assert (first.retrying, first.failed) == (1, 1)
        with sessions() as session:
            [incident] = failed_messages(session)
        assert "HTTP 400" in incident.error and not incident.maybe_sent
        with UnitOfWork(sessions, runtime) as uow:
            assert retry_message(uow.session, incident.id, "sup", uow.clock.now())
            uow.commit()
        clock.advance(timedelta(minutes=1))
        second = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1")
    assert second.sent == 2
    assert _statuses(sessions) == {"sent": 2}


def test_transient_failures_end_as_failed_after_the_last_attempt(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _queue(sessions, runtime, 1)
    with running(HttpGateway(lambda r: (503, {"code": "down"}))) as server:
        for _attempt in range(3):
            send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w1", max_attempts=3)
            clock.advance(timedelta(hours=1))
    assert len(server.received) == 3
    assert _statuses(sessions) == {"failed": 1}


def test_a_message_left_sending_by_a_stopped_sender_goes_to_a_supervisor_not_out_again(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _queue(sessions, runtime, 2)
    with UnitOfWork(sessions, runtime) as uow:
        [first, _second] = claim_due_messages(uow.session, "dead", uow.clock.now(), ["sms"])
        assert mark_sending(uow.session, first, "dead", uow.clock.now())
        uow.commit()
    # The sender died during the network call; its leases run out.
    clock.advance(timedelta(minutes=3))
    with running(HttpGateway(accept_all)) as server:
        done = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server)}, "w2")
    assert (done.settled, done.sent) == (1, 1)
    assert [r.json()["requestId"] for r in server.received] == ["t:1"]
    with sessions() as session:
        [incident] = failed_messages(session)
    assert incident.id == first and incident.maybe_sent


def test_through_a_gateway_that_drops_repeated_keys_it_is_sent_again_with_the_same_key(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _queue(sessions, runtime, 1)
    with UnitOfWork(sessions, runtime) as uow:
        [message_id] = claim_due_messages(uow.session, "dead", uow.clock.now(), ["sms"])
        mark_sending(uow.session, message_id, "dead", uow.clock.now())
        uow.commit()
    clock.advance(timedelta(minutes=3))
    with running(HttpGateway(accept_all)) as server:
        done = send_due_messages(_units(sessions, runtime), {"sms": _gateway(server, idempotent=True)}, "w2")
    assert (done.settled, done.sent) == (1, 1)
    assert [r.json()["requestId"] for r in server.received] == ["t:0"]
    assert _statuses(sessions) == {"sent": 1}


def test_a_claim_keeps_other_senders_off_until_its_lease_runs_out(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _queue(sessions, runtime, 3)
    with UnitOfWork(sessions, runtime) as uow:
        mine = claim_due_messages(uow.session, "a", uow.clock.now(), ["sms"], limit=2)
        theirs = claim_due_messages(uow.session, "b", uow.clock.now(), ["sms"])
        # A channel without a gateway is nobody's to claim.
        assert claim_due_messages(uow.session, "c", uow.clock.now(), ["email"]) == []
        uow.commit()
    assert len(mine) == 2 and len(theirs) == 1 and not set(mine) & set(theirs)
    with UnitOfWork(sessions, runtime) as uow:
        # Only the claim's owner marks it sending.
        assert not mark_sending(uow.session, mine[0], "b", uow.clock.now())
        clock.advance(timedelta(minutes=2))
        assert sorted(claim_due_messages(uow.session, "b", uow.clock.now(), ["sms"])) == sorted(
            [*mine, *theirs]
        )
        assert not mark_sending(uow.session, mine[0], "a", uow.clock.now())
        uow.commit()
