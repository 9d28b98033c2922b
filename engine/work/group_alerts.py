"""Group alerts (群体性诉求): when the set number of calls come from one building within the set window,
the supervisors and the operations department are told in the app, and by SMS or e-mail as each of them
chose (engine.messaging), once per building and window; the board lists the alerts of the last day.

Calls are the cases opened with an address in the building. A confidential case keeps only a mask in
its address column (C7) and is not counted, so no alert can point at a confidential complainant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.db import ESCAPE, Event, GroupAlert, Notification, ProcessInstance, User, UserRole, starting_with
from engine.messaging import queue_group_alert, staff_contacts
from engine.runtime import CallGrouping, MessagingPolicy
from engine.work.duplicates import building_of

# Who is told: the supervisors and the operations department (who send someone to the building).
ALERTED_ROLES = ("supervisor", "operations")
GROUP_ALERT = "group_alert"
SHOWN_ON_BOARD = timedelta(hours=24)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _window_start(now: datetime, window: timedelta) -> datetime:
    return _EPOCH + ((now - _EPOCH) // window) * window


def calls_from(session: Session, building: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(
                ProcessInstance.address.like(starting_with(building), escape=ESCAPE),
                ProcessInstance.opened_at >= since,
            )
        )
        or 0
    )


def _alerted_staff(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(ALERTED_ROLES), User.active.is_(True))
            .distinct()
            .order_by(User.username)
        )
    )


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g}"


def alert_if_many_calls(
    session: Session,
    instance: ProcessInstance,
    grouping: CallGrouping,
    policy: MessagingPolicy,
    now: datetime,
) -> GroupAlert | None:
    """After a call is recorded: the group alert of its building when this call reached the threshold
    and none was raised for the building within the window; None otherwise."""
    building = building_of(instance.address or "")
    if not building or grouping.alert_calls < 1:
        return None
    since = now - grouping.alert_window
    calls = calls_from(session, building, since)
    if calls < grouping.alert_calls:
        return None
    raised = session.scalar(
        select(GroupAlert.id).where(GroupAlert.building == building, GroupAlert.raised_at >= since).limit(1)
    )
    if raised is not None:
        return None
    upsert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    alert_id = session.scalar(
        upsert(GroupAlert)
        .values(
            building=building,
            window_start=_window_start(now, grouping.alert_window),
            raised_at=now,
            calls=calls,
            instance_id=instance.id,
        )
        .on_conflict_do_nothing()
        .returning(GroupAlert.id)
    )
    if alert_id is None:
        return None  # another intake of this building raised it a moment ago
    hours = _hours(grouping.alert_window)
    staff = _alerted_staff(session)
    session.add_all(
        Notification(
            recipient=username,
            instance_id=instance.id,
            element_id=None,
            kind=GROUP_ALERT,
            message=f"群体性诉求：{hours} 小时内 {building} 已有 {calls} 个来电（最新工单 {instance.case_number}）。",
            message_en=(
                f"Group alert: {calls} calls from {building} within {hours} hours "
                f"(latest case {instance.case_number})."
            ),
            created_at=now,
        )
        for username in staff
    )
    session.add(
        Event(
            instance_id=instance.id,
            at=now,
            actor="system",
            kind=GROUP_ALERT,
            changes={"building": [None, building], "calls": [None, calls], "recipients": [None, staff]},
        )
    )
    contacts = staff_contacts(session, staff)
    queue_group_alert(
        session, contacts, building, calls, hours, instance.case_number, alert_id, instance.id, policy, now
    )
    session.flush()
    return session.get(GroupAlert, alert_id)


def recent_group_alerts(session: Session, now: datetime) -> list[GroupAlert]:
    """The group alerts of the last day, newest first (the board)."""
    return list(
        session.scalars(
            select(GroupAlert)
            .where(GroupAlert.raised_at >= now - SHOWN_ON_BOARD)
            .order_by(GroupAlert.raised_at.desc(), GroupAlert.id.desc())
        )
    )
