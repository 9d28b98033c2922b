"""The department and liaison assessments and the hot spots on a 360-pixel phone: readable without
sideways scrolling of the page (wide tables scroll inside themselves), and a dispatcher's one tap from a
building to its maintenance order (冬病夏治): the order's number with a link, once per building and day."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.browser.support import PHONE, Page, expect, second_browser, shot, sign_in
from tests.report_fixtures import World, build_week

PAGES = (
    ("assessment-departments", "/assessment/departments?month=2026-11", "#assessment-table"),
    ("assessment-liaisons", "/assessment/liaisons?month=2026-11", "#assessment-definitions"),
    ("hot-spots", "/hotspots?from=2026-11-23&to=2026-11-29", "#hot-buildings"),
)


def test_the_assessments_and_hot_spots_fit_a_phone(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    build_week(World(sessions, runtime, clock))
    with second_browser(page, server, PHONE, phone=True) as phone:
        sign_in(phone, "supervisor")
        for name, url, shown in PAGES:
            phone.goto(url)
            expect(phone.locator(shown)).to_be_visible()
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
            shot(phone, f"{name}-phone")


def test_a_dispatcher_taps_a_building_to_order_maintenance(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    build_week(World(sessions, runtime, clock))
    with second_browser(page, server, PHONE, phone=True) as phone:
        sign_in(phone, "dispatcher")
        phone.click("#nav-hot-spots")
        phone.goto("/hotspots?from=2026-11-23&to=2026-11-29")
        phone.locator("button[data-order='金明区|3号楼']").click()
        expect(phone.locator(".flash.success")).to_contain_text("已为 金明区3号楼 开出维修工单 BX-")
        link = phone.locator("tr[data-row='金明区|3号楼'] a[data-order-case]")
        expect(link).to_contain_text("维修工单 BX-")
        expect(phone.locator("button[data-order='金明区|3号楼']")).to_have_count(0)  # no second order
        expect(phone.locator("button[data-order='金明区|5号楼']")).to_have_count(1)
        shot(phone, "hot-spots-maintenance-ordered")
        number = link.get_attribute("data-order-case")
        link.click()
        expect(phone.locator("h1")).to_contain_text(str(number))
        expect(phone.locator("main")).to_contain_text("冬病夏治")
        expect(phone.locator("main")).to_contain_text("金明区3号楼")
