"""Two people in two browsers claim the same task: one gets it, the other is told who was quicker."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import CHROMIUM, Page, expect, second_browser, shot, sign_in
from tests.web.support import record_case, task_of


def test_two_browsers_claim_one_task(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    assert CHROMIUM.exists()
    with second_browser(page, server) as other:
        sign_in(page, "ops_handler")
        sign_in(other, "ops_head")
        for p in (page, other):
            p.goto(f"/tasks/{task_id}")
            expect(p.locator("#claim")).to_be_visible()
        page.click("#claim")
        expect(page.locator("#claim-state")).to_have_text("由您认领。")
        other.click("#claim")  # the page was loaded before the first claim
        expect(other.locator("h1")).to_contain_text("409")
        expect(other.locator("p.message")).to_contain_text("已被 赵运行 认领")
        shot(other, "claims-01-second-claim-refused")
        other.goto(f"/tasks/{task_id}")
        expect(other.locator("#claim-state")).to_have_text("已由 赵运行 认领。")
        expect(other.locator("#complete")).to_be_disabled()


def test_the_tasklist_and_public_notices_switch_language(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The new pages speak both languages: tabs, filters and the public notice page."""
    record_case(sessions, runtime)
    sign_in(page, "ops_handler")
    expect(page.locator("#tab-todo")).to_contain_text("待办")
    expect(page.locator("#apply-filters")).to_have_text("筛选")
    page.click("#lang-switch")
    expect(page.locator("#tab-todo")).to_contain_text("To do")
    expect(page.locator("#tab-group")).to_contain_text("Unclaimed in my groups")
    expect(page.locator("#apply-filters")).to_have_text("Filter")
    expect(page.locator("#tasklist .countdown").first).to_contain_text("left")
    shot(page, "tasks-english")
    page.goto("/notices")
    expect(page.locator("h1")).to_have_text("Outage notices")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("停水停热公告")


def test_a_photo_is_attached_in_the_browser(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    sign_in(page, "ops_handler")
    page.goto(f"/tasks/{task_id}")
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
    page.set_input_files(
        "#upload-file", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": photo}]
    )
    page.click("#upload")
    expect(page.locator(".flash.success")).to_contain_text(number)
    expect(page.locator("#attachments a")).to_have_text("现场.png")
    page.set_input_files(
        "#upload-file", files=[{"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}]
    )
    page.click("#upload")
    expect(page.locator(".flash.error")).to_contain_text("只能上传照片")
    expect(page.locator("#attachments li")).to_have_count(1)
    shot(page, "task-with-attachment")
