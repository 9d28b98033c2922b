"""The department and liaison assessments and the hot spots on a 360-pixel phone: readable without
sideways scrolling of the page (wide tables scroll inside themselves), and a dispatcher's tap from a
building to the repair intake with the building filled in (冬病夏治)."""

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
        expect(phone.locator("#f-address")).to_have_value("金明区3号楼")
        expect(phone.locator("#f-description")).to_contain_text("冬病夏治")
        shot(phone, "hot-spots-maintenance-intake")
