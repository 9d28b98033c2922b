"""Work that goes out to other programs (issue 19): an API client's webhook subscriptions and their
deliveries, and the reply endpoints of the platforms that forward cases. Both are sent through the
durable outbox (engine.messaging), on the channels "webhook" and "platform"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class WebhookSubscription(Base):
    """An API client's subscription to events at a URL. The secret signs each delivery, so it is kept as
    it is (like the installation's own secrets), shown once when the subscription is made. Paused: no new
    deliveries; deleted (soft): neither, and it leaves the lists, its deliveries kept."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (Index("ix_webhook_subscription_live", "deleted_at", "paused_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"))
    url: Mapped[str] = mapped_column(String(500))
    # Space-separated event names (case.opened task.created task.completed deadline.passed case.closed
    # outage.published).
    events: Mapped[str] = mapped_column(String(300))
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    paused_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())


class WebhookDelivery(Base):
    """One event delivered to one subscription: its outbox message has the idempotency key
    `webhook:<delivery_id>` (the delivery id is the receiver's idempotency key too); the last attempt's
    HTTP status and the first bytes of the answer."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(40), unique=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"))
    event: Mapped[str] = mapped_column(String(30))
    case_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    attempted_at: Mapped[datetime | None]
    response_code: Mapped[int | None]
    response_excerpt: Mapped[str | None] = mapped_column(String(500))


class PlatformEndpoint(Base):
    """Where a case source's platform takes replies by API (U1): completing `reply_on_platform` of a
    case from this source sends the reply there through the outbox instead of leaving the operator to
    paste it. `auth`: an "Authorization" header value (a bearer token), sent as is; `secret`: if set,
    the body is signed like a webhook (X-Hotline-Signature)."""

    __tablename__ = "platform_endpoint"

    source_code: Mapped[str] = mapped_column(ForeignKey("case_source.code"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    auth: Mapped[str] = mapped_column(String(300), default="")
    secret: Mapped[str] = mapped_column(String(100), default="")
    # "json": {"reference", "case_number", "result", "text"}; "form": the same as a urlencoded form.
    body_format: Mapped[str] = mapped_column(String(10), default="json")
    active: Mapped[bool] = mapped_column(default=True, server_default=sql_text("true"))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
