"""What the web and the command line ask of the outbox, on a unit of work: a supervisor's retry of a
failed message, and a gateway's delivery receipts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.messaging.outbox import record_receipt, retry_message

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Receipt:
    """A gateway's word on one message: delivered to the phone or not, named by the provider's id."""

    provider_message_id: str
    delivered: bool
    error: str = ""


def retry_failed_message(uow: UnitOfWork, message_id: int, actor: str) -> bool:
    return retry_message(uow.session, message_id, actor, uow.clock.now())


def record_delivery_receipts(uow: UnitOfWork, receipts: Iterable[Receipt]) -> int:
    """Returns how many named a message that was sent."""
    now = uow.clock.now()
    return sum(
        record_receipt(uow.session, r.provider_message_id, r.delivered, r.error, now) for r in receipts
    )
