"""Webhooks (issue 19 item 3): an API client subscribes to events at a URL; every event of those kinds
becomes a delivery, an outbox message on the channel "webhook" written in the same unit of work as the
history event it tells of, sent by the outbox's sender with its retries and back-off.

The body says what happened and to which case — nothing personal (no customer's name, phone or address,
no staff member's name): a client that needs more reads the case through the API, masked for its role as
every read is. Each delivery is signed with the subscription's secret: the header
`X-Hotline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, and carries its delivery
id (`X-Hotline-Delivery`), the same in every attempt, for the receiver to drop a repeat. docs/api.md
describes the scheme for receivers.

A 2xx answer delivers it; a time-out, a dropped connection, 408, 429 or 5xx is tried again after the
outbox's pause; any other answer fails it, an incident a supervisor can retry. Each attempt's status and
the first bytes of the answer are kept with the delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.orm import Session

from engine.bpmn import FieldError
from engine.db import (
    AdminAudit,
    ApiClient,
    OutboxMessage,
    WebhookDelivery,
    WebhookSubscription,
    note_for_transaction,
    noted_in_transaction,
)
from engine.errors import FormInvalid, NotFound
from engine.messages import N_, printable
from engine.messaging.gateways import Outgoing, SendFailed
from engine.messaging.http_sms import post, require_2xx
from engine.messaging.outbox import NewMessage, queue_messages
from engine.messaging.web_addresses import is_web_address
from engine.people import client_actor_of
from engine.reference import record_admin_change
from engine.runtime import Actor, ReadCache

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

CHANNEL = "webhook"
KEY_PREFIX = "webhook:"
SIGNATURE_HEADER = "X-Hotline-Signature"
DELIVERY_HEADER = "X-Hotline-Delivery"
EVENT_HEADER = "X-Hotline-Event"
EXCERPT_LIMIT = 500
URL_LIMIT = 500
SECRET_PREFIX = "whsec_"

# The events a client may subscribe to, by the history events they are made of.
WEBHOOK_EVENTS = (
    "case.opened",
    "task.created",
    "task.completed",
    "deadline.passed",
    "case.closed",
    "outage.published",
)
_FROM_HISTORY = {
    "case_started": "case.opened",
    "task_created": "task.created",
    "task_completed": "task.completed",
    "case_closed": "case.closed",
    "notice_published": "outage.published",
}

WEBHOOK_PROBLEMS: dict[str, str] = {
    "webhook_url": N_("Give an http:// or https:// address of at most 500 characters."),
    "no_event": N_("Choose at least one event."),
    "not_event": N_("“%(value)s” is no event. Choose from: %(known)s."),
    "webhook_same_url": N_(
        "This client already has a webhook to this address (no. %(id)s); every event would be sent "
        "twice. Remove that one first to subscribe it to other events."
    ),
}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: `t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>" in hex>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# --- subscriptions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSubscription:
    """A subscription just made and its secret, which is never shown again."""

    subscription: WebhookSubscription
    secret: str


def _url_ok(url: str) -> bool:
    return is_web_address(url, URL_LIMIT)


def add_subscription(
    uow: UnitOfWork, actor: str, client: ApiClient, url: str, events: Sequence[str]
) -> NewSubscription:
    """FormInvalid (nothing written) when the address or an event is refused."""
    url = url.strip()
    events = sorted(set(events))
    errors: dict[str, FieldError] = {}
    if not _url_ok(url):
        errors["url"] = FieldError("webhook_url")
    else:
        # A form sent twice (a double click, a reloaded answer) must not double every delivery.
        same = next((row for row in subscriptions(uow.session, client.id) if row.url == url), None)
        if same is not None:
            errors["url"] = FieldError("webhook_same_url", {"id": str(same.id)})
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if not events:
        errors["events"] = FieldError("no_event")
    elif unknown:
        errors["events"] = FieldError(
            "not_event", {"value": printable(unknown[0]), "known": ", ".join(WEBHOOK_EVENTS)}
        )
    if errors:
        raise FormInvalid(errors, {"url": url, "events": events})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = WebhookSubscription(
        client_id=client.id,
        url=url,
        events=" ".join(events),
        secret=secret,
        created_at=uow.clock.now(),
        created_by=actor[:100],
        paused_at=None,
        deleted_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    _audit(uow, actor, "webhook_added", client, row, {"url": [None, url], "events": [None, events]})
    return NewSubscription(row, secret)


def _audit(
    uow: UnitOfWork,
    actor: str,
    action: str,
    client: ApiClient,
    row: WebhookSubscription,
    changes: dict[str, list[Any]],
) -> None:
    uow.runtime.webhook_subscriptions.clear()
    uow.session.info.pop(_STAMP_KEY, None)  # this transaction's stamp is read again
    record_admin_change(uow.session, uow.clock, actor, action, "webhook", f"{client.name}#{row.id}", changes)


def client_named(session: Session, name: str) -> ApiClient:
    """The API client of this name; NotFound if none."""
    client = session.scalars(select(ApiClient).where(ApiClient.name == name)).first()
    if client is None:
        raise NotFound(f"no API client {name!r}")
    return client


def subscriptions(session: Session, client_id: int) -> list[WebhookSubscription]:
    """The client's subscriptions that are not deleted, oldest first."""
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.client_id == client_id, WebhookSubscription.deleted_at.is_(None))
            .order_by(WebhookSubscription.id)
        )
    )


