"""The public outage notices on a 360-pixel phone (O1-O3): one card per outage with its latest estimate,
the area and the cause readable (never one character a line), nothing off the right edge, and the
earlier notices of an outage opened on demand; on a desktop, one table row per outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Notice
from engine.runtime import Runtime
from tests.browser.support import PHONE, Page, expect, shot
from tests.web.support import record_case

pytestmark = pytest.mark.browser

START = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
LONG_CAUSE = "一次网主干管道在金明路与银湖路交叉口爆裂,抢修人员已到场,正在关阀排水并更换破损管段。"


def _publish(sessions: sessionmaker[Session], case_id: int, number: str, estimates: list[int]) -> None:
    """The outage notice, republished once per new estimate (hours after the start)."""
    with sessions.begin() as session:
        for n, hours in enumerate(estimates):
            session.add(
                Notice(
                    instance_id=case_id,
                    case_number=number,
                    kind="outage",
                    service="heating",
                    outage_type="fault",
                    district="金明区银湖街道",
                    building="3号楼",
                    unit="1单元",
                    cause=LONG_CAUSE,
                    starts_at=START,
                    estimated_restore_at=START + timedelta(hours=hours),
                    restored_at=None,
                    published_at=START + timedelta(minutes=30 * n),
                )
            )


def _area_lines(page: Page) -> list[float]:
    """How many lines each outage's area takes (its cell's text height over its line height)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#notice-list td.area')).map(td => {
             const range = document.createRange(); range.selectNodeContents(td);
             const style = getComputedStyle(td);
             return range.getBoundingClientRect().height / parseFloat(style.lineHeight || 20);
           })"""
    )


def test_the_notices_are_one_card_per_outage_on_a_phone_o2(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    other, other_id = record_case(sessions, runtime)
    _publish(sessions, case_id, number, [6, 8, 10])  # two new estimates after the first notice
    _publish(sessions, other_id, other, [4])

    page.set_viewport_size(PHONE)
    page.goto("/notices")
    rows = page.locator("#notice-list tbody tr")
    expect(rows).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "the page scrolls sideways"
    )
    first = page.locator(f"#outage-{number}")
    expect(first.locator("td.estimate")).to_have_text("2026-11-23 18:30")  # the latest estimate only
    boxes = first.locator("td").evaluate_all("tds => tds.map(td => td.getBoundingClientRect().right)")
    assert max(boxes) <= PHONE["width"], f"a value runs off the right edge: {boxes}"
    assert max(_area_lines(page)) <= 2.2, "the area wraps one character a line"
    history = first.locator("details.notice-history")
    expect(history.locator("li").first).to_be_hidden()
    shot(page, "notices-phone-01-cards")

    history.locator("summary").click()
    expect(history.locator("li")).to_have_count(3)
    expect(history.locator("li").first).to_contain_text("2026-11-23 18:30")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    history.scroll_into_view_if_needed()
    shot(page, "notices-phone-02-history-opened")

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/notices")
    expect(rows).to_have_count(2)
    assert max(_area_lines(page)) <= 1.2, "on a desktop the area stays on one line"
    shot(page, "notices-desktop-01-table")
