"""An administrator's wording of a message kind: versions with who and when, refusals, a stale save
(409), the way back to the shipped text, and the composers using the wording in force."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.effects import chase_overdue
from engine.db import OutboxMessage, User, UserRole
from engine.errors import Conflict, NotFound
from engine.messaging import TemplateInvalid, reset_wording, save_wording, template_versions, wordings
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _save(
    sessions: sessionmaker[Session], runtime: Runtime, text: str, based_on: int, kind: str = "chase"
) -> int:
    with UnitOfWork(sessions, runtime) as uow:
        version = save_wording(uow, kind, "zh_CN", "催办 {case}", text, based_on, "admin")
        uow.commit()
    return version


def test_versions_are_kept_with_who_and_when_and_a_stale_save_is_a_conflict(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    assert _save(sessions, runtime, "第一版 {case}", 0) == 1
    assert _save(sessions, runtime, "第二版 {case} {task}", 1) == 2
    with pytest.raises(Conflict) as stale:
        _save(sessions, runtime, "迟到的一版 {case}", 1)
    assert stale.value.reason == "template_changed"
    with sessions() as session:
        versions = template_versions(session, "chase", "zh_CN")
        assert [(v.version, v.text, v.saved_by) for v in versions] == [
            (2, "第二版 {case} {task}", "admin"),
            (1, "第一版 {case}", "admin"),
        ]
        assert versions[0].saved_at == runtime.clock.now()
        assert wordings(session, "chase")["zh_CN"].text == "第二版 {case} {task}"
        assert "en" not in wordings(session, "chase")


def test_unknown_variables_and_unbalanced_braces_are_refused_and_nothing_is_kept(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with pytest.raises(TemplateInvalid) as refused:
        _save(sessions, runtime, "催办 {case} {customer_phone", 0)
    assert [p.code for p in refused.value.problems["text"]] == ["unbalanced"]
    with pytest.raises(TemplateInvalid) as refused:
        _save(sessions, runtime, "催办 {customer_phone}", 0)
    assert [p.code for p in refused.value.problems["text"]] == ["unknown"]
    with pytest.raises(NotFound):
        _save(sessions, runtime, "x", 0, kind="no_such_kind")
    with sessions() as session:
        assert template_versions(session, "chase", "zh_CN") == []


def test_a_chase_uses_the_wording_in_force_then_the_shipped_text_after_a_reset_c4(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:
        session.add(
            User(
                username="sup",
                display_name="sup",
                password_hash="!",
                created_at=NOW,
                phone="13700000001",
                roles=[UserRole(role="supervisor"), UserRole(role="repair")],
            )
        )
    _save(sessions, runtime, "【热线】请督办 {case}：{task}，应于 {due} 完成", 0)
    zone = ZoneInfo("Asia/Shanghai")
    with sessions.begin() as session:
        chase_overdue(session, None, "WX-1", "fix", "维修", ["repair"], NOW, NOW, zone, "Repair")
    with UnitOfWork(sessions, runtime) as uow:
        assert reset_wording(uow, "chase", "zh_CN", 1, "admin") == 2
        uow.commit()
    with sessions.begin() as session:
        chase_overdue(session, None, "WX-2", "fix", "维修", ["repair"], LATER, LATER, zone, "Repair")
        texts = session.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id)).all()
        assert wordings(session, "chase") == {}
    assert texts[0] == "【热线】请督办 WX-1：维修，应于 2026-11-23 10:00 完成"
    assert "WX-2" in texts[1] and "请督办" not in texts[1]  # the shipped text again
