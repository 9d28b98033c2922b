"""The public outage and restoration notices as the notices page reads them (O1-O3); the outage
procedure publishes them through engine.cases.effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Customer, Notice, NoticeRecipient


def recent_notices(session: Session, limit: int = 100) -> list[Notice]:
    return list(
        session.scalars(select(Notice).order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit))
    )


@dataclass(frozen=True)
class Outage:
    """One outage as the public reads it: its latest outage notice (the current estimate), its
    restoration notice once restored, and every notice it published, newest first."""

    case_number: str
    latest: Notice
    restoration: Notice | None
    notices: tuple[Notice, ...]

    @property
    def is_current(self) -> bool:
        return self.restoration is None

    def estimate_passed(self, now: datetime) -> bool:
        """Still out after the time it was expected back: the public should see the estimate is late."""
        expected = self.latest.estimated_restore_at
        return self.is_current and expected is not None and expected < now


def recent_outages(session: Session, limit: int = 50) -> list[Outage]:
    """The outages that published most recently, newest first, each with all its notices: a new
    estimate updates its outage instead of adding another one."""
    last_published = func.max(Notice.published_at)
    case_ids = list(
        session.scalars(
            select(Notice.instance_id)
            .group_by(Notice.instance_id)
            .order_by(last_published.desc())
            .limit(limit)
        )
    )
    if not case_ids:
        return []
    by_case: dict[int, list[Notice]] = {case_id: [] for case_id in case_ids}
    for notice in session.scalars(
        select(Notice)
        .where(Notice.instance_id.in_(case_ids))
        .order_by(Notice.published_at.desc(), Notice.id.desc())
    ):
        by_case[notice.instance_id].append(notice)
    outages = []
    for notices in by_case.values():
        announced = [n for n in notices if n.kind != "restoration"]
        restoration = next((n for n in notices if n.kind == "restoration"), None)
        latest = announced[0] if announced else notices[0]
        outages.append(Outage(latest.case_number, latest, restoration, tuple(notices)))
    return outages


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
