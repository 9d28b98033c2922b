"""The outbox's rows and their moves: queue a message in the deciding step's transaction; claim due
ones with a lease; mark one `sending` before the network call; record what the gateway said; settle the
ones a stopped sender left `sending`; put a failed one back in line.

Each move that concerns a case is also a history event of the case (message_queued is not: the step
that queued the message has its own event)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.orm import Session

from engine.db import Event, NoticeRecipient, OutboxMessage, write
from engine.messaging.gateways import Outgoing

# Built once: held writes (engine.db.held_writes) are batched by their statement.
_INSERT_MESSAGES = insert(OutboxMessage)
CLAIM_LEASE = timedelta(seconds=60)
# Longer than any gateway's time-out: a message still `sending` after this was left by a stopped sender.
SEND_LEASE = timedelta(seconds=120)
# After a transient failure: 30 s, 1 min, 2 min … at most an hour; after MAX_ATTEMPTS tries: failed.
RETRY_PAUSE = timedelta(seconds=30)
RETRY_PAUSE_LIMIT = timedelta(hours=1)
MAX_ATTEMPTS = 6
ERROR_LIMIT = 1000
SYSTEM = "system"


@dataclass(frozen=True)
class NewMessage:
    """A message a step decided to send; `not_before`: held back until then (quiet hours)."""

    channel: str
    recipient: str
    kind: str
    text: str
    idempotency_key: str
    subject: str = ""
    html: str = ""
    language: str = "zh_CN"
    attachment: str = ""
    template_params: tuple[str, ...] = field(default_factory=tuple)
    instance_id: int | None = None
    notice_recipient_id: int | None = None
    not_before: datetime | None = None


def queue_messages(session: Session, messages: Sequence[NewMessage], now: datetime) -> int:
    """Write the messages in the caller's transaction: a rolled-back step sends nothing."""
    if messages:
        write(
            session,
            _INSERT_MESSAGES,
            [
                {
                    "channel": m.channel,
                    "recipient": m.recipient,
                    "language": m.language,
                    "kind": m.kind,
                    "subject": m.subject,
                    "text": m.text,
                    "html": m.html,
                    "attachment": m.attachment,
                    "template_params": list(m.template_params),
                    "instance_id": m.instance_id,
                    "notice_recipient_id": m.notice_recipient_id,
                    "idempotency_key": m.idempotency_key,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": max(m.not_before or now, now),
                    "created_at": now,
                }
                for m in messages
            ],
        )
    return len(messages)


def _event(
    message: OutboxMessage | Any, now: datetime, actor: str, kind: str, **changes: Any
) -> Event | None:
    if message.instance_id is None:
        return None
    facts = {"message": message.id, "channel": message.channel, "kind": message.kind, **changes}
    return Event(
        instance_id=message.instance_id,
        at=now,
        actor=actor,
        kind=kind,
        element_id=None,
        element_name=None,
        changes={name: [None, value] for name, value in facts.items()},
    )


def _add_event(session: Session, event: Event | None) -> None:
    if event is not None:
        session.add(event)


def _claimable(now: datetime, channels: Iterable[str]) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        OutboxMessage.channel.in_(list(channels)),
    )


def claim_due_messages(
    session: Session,
    worker: str,
    now: datetime,
    channels: Iterable[str],
    limit: int = 50,
    lease: timedelta = CLAIM_LEASE,
) -> list[int]:
    """Take up to `limit` due messages of the channels this sender can send, oldest first. PostgreSQL:
    `FOR UPDATE SKIP LOCKED`, so two senders never take the same one; SQLite has one writer at a time."""
    due = (
        select(OutboxMessage.id)
        .where(*_claimable(now, channels))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    stamp = update(OutboxMessage).values(lease_owner=worker, lease_until=now + lease)
    if session.get_bind().dialect.name == "postgresql":
        picked = due.with_for_update(skip_locked=True).scalar_subquery()
        rows = session.execute(
            stamp.where(OutboxMessage.id.in_(picked)).returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        ).all()
        return sorted(row[0] for row in rows)
    ids = list(session.scalars(due))
    if ids:
        session.execute(
            stamp.where(OutboxMessage.id.in_(ids)), execution_options={"synchronize_session": False}
        )
    return ids


_OUTGOING_COLUMNS = (
    OutboxMessage.channel,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.text,
    OutboxMessage.idempotency_key,
    OutboxMessage.kind,
    OutboxMessage.html,
    OutboxMessage.language,
    OutboxMessage.attachment,
    OutboxMessage.template_params,
)


def mark_sending(
    session: Session, message_id: int, worker: str, now: datetime, lease: timedelta = SEND_LEASE
) -> Outgoing | None:
    """This sender is about to hand the message to its gateway: committed before the network call, so a
    sender that stops afterwards leaves a trace. Returns the message as the gateway sends it; None if it
    is no longer this sender's. One statement (UPDATE … RETURNING)."""
    row = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "pending",
            OutboxMessage.lease_owner == worker,
        )
        .values(status="sending", lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(*_OUTGOING_COLUMNS)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    channel, recipient, subject, text, key, kind, html, language, attachment, params = row
    return Outgoing(
        channel=channel,
        recipient=recipient,
        subject=subject,
        text=text,
        idempotency_key=key,
        kind=kind,
        html=html,
        language=language,
        attachment=attachment,
        template_params=tuple(params or ()),
    )


def _held(session: Session, message_id: int, worker: str) -> OutboxMessage | None:
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status != "sending" or message.lease_owner != worker:
        return None
    return message


def record_sent(session: Session, message_id: int, worker: str, provider_id: str, now: datetime) -> bool:
    """The gateway took it. One UPDATE … RETURNING and, for a case's message, its history event."""
    row = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.lease_owner == worker,
        )
        .values(
            status="sent",
            sent_at=now,
            provider_message_id=provider_id or None,
            lease_owner=None,
            lease_until=None,
            last_error=None,
        )
        .returning(
            OutboxMessage.instance_id,
            OutboxMessage.channel,
            OutboxMessage.kind,
            OutboxMessage.attempts,
            OutboxMessage.notice_recipient_id,
        )
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return False
    instance_id, channel, kind, attempts, notice_recipient_id = row
    _notice_recipient_is(session, notice_recipient_id, "sent")
    if instance_id is not None:
        facts = {"message": message_id, "channel": channel, "kind": kind, "attempts": attempts}
        session.execute(
            insert(Event),
            [
                {
                    "instance_id": instance_id,
                    "at": now,
                    "actor": SYSTEM,
                    "kind": "message_sent",
                    "element_id": None,
                    "element_name": None,
                    "changes": {name: [None, value] for name, value in facts.items()},
                }
            ],
        )
    return True


