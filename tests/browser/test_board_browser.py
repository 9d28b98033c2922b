"""The overdue board refreshes itself in place: a reply that falls overdue while the board is open
turns red without a reload, and the chosen department and the scroll position stay (C4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

import webforms.supervision.board
from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.browser.support import Page, expect, shot, sign_in
from tests.web.support import record_case

pytestmark = pytest.mark.browser


def test_the_board_refreshes_in_place_c4(
    page: Page,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webforms.supervision.board, "REFRESH_SECONDS", 1)
    numbers = [record_case(sessions, runtime, department="operations")[0] for _ in range(6)]
    record_case(sessions, runtime, category="leak", department="repair")
    clock.advance(timedelta(hours=14, minutes=30))  # 23:30: the replies are due within the half hour
    sign_in(page, "supervisor")
    page.set_viewport_size({"width": 1000, "height": 420})
    page.goto("/board")
    page.select_option("#board-group", "operations")
    page.click("#board-apply")
    rows = page.locator("#board-live tr.board-item")
    expect(rows).to_have_count(6)
    expect(rows.first).to_have_class("board-item due-soon")
    address = page.url
    page.evaluate("window.scrollTo(0, 200); window.notReloaded = true")
    assert page.evaluate("window.scrollY") == 200

    clock.advance(timedelta(hours=1))  # 00:30: overdue by 30 minutes
    expect(rows.first).to_have_class("board-item overdue", timeout=10_000)
    expect(rows.first).to_contain_text("已超时 30 分钟")
    assert page.url == address and "group=operations" in address
    assert page.locator("#board-group").input_value() == "operations"
    assert page.evaluate("window.scrollY") == 200
    assert page.evaluate("window.notReloaded") is True  # refreshed in place, not reloaded
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.case)")) == sorted(numbers)
    shot(page, "overdue-board")