def subscription(session: Session, client_id: int, subscription_id: int) -> WebhookSubscription:
    """One of the client's subscriptions; NotFound for another's or a deleted one."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.client_id != client_id or row.deleted_at is not None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return row


def set_paused(
    uow: UnitOfWork, actor: str, client: ApiClient, subscription_id: int, paused: bool
) -> WebhookSubscription:
    """Pause (no new deliveries; those queued still go) or resume; the same state again changes nothing."""
    row = subscription(uow.session, client.id, subscription_id)
    if paused != (row.paused_at is not None):
        before = row.paused_at
        row.paused_at = uow.clock.now() if paused else None
        _audit(
            uow,
            actor,
            "webhook_paused" if paused else "webhook_resumed",
            client,
            row,
            {"paused_at": [_iso(before), _iso(row.paused_at)]},
        )
    return row


def delete_subscription(uow: UnitOfWork, actor: str, client: ApiClient, subscription_id: int) -> bool:
    """Soft: the subscription leaves the lists and gets no more deliveries (queued ones are dropped when
    their turn comes); its deliveries stay on record. One removed already (the button clicked twice)
    changes nothing: False."""
    row = uow.session.get(WebhookSubscription, subscription_id)
    if row is not None and row.client_id == client.id and row.deleted_at is not None:
        return False
    row = subscription(uow.session, client.id, subscription_id)
    row.deleted_at = uow.clock.now()
    _audit(uow, actor, "webhook_deleted", client, row, {"deleted_at": [None, _iso(row.deleted_at)]})
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class DeliveryView:
    delivery_id: str
    event: str
    case_number: str | None
    created_at: datetime
    status: str  # the outbox message's: pending, sending, sent, failed
    attempts: int
    attempted_at: datetime | None
    response_code: int | None
    response_excerpt: str
    error: str


def deliveries(session: Session, subscription_id: int, limit: int = 20) -> list[DeliveryView]:
    """The subscription's last deliveries, newest first, each with its outbox message's status."""
    rows = session.execute(
        select(WebhookDelivery, OutboxMessage)
        .outerjoin(OutboxMessage, OutboxMessage.idempotency_key == KEY_PREFIX + WebhookDelivery.delivery_id)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()
    return [
        DeliveryView(
            d.delivery_id,
            d.event,
            d.case_number,
            d.created_at,
            m.status if m is not None else "gone",
            m.attempts if m is not None else 0,
            d.attempted_at,
            d.response_code,
            d.response_excerpt or "",
            (m.last_error or "") if m is not None else "",
        )
        for d, m in rows
    ]


# --- deliveries -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEvent:
    """One thing that happened, as the deliveries tell it."""

    event: str
    occurred_at: datetime
    case_number: str | None
    procedure: str | None
    data: Mapping[str, Any]


def events_of_history(
    rows: Iterable[Mapping[str, Any]],
    case_number: str,
    procedure: str,
    deadlines: Iterable[str] = (),
    case_status: str = "",
) -> list[WebhookEvent]:
    """The webhook events among a unit of work's history events: `deadlines` names the timers that were
    a task's deadline (a timer elsewhere fires unseen)."""
    deadline_ids = set(deadlines)
    found: list[WebhookEvent] = []
    for row in rows:
        kind = row["kind"]
        event = _FROM_HISTORY.get(kind)
        if kind == "timer_fired" and row["element_id"] in deadline_ids:
            event = "deadline.passed"
        if event is None:
            continue
        data: dict[str, Any] = {}
        changes = row.get("changes") or {}
        if event.startswith(("task.", "deadline.")):
            data = {"element_id": row["element_id"], "name": row["element_name"]}
            if event == "task.created" and "candidate_groups" in changes:
                data["candidate_groups"] = changes["candidate_groups"][1]
        elif event == "outage.published" and "notice" in changes:
            data = {"notice": changes["notice"][1]}
        elif event == "case.opened":
            data = {"name": row["element_name"]}
        elif event == "case.closed" and case_status:
            data = {"status": case_status}
        found.append(WebhookEvent(event, row["at"], case_number, procedure, data))
    return found


