"""Carrying out the effects a diagram asks for (engine.bpmn.effects): in-app notifications (`notify`)
and public outage notices with their affected customers (`publishNotice`). See docs/modelling.md.

The unit of work that completes the element carries them out in its transaction: a rolled-back step
notifies nobody and publishes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.bpmn import Effect, parse_local_datetime
from engine.db import Customer, Notice, NoticeRecipient, Notification, User, UserRole, write
from engine.messaging import (
    STAFF_CONTACT_COLUMNS,
    OutageFacts,
    StaffContact,
    queue_chases,
    queue_consultation_reply,
    queue_notice_messages,
    queue_urgent_reports,
    reply_address,
)
from engine.people import is_confidential, without_identity
from engine.runtime import MessagingPolicy

# Built once: held writes (engine.db.held_writes) are batched by their statement.
_INSERT_NOTIFICATIONS = insert(Notification)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}([。．.!！?？]?)")
_SENTENCE_ENDS = ("。", "．", ".", "!", "！", "?", "？")
DEPARTMENT_HEAD = "department_head"


def fill_placeholders(template: str, data: Mapping[str, Any]) -> str:
    """'{address}' -> the case's address, an empty value -> nothing; names the case does not have stay
    as written, so a typo shows. No attribute access or formatting: only plain names. A value that ends
    its own sentence (what someone typed, "…的危险。") takes the place of the full stop after it."""

    def value(match: re.Match[str]) -> str:
        name, stop = match.group(1), match.group(2)
        if name not in data:
            return match.group(0)
        text = "" if data[name] is None else str(data[name])
        if stop and text.rstrip().endswith(_SENTENCE_ENDS):
            return text.rstrip()
        return text + stop

    return _PLACEHOLDER.sub(value, template)


def _users_with_roles(session: Session, *roles: str) -> list[str]:
    query = select(User.username).where(User.active.is_(True))
    for role in roles:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    return list(session.scalars(query.order_by(User.username)))


def recipients_of(session: Session, effect: Effect, data: Mapping[str, Any], opened_by: str) -> list[str]:
    """Usernames to notify. A department without a head falls back to the supervisors: nobody is skipped."""
    found: list[str] = []
    for recipient in effect.notify:
        if recipient == "opener":
            if opened_by not in found:
                found.append(opened_by)
            continue
        kind, _sep, target = _VARIABLE.sub(lambda m: str(data.get(m.group(1)) or ""), recipient).partition(
            ":"
        )
        users = (
            _users_with_roles(session, target, DEPARTMENT_HEAD)
            if kind == "head"
            else _users_with_roles(session, target)
        )
        if kind == "head" and not users:
            users = _users_with_roles(session, "supervisor")
        found.extend(u for u in users if u not in found)
    return found


def send_notifications(
    session: Session,
    instance_id: int,
    effect: Effect,
    data: Mapping[str, Any],
    now: datetime,
    opened_by: str,
    case_number: str = "",
    policy: MessagingPolicy | None = None,
) -> list[str]:
    """The in-app notifications; an effect marked `notifyBySms` (L2's urgent report) also puts an SMS (or
    e-mail, as each prefers) to every recipient in the outbox."""
    recipients = recipients_of(session, effect, data, opened_by)
    if recipients and effect.by_sms:
        queue_urgent_reports(
            session,
            recipients,
            case_number,
            fill_placeholders(effect.message, data),
            effect.element_id,
            instance_id,
            policy or MessagingPolicy(),
            now,
            fill_placeholders(effect.message_en, data),
        )
    if recipients:
        said = without_identity(data) if is_confidential(data) else data  # C7: a message never names them
        message, message_en = (
            fill_placeholders(effect.message, said),
            fill_placeholders(effect.message_en, said),
        )
        session.execute(
            insert(Notification),
            [
                {
                    "recipient": r,
                    "instance_id": instance_id,
                    "element_id": effect.element_id,
                    "kind": "notify",
                    "message": message,
                    "message_en": message_en,
                    "created_at": now,
                    "read_at": None,
                }
                for r in recipients
            ],
        )
    return recipients


def _moment(value: Any, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        return parse_local_datetime(str(value), zone)
    except ValueError:
        return None


def affected_customers(session: Session, district: str, building: str = "", unit: str = "") -> list[Customer]:
    query = select(Customer).where(Customer.district == district)
    if building:
        query = query.where(Customer.building == building)
        if unit:
            query = query.where(Customer.unit == unit)
    return list(session.scalars(query.order_by(Customer.id)))


def _first_notice_id(session: Session, instance_id: int) -> int | None:
    found: int | None = session.scalar(
        select(Notice.id).where(Notice.instance_id == instance_id).order_by(Notice.id).limit(1)
    )
    return found


def _customers_of_notice(session: Session, notice_id: int) -> list[Customer]:
    return list(
        session.scalars(
            select(Customer)
            .join(NoticeRecipient, NoticeRecipient.customer_id == Customer.id)
            .where(NoticeRecipient.notice_id == notice_id)
            .order_by(Customer.id)
        )
    )


def publish_notice(
    session: Session,
    instance_id: int,
    case_number: str,
    kind: str,
    data: Mapping[str, Any],
    now: datetime,
    zone: ZoneInfo,
    policy: MessagingPolicy | None = None,
) -> tuple[Notice, int]:
    """O1-O3: the public notice, and every affected customer of the register as one of its recipients,
    each with an SMS (e-mail without a phone) in the outbox. A case's later notices (a new estimate, the
    restoration) go to the customers its first notice went to."""
    policy = policy or MessagingPolicy()
    district, building, unit = (str(data.get(k) or "").strip() for k in ("district", "building", "unit"))
    first = _first_notice_id(session, instance_id)
    notice = Notice(
        instance_id=instance_id,
        case_number=case_number,
        kind=kind,
        service=str(data.get("service") or ""),
        outage_type=str(data.get("outage_type") or ""),
        district=district,
        building=building,
        unit=unit,
        cause=str(data.get("cause") or ""),
        starts_at=_moment(data.get("starts_at"), zone),
        estimated_restore_at=_moment(data.get("estimated_restore_at"), zone),
        restored_at=_moment(data.get("restored_at"), zone) if kind == "restoration" else None,
        published_at=now,
    )
    session.add(notice)
    session.flush()
    if first is not None:
        customers = _customers_of_notice(session, first)
    else:
        customers = affected_customers(session, district, building, unit) if district else []
    if customers:
        ids = session.scalars(
            insert(NoticeRecipient).returning(NoticeRecipient.id, sort_by_parameter_order=True),
            [
                {
                    "notice_id": notice.id,
                    "customer_id": c.id,
                    "channel": "sms" if c.phone and not c.no_sms else "email",
                    "status": "pending",
                }
                for c in customers
            ],
        ).all()
        queue_notice_messages(
            session,
            "estimate" if kind == "outage" and first is not None else kind,
            OutageFacts.of_notice(notice),
            list(zip(ids, customers, strict=True)),
            notice.id,
            instance_id,
            policy,
            zone,
            now,
        )
    if kind == "outage" and first is None:
        _flag_late_announcement(session, notice, instance_id, case_number, policy, now, zone)
    return notice, len(customers)


def _flag_late_announcement(
    session: Session,
    notice: Notice,
    instance_id: int,
    case_number: str,
    policy: MessagingPolicy,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    """O1: a planned outage of `policy.long_outage` or more announced less than `announcement_lead`
    before it starts: the dispatchers are told, so the customers can be called as well."""
    starts, ends = notice.starts_at, notice.estimated_restore_at
    if notice.outage_type != "planned" or starts is None or ends is None:
        return
    if ends - starts < policy.long_outage or starts - now >= policy.announcement_lead:
        return
    hours = f"{policy.announcement_lead.total_seconds() / 3600:g}"
    local_start = starts.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    recipients = _users_with_roles(session, "dispatcher") or _users_with_roles(session, "supervisor")
    if recipients:
        session.execute(
            insert(Notification),
            [
                {
                    "recipient": r,
                    "instance_id": instance_id,
                    "element_id": None,
                    "kind": "late_notice",
                    "message": f"工单 {case_number}：计划停止{hours}小时前未能发出通知（开始时间 {local_start}），请电话通知受影响用户。",
                    "message_en": f"Case {case_number}: the planned outage starting {local_start} was announced less than {hours} h ahead; please phone the affected customers.",
                    "created_at": now,
                    "read_at": None,
                }
                for r in recipients
            ],
        )


def active_supervisors(session: Session) -> list[tuple[StaffContact, str]]:
    """Every active supervisor with each of their roles, as (contact, role), by username: what a chase
    (C4) chooses its recipients from, with how each is reached besides the app. Firings in one unit of
    work read it once between them."""
    rows = session.execute(
        select(*STAFF_CONTACT_COLUMNS, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.active.is_(True), User.id.in_(select(UserRole.user_id).where(UserRole.role == "supervisor"))
        )
        .order_by(User.username)
    ).all()
    return [
        (StaffContact(username, phone, email, channel, language), role)
        for username, phone, email, channel, language, role in rows
    ]


def chase_overdue(
    session: Session,
    instance_id: int,
    case_number: str,
    element_id: str,
    task_name: str,
    groups: list[str],
    due: datetime,
    now: datetime,
    zone: ZoneInfo,
    task_name_en: str = "",
    supervisors: Sequence[tuple[StaffContact, str]] | None = None,
    policy: MessagingPolicy | None = None,
) -> list[str]:
    """C4 督办: a task's deadline passed (the English message names the task by task_name_en, if given).
    The supervisors of its department (supervisors who also hold one of the task's groups) are told;
    where a department has none, every supervisor is. `supervisors`: `active_supervisors` as the
    caller read it in this transaction (None: read it here). Each is also chased by SMS or e-mail as
    they prefer (engine.messaging.staff_channel)."""
    if supervisors is None:
        supervisors = active_supervisors(session)
    of_department = [c for c, role in supervisors if role in groups]
    chased = list({c.username: c for c in of_department or [c for c, _role in supervisors]}.values())
    recipients = [c.username for c in chased]
    if recipients:
        local_due = due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        write(
            session,
            _INSERT_NOTIFICATIONS,
            [
                {
                    "recipient": r,
                    "instance_id": instance_id,
                    "element_id": element_id,
                    "kind": "chase",
                    "message": f"督办：工单 {case_number}「{task_name}」已超过时限（{local_due}），请督促办理。",
                    "message_en": f"Overdue: task “{task_name_en or task_name}” of case {case_number} was due {local_due}.",
                    "created_at": now,
                    "read_at": None,
                }
                for r in recipients
            ],
        )
        queue_chases(
            session,
            chased,
            case_number,
            task_name,
            element_id,
            due,
            instance_id,
            policy or MessagingPolicy(),
            zone,
            now,
            task_name_en,
        )
    return recipients


def send_reply(
    session: Session,
    instance_id: int,
    case_number: str,
    effect: Effect,
    data: Mapping[str, Any],
    now: datetime,
    zone: ZoneInfo,
    policy: MessagingPolicy | None = None,
) -> dict[str, Any] | None:
    """Q1: the reply step's answer to the customer by SMS or e-mail, as its form says (`sendReply`).
    Returns the history event's facts (what was sent, or why nothing was), None for a reply by phone."""
    if effect.send_reply is None:
        return None
    channel_field, contact_field, text_field = effect.send_reply
    channel = str(data.get(channel_field) or "")
    if channel not in ("sms", "email"):
        return None
    contact, answer = str(data.get(contact_field) or ""), str(data.get(text_field) or "")
    address = reply_address(channel, contact)
    if address is None or not answer.strip():
        return {"channel": channel, "sent": False}
    customer = session.scalars(select(Customer).where(Customer.phone == address).limit(1)).first()
    language = (customer.language if customer is not None else "") or "zh_CN"
    words = queue_consultation_reply(
        session,
        channel,
        address,
        answer,
        case_number,
        effect.element_id,
        instance_id,
        policy or MessagingPolicy(),
        zone,
        now,
        language,
    )
    return {"channel": channel, "sent": True, "text": words.text}
