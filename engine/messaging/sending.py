"""The sender: one round of claiming due messages and handing each to its channel's gateway.

Per message: mark it `sending` and commit (so a sender killed during the network call leaves a trace),
send outside any transaction, then record the outcome; the outcome of one message is committed together
with the `sending` mark of the next, one commit per message. Several senders (every `hotline worker`)
may run rounds at the same time: claims (engine.messaging.outbox) keep them apart, and the conditional
`sending` mark makes sure only the claim's owner sends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from engine.messaging.gateways import Gateway, SendFailed
from engine.messaging.outbox import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    claim_due_messages,
    mark_sending,
    record_failure,
    record_sent,
    settle_stalled,
)

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class Throttle:
    """At most `per_second` sends through one channel from this sender (providers limit the rate),
    shared by the sender's threads."""

    def __init__(
        self,
        per_second: float,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gap = 1.0 / per_second if per_second > 0 else 0.0
        self._sleep, self._monotonic = sleep, monotonic
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.gap:
            return
        with self._lock:  # each caller takes the next free slot, then sleeps until it outside the lock
            now = self._monotonic()
            slot = max(self._next, now)
            self._next = slot + self.gap
        if slot > now:
            self._sleep(slot - now)


@dataclass
class Round:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    settled: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(
            self.sent + other.sent,
            self.retrying + other.retrying,
            self.failed + other.failed,
            self.settled + other.settled,
        )


def send_due_messages(
    units: Callable[[], UnitOfWork],
    gateways: Mapping[str, Gateway],
    worker: str,
    batch: int = 50,
    throttles: Mapping[str, Throttle] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    lease: timedelta = CLAIM_LEASE,
    limit: int | None = None,
) -> Round:
    """Send what is due through the gateways given (a channel without one waits), until nothing is due
    or `limit` messages were tried. Returns what happened."""
    done = Round()
    if not gateways:
        return done
    with units() as uow:
        done.settled = settle_stalled(
            uow.session, uow.clock.now(), [c for c, g in gateways.items() if g.accepts_idempotency_key]
        )
        uow.commit()
    tried = 0
    while limit is None or tried < limit:
        with units() as uow:
            ids = claim_due_messages(
                uow.session,
                worker,
                uow.clock.now(),
                gateways,
                batch if limit is None else min(batch, limit - tried),
                lease,
            )
            uow.commit()
        if not ids:
            return done
        _send_claimed(units, gateways, worker, ids, throttles or {}, max_attempts, done)
        tried += len(ids)
        if len(ids) < batch:
            return done
    return done


def _send_claimed(
    units: Callable[[], UnitOfWork],
    gateways: Mapping[str, Gateway],
    worker: str,
    ids: list[int],
    throttles: Mapping[str, Throttle],
    max_attempts: int,
    done: Round,
) -> None:
    outcome: tuple[int, str, SendFailed | None] | None = None  # the last message's, still to be written
    for message_id in [*ids, None]:
        with units() as uow:
            now = uow.clock.now()
            if outcome is not None:
                _record(uow, worker, outcome, max_attempts, done)
                outcome = None
            message = mark_sending(uow.session, message_id, worker, now) if message_id is not None else None
            uow.commit()
        if message is None:
            continue
        throttle = throttles.get(message.channel)
        if throttle is not None:
            throttle.wait()
        try:
            provider_id = gateways[message.channel].send(message)
            outcome = (message_id, provider_id, None) if message_id is not None else None
        except SendFailed as failure:
            log.warning("message %s not sent: %s", message_id, failure.reason)
            outcome = (message_id, "", failure) if message_id is not None else None
        except Exception as err:  # noqa: BLE001 - a gateway's own fault: no blind retry, a supervisor looks
            log.exception("message %s: the gateway failed", message_id)
            fault = SendFailed(f"{type(err).__name__}: {err}", transient=False)
            outcome = (message_id, "", fault) if message_id is not None else None


def _record(
    uow: UnitOfWork, worker: str, outcome: tuple[int, str, SendFailed | None], max_attempts: int, done: Round
) -> None:
    message_id, provider_id, failure = outcome
    now = uow.clock.now()
    if failure is None:
        if record_sent(uow.session, message_id, worker, provider_id, now):
            done.sent += 1
        return
    status = record_failure(
        uow.session, message_id, worker, failure.reason, failure.transient, now, max_attempts
    )
    if status == "failed":
        done.failed += 1
    elif status == "pending":
        done.retrying += 1
