"""/track on a 360-pixel phone (issue 19): a caller types the case number and the last four digits of
their phone, sees the steps passed and the next one, nothing off the right edge; switches to English."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import PHONE, Page, expect, shot
from tests.web.support import record_case

pytestmark = pytest.mark.browser


def test_a_caller_follows_their_case_on_a_phone(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _ = record_case(sessions, runtime, customer_phone="13800001111")
    page.set_viewport_size(PHONE)
    page.goto("/notices")
    page.locator("#track-link a").click()
    page.fill("#track-case", number)
    page.fill("#track-digits", "2222")
    page.click("#track-submit")
    expect(page.locator("#track-not-found")).to_be_visible()
    shot(page, "track-phone-01-not-found")

    page.fill("#track-case", number)
    page.fill("#track-digits", "1111")
    page.click("#track-submit")
    expect(page.locator("#track-number")).to_have_text(number)
    expect(page.locator("#track-passed li")).to_have_count(1)
    expect(page.locator("#track-next li")).to_contain_text("承诺于")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "the page scrolls sideways"
    )
    shot(page, "track-phone-02-found")

    page.goto("/track")
    page.click("#lang-switch")
    expect(page.locator("#track-submit")).to_have_text("Look up")
    page.fill("#track-case", number)
    page.fill("#track-digits", "1111")
    page.click("#track-submit")
    expect(page.locator("#track-procedure")).to_have_text("Complaint")
    expect(page.locator("#track-next li")).to_contain_text("promised by")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "track-phone-03-english")
