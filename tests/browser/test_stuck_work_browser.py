"""Work that would get stuck, in the browser: a task routed to a department nobody belongs to shows its
buttons greyed out and is handed to a group with people (C4), and the dispatcher picks a worker from
the list, is told when a promise passes the on-site limit (R2, R3), and the worker's job card shows
the promise and the note."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import (
    Page,
    complete,
    expect,
    fill_form,
    open_task,
    second_browser,
    shot,
    sign_in,
    start_case,
)
from tests.web.support import record_case, task_of


def test_a_supervisor_hands_on_work_nobody_could_do(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime, category="conduct", department="customer_service")
    task_id = task_of(sessions, case_id, "department_handling")
    sign_in(page, "supervisor")
    page.goto(f"/tasks/{task_id}")
    button = page.locator("#complete")
    expect(button).to_be_disabled()
    # a disabled button looks it: grey, not the blue of one that can be pressed
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(213, 218, 224)"
    assert button.evaluate("b => getComputedStyle(b).cursor") == "not-allowed"
    expect(page.locator("#nobody-in-groups")).to_be_visible()
    page.locator("#reassign-to").select_option("group:operations")
    page.fill("#handover-reason", "客服中心暂无人员")
    shot(page, "stuck-01-handover")
    page.click("#reassign")
    expect(page.locator("#claim-state")).to_have_text("尚未认领。")
    page.goto(f"/cases/{number}")
    expect(page.locator("#history li.kind-task_reassigned").last).to_contain_text("客服中心暂无人员")


def test_the_dispatcher_picks_a_worker_and_the_job_card_shows_the_promise(page: Page, server: str) -> None:
    sign_in(page, "dispatcher")
    number = start_case(
        page,
        "repair",
        {
            "customer_name": "马强",
            "customer_phone": "13912345678",
            "address": "金明区5号楼2单元602",
            "category": "burst",
            "description": "厨房水管爆裂",
        },
    )
    open_task(page, "dispatch", number)
    expect(page.locator("#onsite-limit")).to_contain_text("09:30")
    options = page.locator("#f-worker option")
    expect(options.nth(1)).to_contain_text("吴师傅")
    expect(options.nth(1)).to_contain_text("未完成：0")
    fill_form(
        page,
        {
            "worker": "worker",
            "expected_arrival": "2026-11-23T10:30",
            "arrival_told": True,
            "dispatch_note": "带管钳",
        },
    )
    page.click("#complete")
    expect(page.locator("#err-expected_arrival")).to_contain_text("09:30")
    shot(page, "stuck-02-late-promise")
    fill_form(page, {"late_arrival_reason": "客户上午不在家"})
    complete(page, number)
    with second_browser(page, server, phone=True) as worker:
        sign_in(worker, "worker")
        worker.goto("/field")
        job = worker.locator(f"li.job[data-case='{number}']")
        expect(job).to_contain_text("带管钳")
        expect(job).to_contain_text("10:30")
        shot(worker, "stuck-03-job-card")
