"""External tasks: a service task with camunda:type="external" waits for a worker outside the system,
which fetches and locks it by topic through the API and completes or fails it (issue 21)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class ExternalTaskRow(Base):
    __tablename__ = "external_task"
    __table_args__ = (
        Index("ix_external_task_topic", "status", "topic"),
        UniqueConstraint("instance_id", "task_guid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    # open (waiting or locked), incident (no retries left), completed, cancelled (the case left the step).
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    worker_id: Mapped[str | None] = mapped_column(String(100))
    lock_until: Mapped[datetime | None]
    # None until the first failure (Camunda's habit); at 0 the task is an incident.
    retries: Mapped[int | None]
    next_retry_at: Mapped[datetime | None]
    error_message: Mapped[str | None] = mapped_column(String(500))
    error_details: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))


class EventSubscription(Base):
    """A step of a case that waits for a message or a signal from outside: a receive task, a message or
    signal catch event, a message or signal boundary event (issue 21). Written with the case's state,
    removed when the step stops waiting."""

    __tablename__ = "event_subscription"
    __table_args__ = (
        Index("ix_event_subscription_name", "kind", "event_name"),
        UniqueConstraint("instance_id", "task_guid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # message or signal
    kind: Mapped[str] = mapped_column(String(10))
    event_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class CaseCallRow(Base):
    """A call activity's child case, linked to the parent case and the step that waits for it."""

    __tablename__ = "case_call"
    __table_args__ = (
        UniqueConstraint("parent_instance_id", "task_guid"),
        Index("ix_case_call_child", "child_instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))
    # None while the call is an incident: its procedure (or the version it binds) is not deployed.
    child_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    # open (the child runs), completed (the parent went on), failed (an incident a supervisor retries)
    status: Mapped[str] = mapped_column(String(20), default="open")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
