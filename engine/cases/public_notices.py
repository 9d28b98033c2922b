"""The public outage and restoration notices as the notices page reads them (O1-O3); the outage
procedure publishes them through engine.cases.effects."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Customer, Notice, NoticeRecipient


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


def notice_of_case(session: Session, instance_id: int, notice_id: int) -> Notice | None:
    """One notice a case published; None when the case did not publish it."""
    return session.scalar(select(Notice).where(Notice.id == notice_id, Notice.instance_id == instance_id))


def notice_recipients(session: Session, notice_id: int) -> list[tuple[Customer, NoticeRecipient]]:
    """The customers a notice is sent to, with how and whether it has gone, in register order."""
    rows = session.execute(
        select(Customer, NoticeRecipient)
        .join(NoticeRecipient, NoticeRecipient.customer_id == Customer.id)
        .where(NoticeRecipient.notice_id == notice_id)
        .order_by(Customer.id)
    )
    return [(customer, recipient) for customer, recipient in rows]
