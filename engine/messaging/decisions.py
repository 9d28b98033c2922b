"""Who gets which message, decided in the step's transaction: customers of an outage notice (O1/O2),
a department head's urgent report (L2), supervisors' chases (C4). Each writes outbox rows only."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Customer, User
from engine.messaging.outbox import NewMessage, queue_messages
from engine.messaging.quiet_hours import customer_sms_not_before
from engine.messaging.templates import wordings
from engine.messaging.texts import (
    Composed,
    OutageFacts,
    compose_chase,
    compose_group_alert,
    compose_outage,
    compose_urgent_report,
)
from engine.messaging.texts.kinds import LANGUAGES, compose_kind
from engine.runtime import DEFAULT_LANGUAGE, MessagingPolicy


def customer_channel(customer: Customer) -> tuple[str, str] | None:
    """(channel, address): SMS to a phone unless the customer said no SMS, else e-mail; None: neither."""
    if customer.phone and not customer.no_sms:
        return "sms", customer.phone
    if customer.email:
        return "email", customer.email
    return None


def queue_notice_messages(
    session: Session,
    kind: str,
    facts: OutageFacts,
    recipients: Sequence[tuple[int, Customer]],
    notice_id: int,
    instance_id: int,
    policy: MessagingPolicy,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """O1/O2: one message per customer (`recipients`: their notice_recipient ids), in their language.
    `kind`: outage, estimate or restoration."""
    composed: dict[str, Composed] = {}
    not_before = customer_sms_not_before(kind, now, zone, policy.quiet_from, policy.quiet_until)
    words_in = wordings(session, kind)
    messages = []
    for recipient_id, customer in recipients:
        way = customer_channel(customer)
        if way is None:
            continue
        language = customer.language or DEFAULT_LANGUAGE
        if language not in composed:
            composed[language] = compose_outage(
                kind, facts, policy.translate(language), zone, words_in.get(language)
            )
        words = composed[language]
        channel, address = way
        messages.append(
            NewMessage(
                channel=channel,
                recipient=address,
                kind=kind,
                text=words.text,
                subject=words.subject,
                template_params=words.template_params,
                language=language,
                idempotency_key=f"notice:{notice_id}:{customer.id}",
                instance_id=instance_id,
                notice_recipient_id=recipient_id,
                not_before=not_before if channel == "sms" else None,
            )
        )
    return queue_messages(session, messages, now)


class StaffContact(NamedTuple):
    """How a member of staff is reached besides the app (columns of their account)."""

    username: str
    phone: str
    email: str
    message_channel: str
    language: str = DEFAULT_LANGUAGE  # what the messages are written in (zh_CN or en)


# The columns of an account a StaffContact is made of, in its order.
STAFF_CONTACT_COLUMNS = (User.username, User.phone, User.email, User.message_channel, User.language)


def staff_contacts(session: Session, usernames: Sequence[str]) -> list[StaffContact]:
    if not usernames:
        return []
    rows = session.execute(
        select(*STAFF_CONTACT_COLUMNS).where(User.username.in_(list(usernames))).order_by(User.username)
    ).all()
    return [StaffContact(*row) for row in rows]


def staff_channel(user: StaffContact) -> tuple[str, str] | None:
    """How a member of staff wants urgent things besides the app: their own choice, else SMS if they
    have a phone, else e-mail; None: the app only."""
    choice = user.message_channel
    if choice == "none":
        return None
    if choice in ("", "sms") and user.phone:
        return "sms", user.phone
    if choice in ("", "email") and user.email:
        return "email", user.email
    if choice == "email" and user.phone:
        return "sms", user.phone
    return None


def _queue_staff(
    session: Session,
    kind: str,
    users: Sequence[StaffContact],
    compose: Callable[[str], Composed],
    key: str,
    instance_id: int,
    now: datetime,
) -> int:
    """One message per person reached besides the app, each in their own language (`compose`: the
    message in a language; called once per language)."""
    messages = []
    composed: dict[str, Composed] = {}
    for user in users:
        way = staff_channel(user)
        if way is not None:
            language = user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE
            if language not in composed:
                composed[language] = compose(language)
            words = composed[language]
            messages.append(
                NewMessage(
                    channel=way[0],
                    recipient=way[1],
                    kind=kind,
                    text=words.text,
                    subject=words.subject,
                    template_params=words.template_params,
                    language=language,
                    idempotency_key=f"{key}:{user.username}",
                    instance_id=instance_id,
                )
            )
    return queue_messages(session, messages, now)


def queue_urgent_reports(
    session: Session,
    usernames: Sequence[str],
    case_number: str,
    message: str,
    element_id: str,
    instance_id: int,
    policy: MessagingPolicy,
    now: datetime,
    message_en: str = "",
) -> int:
    """L2: the department heads told in the app get the urgent report by SMS (or e-mail) too, each in
    their language (`message_en`: the diagram's English notification text, if it has one)."""
    words_in = wordings(session, "liaison")

    def compose(language: str) -> Composed:
        said = message_en if language == "en" and message_en else message
        return compose_urgent_report(case_number, said, policy.translate(language), words_in.get(language))

    key = f"liaison:{instance_id}:{element_id}:{now.timestamp():.6f}"
    return _queue_staff(
        session, "liaison", staff_contacts(session, usernames), compose, key, instance_id, now
    )


def queue_chases(
    session: Session,
    contacts: Sequence[StaffContact],
    case_number: str,
    task_name: str,
    element_id: str,
    due: datetime,
    instance_id: int,
    policy: MessagingPolicy,
    zone: ZoneInfo,
    now: datetime,
    task_name_en: str = "",
) -> int:
    """C4: the supervisors chased in the app get the chase by SMS or e-mail, as each prefers, in their
    language (`task_name_en`: the task's English name, if it has one)."""
    local_due = due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    words_in = wordings(session, "chase")

    def compose(language: str) -> Composed:
        task = task_name_en if language == "en" and task_name_en else task_name
        return compose_chase(case_number, task, local_due, policy.translate(language), words_in.get(language))

    key = f"chase:{instance_id}:{element_id}:{due.timestamp():.0f}"
    return _queue_staff(session, "chase", contacts, compose, key, instance_id, now)


def queue_group_alert(
    session: Session,
    contacts: Sequence[StaffContact],
    building: str,
    calls: int,
    hours: str,
    case_number: str,
    alert_id: int,
    instance_id: int,
    policy: MessagingPolicy,
    now: datetime,
) -> int:
    """群体性诉求: the staff told in the app get the group alert by SMS or e-mail too, as each prefers."""

    def compose(language: str) -> Composed:
        return compose_group_alert(building, calls, hours, case_number, policy.translate(language))

    key = f"group_alert:{alert_id}"
    return _queue_staff(session, "group_alert", contacts, compose, key, instance_id, now)


_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def reply_address(channel: str, contact: str) -> str | None:
    """Q1: where a reply by `channel` goes; None if the contact cannot take it (a phone number for an
    e-mail) or the channel is not one the outbox sends (a phone call)."""
    contact = contact.strip()
    if channel == "sms" and _PHONE.match(contact):
        return contact.replace(" ", "").replace("-", "")
    if channel == "email" and _EMAIL.match(contact):
        return contact
    return None


def queue_consultation_reply(
    session: Session,
    channel: str,
    address: str,
    answer: str,
    case_number: str,
    element_id: str,
    instance_id: int,
    policy: MessagingPolicy,
    zone: ZoneInfo,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> Composed:
    """Q1: the consultation's answer to the customer by SMS or e-mail (`reply_address` first); quiet
    hours hold an SMS back. Returns what the message says, for the case's history."""
    wording = wordings(session, "consultation_reply").get(language)
    words = compose_kind(
        "consultation_reply", {"case": case_number, "answer": answer}, policy.translate(language), wording
    )
    not_before = customer_sms_not_before(
        "consultation_reply", now, zone, policy.quiet_from, policy.quiet_until
    )
    queue_messages(
        session,
        [
            NewMessage(
                channel=channel,
                recipient=address,
                kind="consultation_reply",
                text=words.text,
                subject=words.subject,
                template_params=(case_number, answer[:60]),
                language=language,
                idempotency_key=f"reply:{instance_id}:{element_id}:{now.timestamp():.6f}",
                instance_id=instance_id,
                not_before=not_before if channel == "sms" else None,
            )
        ],
        now,
    )
    return words
