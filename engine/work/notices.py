"""Queries over public notices, in-app notifications and what a shift hands over (O3, M7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.db.models import HumanTask, Notice, NoticeRecipient, Notification, ProcessInstance
from engine.db.results import rows_matched


def recent_notices(session: Session, limit: int = 100) -> list[Notice]:
    return list(
        session.scalars(select(Notice).order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit))
    )


def restored_case_ids(session: Session, instance_ids: list[int]) -> set[int]:
    """Cases of these notices that have announced their restoration."""
    if not instance_ids:
        return set()
    return set(
        session.scalars(
            select(Notice.instance_id).where(
                Notice.instance_id.in_(instance_ids), Notice.kind == "restoration"
            )
        )
    )


def recipient_counts(session: Session, notice_ids: list[int]) -> dict[int, int]:
    if not notice_ids:
        return {}
    rows = session.execute(
        select(NoticeRecipient.notice_id, func.count())
        .where(NoticeRecipient.notice_id.in_(notice_ids))
        .group_by(NoticeRecipient.notice_id)
    )
    return {notice_id: count for notice_id, count in rows}


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


def case_numbers(session: Session, instance_ids: list[int]) -> dict[int, str]:
    if not instance_ids:
        return {}
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.case_number).where(ProcessInstance.id.in_(instance_ids))
    )
    return {instance_id: number for instance_id, number in rows}
