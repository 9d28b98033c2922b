"""The durable outbox: every SMS and e-mail a step decides to send, written in the step's transaction
and sent afterwards by the sender (engine.messaging)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base, JSONType


class OutboxMessage(Base):
    """One message to one address. Status: pending → sending → sent (→ delivered), or failed."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_instance", "instance_id", "status"),
        Index("ix_outbox_provider_id", "provider_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms or email
    recipient: Mapped[str] = mapped_column(String(200))  # a phone number or an e-mail address
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    kind: Mapped[str] = mapped_column(String(30))  # outage, restoration, estimate, liaison, chase…
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    # Where the attached file's bytes are (a report's XLSX), if any.
    attachment: Mapped[str] = mapped_column(String(500), default="")
    # What a template-only SMS provider fills its approved template with (Tencent Cloud), in order.
    template_params: Mapped[list[str]] = mapped_column(JSONType, default=list)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    notice_recipient_id: Mapped[int | None] = mapped_column(ForeignKey("notice_recipient.id"))
    # Unique: a step that would write the same message twice cannot; passed to gateways that accept one.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A sender stopped between marking it sending and recording the outcome, through a gateway that takes
    # no idempotency key: it may have gone out, so a supervisor decides whether to send it again.
    maybe_sent: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]


class MessageTemplate(Base):
    """One version of an administrator's wording of a message kind in one language; the newest version
    is in force. `shipped`: this version went back to the text shipped with the system."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("kind", "language", "version", name="uq_message_template_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(10))
    version: Mapped[int]
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    shipped: Mapped[bool] = mapped_column(default=False)
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime]