# What a unit of work knows of a live subscription: (id, url, events, the client's expiry, whom the
# client acts as). The client's role and departments never change (a client is made and revoked only).
_Live = tuple[int, str, str, datetime, Actor]
_STAMP_KEY = "webhook_stamp"
_STAMPED_KINDS = ("webhook", "api_client")


def subscriptions_stamp() -> ScalarSelect[int]:
    """SQL: a number that changes with every change of a subscription or of an API client. Each is an
    administrative change, recorded as one more row of the append-only audit (`_audit` here,
    engine.people.api_clients): the count of those rows (the index on the subject kind answers it). Not
    their largest id: PostgreSQL draws ids before commit, so a change committing after one that drew a
    later id would leave the largest unchanged (test_webhook_visibility.py).
    A unit of work reads it with the lock on its case (engine.cases.store.take_case)."""
    return (
        select(func.count())
        .select_from(AdminAudit)
        .where(AdminAudit.subject_kind.in_(_STAMPED_KINDS))
        .scalar_subquery()
    )


def note_stamp(session: Session, stamp: int) -> None:
    """The stamp as this transaction read it (with the case's lock), for the unit that saves the case."""
    note_for_transaction(session, _STAMP_KEY, stamp)


def _stamp(session: Session) -> int:
    """The stamp this transaction read already, or read now (a case opened in this unit took no lock)."""
    noted = noted_in_transaction(session, _STAMP_KEY)
    if noted is not None:
        return int(noted)
    stamp = int(session.scalar(select(subscriptions_stamp())) or 0)
    note_stamp(session, stamp)
    return stamp


def _live_subscriptions(session: Session, cache: ReadCache | None) -> list[_Live]:
    """Every subscription neither paused nor deleted whose client is not revoked: read again only when
    the stamp changed since this process last read them (in whichever process the change was made)."""
    stamp = _stamp(session)
    cached = cache.get(stamp) if cache is not None else None
    if cached is not None:
        return list(cached)
    rows = [
        (sid, url, events, expires, client_actor_of(name, role, departments))
        for sid, url, events, expires, name, role, departments in session.execute(
            select(
                WebhookSubscription.id,
                WebhookSubscription.url,
                WebhookSubscription.events,
                ApiClient.expires_at,
                ApiClient.name,
                ApiClient.role,
                ApiClient.departments,
            )
            .join(ApiClient, ApiClient.id == WebhookSubscription.client_id)
            .where(
                WebhookSubscription.deleted_at.is_(None),
                WebhookSubscription.paused_at.is_(None),
                ApiClient.revoked_at.is_(None),
            )
            .order_by(WebhookSubscription.id)
        )
    ]
    if cache is not None:
        cache.put(stamp, tuple(rows))
    return rows


# Events anyone may know of: an outage notice is published to the public (O2).
PUBLIC_EVENTS = frozenset({"outage.published"})


