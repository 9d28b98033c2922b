"""Staff's in-app messages (L2 urgent notices to a department head, chases): listing, counting unread,
marking read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.db import Notification, ProcessInstance, rows_matched


def notifications_for(session: Session, username: str, limit: int = 100) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.recipient == username)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, username: str) -> int:
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.recipient == username, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(session: Session, username: str, now: datetime, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of this user read; returns how many changed."""
    statement = update(Notification).where(Notification.recipient == username, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return rows_matched(session.execute(statement.values(read_at=now))) or 0


def case_numbers(session: Session, instance_ids: list[int]) -> dict[int, str]:
    if not instance_ids:
        return {}
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.case_number).where(ProcessInstance.id.in_(instance_ids))
    )
    return {instance_id: number for instance_id, number in rows}
