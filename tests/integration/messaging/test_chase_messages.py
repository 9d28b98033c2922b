"""C4 督办 live: a chase reaches the department's supervisors by SMS or e-mail as each chose on their
account page (or SMS where they have a phone), as well as in the app; "none" keeps it in the app."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.effects import chase_overdue
from engine.db import OutboxMessage, User, UserRole
from engine.messaging import (
    SmtpGateway,
    SmtpSettings,
    queue_group_alert,
    queue_urgent_reports,
    send_due_messages,
    staff_contacts,
)
from engine.runtime import MessagingPolicy, Runtime
from engine.unit_of_work import UnitOfWork
from hotline.message_languages import message_languages
from tests.integration.messaging.test_smtp import smtp_server

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _supervisor(username: str, phone: str, email: str, choice: str) -> User:
    return User(
        username=username,
        display_name=username,
        password_hash="!",
        created_at=NOW,
        phone=phone,
        email=email,
        message_channel=choice,
        roles=[UserRole(role="supervisor"), UserRole(role="repair")],
    )


def test_chases_go_out_by_each_supervisors_own_choice_c4(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:
        session.add_all(
            [
                _supervisor("a_sms", "13700000001", "a@example.test", ""),
                _supervisor("b_mail", "13700000002", "b@example.test", "email"),
                _supervisor("c_none", "13700000003", "c@example.test", "none"),
                _supervisor("d_nothing", "", "", ""),
            ]
        )
    with sessions.begin() as session:
        told = chase_overdue(
            session, None, "WX-1", "fix", "维修", ["repair"], NOW, NOW, ZoneInfo("Asia/Shanghai"), "Repair"
        )
        sent = session.execute(
            select(
                OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.text
            ).order_by(OutboxMessage.recipient)
        ).all()
    assert told == ["a_sms", "b_mail", "c_none", "d_nothing"]
    assert [(k, c, r) for k, c, r, _t in sent] == [
        ("chase", "sms", "13700000001"),
        ("chase", "email", "b@example.test"),
    ]
    assert "WX-1" in sent[0][3] and "2026-11-23 10:00" in sent[0][3]


def test_staff_messages_are_written_in_each_persons_language_c4_l2(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A chase, an urgent liaison report and a group alert reach a supervisor who chose English in
    English (the task's and the diagram's English wording too), one who kept Chinese in Chinese; checked
    in the mails an SMTP server on loopback received."""
    policy = MessagingPolicy(languages=message_languages())
    zone = ZoneInfo("Asia/Shanghai")
    with sessions.begin() as session:
        english = _supervisor("e_english", "", "e@example.test", "email")
        english.language = "en"
        session.add_all([english, _supervisor("z_chinese", "", "z@example.test", "email")])
    with sessions.begin() as session:
        chase_overdue(
            session, None, "WX-2", "fix", "维修", ["repair"], NOW, NOW, zone, "Repair", policy=policy
        )
        queue_urgent_reports(
            session,
            ["e_english", "z_chinese"],
            "LL-3",
            "主管道爆裂",
            "urgent",
            None,
            policy,
            NOW,
            "Main burst",
        )
        queue_group_alert(
            session,
            staff_contacts(session, ["e_english", "z_chinese"]),
            "幸福小区 3号楼",
            5,
            "2",
            "WX-4",
            7,
            None,
            policy,
            NOW,
        )
    runtime.clock.set(NOW)  # type: ignore[attr-defined]
    units = lambda: UnitOfWork(sessions, runtime)  # noqa: E731
    with smtp_server() as (handler, port):
        gateway = SmtpGateway(SmtpSettings("127.0.0.1", port, sender="hotline@heat.example", timeout=5))
        assert send_due_messages(units, {"email": gateway}, "worker-1").sent == 6
    said: dict[str, list[str]] = {}
    for mail in handler.messages:
        said.setdefault(str(mail["To"]), []).append(mail.get_body(("plain",)).get_content())
    english_text = "\n".join(said["e@example.test"])
    assert "Overdue: task “Repair” of case WX-2 was due 2026-11-23 10:00." in english_text
    assert "Urgent, case LL-3: Main burst" in english_text
    assert "WX-4" in english_text and "5 calls" in english_text
    chinese_text = "\n".join(said["z@example.test"])
    assert "维修" in chinese_text and "主管道爆裂" in chinese_text and "幸福小区 3号楼" in chinese_text
    assert "Overdue" not in chinese_text and "Urgent" not in chinese_text