def queue_webhooks(
    session: Session,
    events: Sequence[WebhookEvent],
    now: datetime,
    cache: ReadCache | None = None,
    may_read: Callable[[Actor], bool] | None = None,
) -> int:
    """A delivery per event and live subscription that wants it (its client neither revoked nor
    expired), written in the caller's transaction. Returns how many. `cache`: the runtime's, so a
    step reads the subscriptions only when they changed. `may_read`: whether a client (as the actor
    it acts as) may read the events' case through the API (engine.cases.may_read_case, docs/access.md):
    a client gets the events of the cases it may read only, and the public ones (PUBLIC_EVENTS)."""
    if not events:
        return 0
    live = [row for row in _live_subscriptions(session, cache) if row[3] > now]
    if not live:
        return 0
    readable: dict[str, bool] = {}

    def reads(actor: Actor) -> bool:
        if may_read is None:
            return True
        if actor.username not in readable:
            readable[actor.username] = may_read(actor)
        return readable[actor.username]

    messages: list[NewMessage] = []
    rows: list[WebhookDelivery] = []
    for event in events:
        for subscription_id, url, wanted, _expires, actor in live:
            if event.event not in wanted.split():
                continue
            if event.event not in PUBLIC_EVENTS and event.case_number is not None and not reads(actor):
                continue
            delivery_id = uuid.uuid4().hex
            body = {
                "id": delivery_id,
                "event": event.event,
                "occurred_at": event.occurred_at.isoformat(),
                "case_number": event.case_number,
                "procedure": event.procedure,
                "data": dict(event.data),
            }
            text = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)
            messages.append(NewMessage(CHANNEL, url[:200], event.event, text, KEY_PREFIX + delivery_id))
            rows.append(
                WebhookDelivery(
                    delivery_id=delivery_id,
                    subscription_id=subscription_id,
                    event=event.event,
                    case_number=event.case_number,
                    created_at=now,
                )
            )
    if not rows:
        return 0
    session.add_all(rows)
    return queue_messages(session, messages, now)


class WebhookGateway:
    """Posts a delivery to its subscription's URL, signed with its secret at the moment of sending;
    reads the subscription and records each attempt's answer through units of work of its own (the
    sender holds no transaction while a gateway sends)."""

    accepts_idempotency_key = True  # the delivery id goes with every attempt: receivers drop repeats

    def __init__(self, units: Callable[[], UnitOfWork], timeout: float = 10.0) -> None:
        self.units = units
        self.timeout = timeout

    def send(self, message: Outgoing) -> str:
        delivery_id = message.idempotency_key.removeprefix(KEY_PREFIX)
        with self.units() as uow:
            found = uow.session.execute(
                select(WebhookSubscription.url, WebhookSubscription.secret, WebhookSubscription.deleted_at)
                .join(WebhookDelivery, WebhookDelivery.subscription_id == WebhookSubscription.id)
                .where(WebhookDelivery.delivery_id == delivery_id)
            ).first()
            now = uow.clock.now()
        if found is None:
            raise SendFailed("no webhook delivery of this id", transient=False)
        url, secret, deleted_at = found
        if deleted_at is not None:
            raise SendFailed("the webhook subscription was deleted", transient=False)
        body = message.text.encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "HotlineFlow-Webhook/1",
                SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
                DELIVERY_HEADER: delivery_id,
                EVENT_HEADER: message.kind,
            },
        )
        try:
            status, answer = post(request, self.timeout)
        except SendFailed as failure:
            self._record(delivery_id, None, failure.reason)
            raise
        self._record(delivery_id, status, answer)
        require_2xx(status, answer)
        return delivery_id

    def _record(self, delivery_id: str, status: int | None, answer: str) -> None:
        with self.units() as uow:
            uow.session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.delivery_id == delivery_id)
                .values(
                    attempted_at=uow.clock.now(),
                    response_code=status,
                    response_excerpt=_excerpt(answer),
                )
                .execution_options(synchronize_session=False)
            )
            uow.commit()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _excerpt(answer: str) -> str:
    return _CONTROL.sub("", answer)[:EXCERPT_LIMIT]
