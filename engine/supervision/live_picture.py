"""What the next shift sees at a glance beside the handover record (M7): the open cases of a procedure
and the tasks past their deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import HumanTask, ProcessInstance


def open_cases_of(session: Session, process_key: str, limit: int = 200) -> list[ProcessInstance]:
    return list(
        session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.process_key == process_key, ProcessInstance.status == "running")
            .order_by(ProcessInstance.opened_at)
            .limit(limit)
        )
    )


def overdue_tasks(session: Session, now: datetime, limit: int = 200) -> list[HumanTask]:
    return list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.status == "open", HumanTask.due_at < now)
            .order_by(HumanTask.due_at)
            .limit(limit)
        )
    )
