"""Graded deadlines: one row per warning or escalation level of an open task, fired by the scheduler
when it falls due (engine.cases.deadline_steps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class DeadlineStep(Base):
    __tablename__ = "deadline_step"
    __table_args__ = (
        Index(
            "ix_deadline_step_due_pending",
            "due_at",
            sqlite_where=text("fired_at IS NULL"),
            postgresql_where=text("fired_at IS NULL"),
        ),
        Index("ix_deadline_step_task", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    element_id: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))  # warning, escalation, or resume (a pause's agreed end)
    recipients: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    # The task's deadline the level was computed from (an escalation's notice names it).
    deadline: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    # waiting; fired; cancelled (its task closed first); held (its task paused, engine.cases.pauses)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    claimed_until: Mapped[datetime | None]
    # The usernames told when it fired, for the chase notice.
    told: Mapped[str | None] = mapped_column(String(2000))
