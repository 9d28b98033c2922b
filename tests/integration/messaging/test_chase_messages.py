"""C4 督办 live: a chase reaches the department's supervisors by SMS or e-mail as each chose on their
account page (or SMS where they have a phone), as well as in the app; "none" keeps it in the app."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.effects import chase_overdue
from engine.db import OutboxMessage, User, UserRole
from engine.runtime import Runtime

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
