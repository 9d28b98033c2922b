"""A handler pauses a task's clock for an appointment in the browser, sees it paused on the tasklist and
the task page, and resumes it by hand the next day: the deadline has moved by the working time paused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from engine.cases.deadline_steps import fire_due_steps
from engine.clock import SettableClock
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.browser.support import Page, expect, shot, sign_in
from tests.browser.test_small_things_browser import BUTTON_LOOK
from tests.web.support import record_case, task_of


def test_pausing_and_resuming_a_task_in_the_browser_c3(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    _number, case_id = record_case(sessions, runtime, department="operations")
    task_id = task_of(sessions, case_id, "department_handling")
    clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # 10:00
    sign_in(page, "ops_handler")
    page.goto(f"/tasks/{task_id}")
    page.click("#pause-panel summary")
    page.select_option("#pause-reason", "appointment")
    page.click("#pause")  # without the agreed date
    expect(page.locator("#err-pause-resume-at")).to_be_visible()
    page.select_option("#pause-reason", "appointment")
    page.fill("#pause-note-input", "客户约周二下午")
    page.fill("#pause-resume-at", "2026-11-24T14:00")
    page.click("#pause")
    expect(page.locator("#paused-state")).to_contain_text("已与客户约定日期")
    expect(page.locator("#paused-until")).to_contain_text("2026-11-24 14:00")
    expect(page.locator("#complete")).to_be_visible()
    shot(page, "pause-01-paused")
    page.goto("/tasks")
    expect(page.locator("#tasklist .paused")).to_contain_text("挂起至 2026-11-24 14:00")

    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # Tuesday 10:00: nine working hours later
    page.goto(f"/tasks/{task_id}")
    page.click("#resume")
    expect(page.locator(".flash.success")).to_contain_text("2026-11-24 17:30")
    expect(page.locator("#task-due")).to_contain_text("2026-11-24 17:30")
    expect(page.locator("#deadline-moved")).to_contain_text("2026-11-23 23:59")
    expect(page.locator("#paused-state")).to_have_count(0)
    shot(page, "pause-02-resumed")


def test_the_chase_notice_prints_from_its_button_c4(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """The Print button works under the page's security policy (an inline onclick was refused by it,
    so the button did nothing); the fixture fails the test on any refusal."""
    clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    number, _case_id = record_case(sessions, runtime, department="operations")
    clock.set(datetime(2026, 11, 24, 4, 31, tzinfo=UTC))  # both chases are due
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) == 4
    runtime.workflows.clear()
    page.add_init_script("window.print = function () { window.printed = (window.printed || 0) + 1; };")
    sign_in(page, "supervisor")
    page.goto(f"/cases/{number}")
    page.locator("#chases a").last.click()
    expect(page.locator("#chase-notice")).to_contain_text("催办通知书")
    assert page.evaluate(BUTTON_LOOK, "print-notice") == ["rgb(255, 255, 255)", "6px", "solid", "14px"]
    page.click("#print-notice")
    assert page.evaluate("window.printed") == 1
