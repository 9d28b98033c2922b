"""The repair worker's page on a 360-pixel-wide phone (R3): readable without sideways scrolling, one tap
records the arrival."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Engine

from ..web.test_field import dispatched_repair
from .support import Page, expect, shot, sign_in

PHONE = {"width": 360, "height": 740}


def test_the_field_page_on_a_phone_r3(page: Page, server: str, sessions: sessionmaker[Session], runtime: Engine) -> None:
    """R3: the worker sees the job, the address and the time left, and records the arrival with one tap."""
    number, _case_id = dispatched_repair(sessions, runtime)
    phone_context = page.context.browser.new_context(viewport=PHONE, locale="zh-CN", base_url=server,  # type: ignore[union-attr]
                                                     is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    try:
        sign_in(phone, "worker")
        phone.click("#nav-field")
        job = phone.locator(f"li.job[data-case='{number}']")
        expect(job).to_contain_text("金明区5号楼2单元602")
        expect(job).to_contain_text("剩余 30 分钟")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "field-01-phone-jobs")
        job.locator("button").click()
        expect(phone.locator(".flash.success")).to_contain_text(number)
        expect(phone.locator(f"li.job[data-case='{number}'][data-element='onsite_report']")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "field-02-phone-after-arrival")
    finally:
        phone_context.close()
