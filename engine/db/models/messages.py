"""Public outage notices with their recipients (O1-O3) and in-app notifications to staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db.models.base import Base


class Notice(Base):
    """A public outage or restoration notice (O1-O3), listed without sign-in."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    case_number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # outage or restoration
    service: Mapped[str] = mapped_column(String(20))
    outage_type: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(100))
    building: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(50), default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None]
    estimated_restore_at: Mapped[datetime | None]
    restored_at: Mapped[datetime | None]
    published_at: Mapped[datetime]
    recipients: Mapped[list[NoticeRecipient]] = relationship(lazy="raise", viewonly=True)


class NoticeRecipient(Base):
    """An affected customer to be told of a notice; a later sender delivers these and marks them sent."""

    __tablename__ = "notice_recipient"
    __table_args__ = (Index("ix_notice_recipient_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")


class Notification(Base):
    """An in-app message to one member of staff (L2 notice to a department head, chases)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient", "recipient", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str | None] = mapped_column(String(100))
    # notify: a diagram's notify effect; chase: a deadline passed (督办)
    kind: Mapped[str] = mapped_column(String(20), default="notify", server_default=text("'notify'"))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