def _notice_recipient_is(session: Session, notice_recipient_id: int | None, status: str) -> None:
    """O1: the notice's list of recipients says how far each customer's message got."""
    if notice_recipient_id is not None:
        session.execute(
            update(NoticeRecipient)
            .where(NoticeRecipient.id == notice_recipient_id)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


def retry_pause(attempts: int) -> timedelta:
    pause: timedelta = RETRY_PAUSE * 2 ** min(max(attempts - 1, 0), 16)
    return min(pause, RETRY_PAUSE_LIMIT)


def record_failure(
    session: Session,
    message_id: int,
    worker: str,
    error: str,
    transient: bool,
    now: datetime,
    max_attempts: int = MAX_ATTEMPTS,
) -> str | None:
    """The gateway did not take it: back in line after a pause (transient, attempts left) or failed, an
    incident for a supervisor. Returns the new status, None if the message was no longer this sender's."""
    message = _held(session, message_id, worker)
    if message is None:
        return None
    message.last_error = error[:ERROR_LIMIT]
    message.lease_owner = message.lease_until = None
    if transient and message.attempts < max_attempts:
        message.status = "pending"
        message.next_attempt_at = now + retry_pause(message.attempts)
        _add_event(session, _event(message, now, SYSTEM, "message_retrying", error=message.last_error))
    else:
        message.status, message.failed_at = "failed", now
        _notice_recipient_is(session, message.notice_recipient_id, "failed")
        _add_event(session, _event(message, now, SYSTEM, "message_failed", error=message.last_error))
    return message.status


def settle_stalled(
    session: Session, now: datetime, idempotent_channels: Iterable[str], limit: int = 500
) -> int:
    """Messages left `sending` by a sender that stopped (its lease ran out). They may have gone out.
    Through a gateway that drops a repeated idempotency key they go back in line (the retry passes the
    same key); otherwise they are failed with `maybe_sent` for a supervisor to decide — never resent
    blindly. Returns how many were settled."""
    stalled = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.lease_until < now)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    resend = set(idempotent_channels)
    for message in stalled:
        message.lease_owner = message.lease_until = None
        if message.channel in resend:
            message.status, message.next_attempt_at = "pending", now
            _add_event(session, _event(message, now, SYSTEM, "message_resumed"))
        else:
            message.status, message.failed_at, message.maybe_sent = "failed", now, True
            message.last_error = "the sender stopped while sending; the message may have gone out"
            _notice_recipient_is(session, message.notice_recipient_id, "failed")
            _add_event(session, _event(message, now, SYSTEM, "message_failed", error=message.last_error))
    return len(stalled)


def retry_message(session: Session, message_id: int, actor: str, now: datetime) -> bool:
    """A supervisor sends a failed message again (after a refusal was fixed, or deciding that one which
    may have gone out did not). False if it is not a failed message."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        return False
    message.status, message.next_attempt_at, message.attempts = "pending", now, 0
    message.failed_at, message.maybe_sent = None, False
    _notice_recipient_is(session, message.notice_recipient_id, "pending")
    _add_event(session, _event(message, now, actor, "message_retried"))
    return True


def record_receipt(
    session: Session, provider_message_id: str, delivered: bool, error: str, now: datetime
) -> bool:
    """A delivery receipt from the gateway: the message reached the phone, or never will. False if no
    sent message has that id."""
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id).limit(1)
    ).first()
    if message is None or message.status not in ("sent", "delivered", "failed"):
        return False
    _notice_recipient_is(session, message.notice_recipient_id, "delivered" if delivered else "failed")
    if delivered:
        message.status, message.delivered_at = "delivered", now
        _add_event(session, _event(message, now, SYSTEM, "message_delivered"))
    else:
        message.status, message.failed_at = "failed", now
        message.last_error = (error or "not delivered")[:ERROR_LIMIT]
        _add_event(session, _event(message, now, SYSTEM, "message_failed", error=message.last_error))
    return True
