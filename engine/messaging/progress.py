"""What pages show of the outbox: a case's sending progress, and the failed messages awaiting a
supervisor (the incidents page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import OutboxMessage, ProcessInstance


@dataclass(frozen=True)
class SendingProgress:
    pending: int = 0  # waiting, being sent, or held back (quiet hours, a retry's pause)
    sent: int = 0  # handed to the gateway (delivered included)
    delivered: int = 0  # the gateway's receipt says it reached the phone
    failed: int = 0
    # The channels (sms, email) of the messages still pending, so a page can say which wait for want
    # of a gateway.
    pending_channels: frozenset[str] = frozenset()

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed


def sending_progress(session: Session, instance_id: int) -> SendingProgress:
    counts: dict[str, int] = {}
    pending_channels = set()
    for status, channel, count in session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, func.count())
        .where(OutboxMessage.instance_id == instance_id)
        .group_by(OutboxMessage.status, OutboxMessage.channel)
    ).all():
        counts[status] = counts.get(status, 0) + count
        if status in ("pending", "sending"):
            pending_channels.add(channel)
    delivered = counts.get("delivered", 0)
    return SendingProgress(
        pending=counts.get("pending", 0) + counts.get("sending", 0),
        sent=counts.get("sent", 0) + delivered,
        delivered=delivered,
        failed=counts.get("failed", 0),
        pending_channels=frozenset(pending_channels),
    )


@dataclass(frozen=True)
class FailedMessage:
    id: int
    case_number: str | None
    channel: str
    kind: str
    recipient: str
    attempts: int
    error: str
    failed_at: datetime | None
    maybe_sent: bool


def failed_messages(session: Session, limit: int = 200) -> list[FailedMessage]:
    rows = session.execute(
        select(OutboxMessage, ProcessInstance.case_number)
        .outerjoin(ProcessInstance, ProcessInstance.id == OutboxMessage.instance_id)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [
        FailedMessage(
            m.id,
            case_number,
            m.channel,
            m.kind,
            m.recipient,
            m.attempts,
            m.last_error or "",
            m.failed_at,
            m.maybe_sent,
        )
        for m, case_number in rows
    ]
