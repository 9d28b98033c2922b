"""A day's work in the browser, each person in their own browser at the same time: a complaint that needs
a site visit (intake → site order → department → callback → close) and a repair taken as a complaint and
switched to a repair on the intake page (intake → dispatch → on site on a phone → callback)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.clock import SettableClock
from tests.browser.support import (
    PHONE,
    Page,
    complete,
    do_task,
    expect,
    fill_form,
    open_task,
    second_browser,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser


def test_a_complaint_with_a_site_visit_in_two_browsers_c2_c5(
    page: Page, server: str, clock: SettableClock
) -> None:
    """C1 intake with a site visit; C2 the operator issues the site order; C3 the repair department's
    handler, in their own browser, claims and answers; C5 not satisfied goes back to that department, then
    satisfied; C6 summary and close."""
    sign_in(page, "operator")
    page.goto("/cases/new/complaint")
    fill_form(
        page,
        {
            "customer_name": "陈静",
            "customer_phone": "13900000002",
            "address": "金明区3号楼1单元202",
            "occurred_at": "2026-11-23",
            "description": "楼道暖气管漏水,地面积水。",
            "category": "facility",
            "department": "repair",
            "needs_site_visit": True,
            "apologised": True,
        },
    )
    shot(page, "day-complaint-01-intake")
    page.click("#record")
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"TS-20261123-\d{4}", number)

    clock.advance(timedelta(minutes=2))  # C2: within the three minutes
    do_task(
        page,
        "dispatch_site_order",
        number,
        {"site_order_note": "楼道暖气管漏水,请维修部上门", "visit_window": "今天10点前"},
    )
    with second_browser(page, server) as handler:
        sign_in(handler, "repair_handler")
        open_task(handler, "department_handling", number)
        # M6: the investigating department may call and visit (customer_contact); C7: not who complained
        expect(handler.locator("dd[data-field='customer_phone']")).to_have_text("13900000002")
        expect(handler.locator("dd[data-field='customer_name']")).not_to_have_text("陈静")
        handler.click("#claim")
        expect(handler.locator("#claim-state")).to_have_text("由您认领。")
        fill_form(
            handler,
            {"investigation": "暖气管接头老化漏水", "outcome": "resolved", "result": "已上门更换接头"},
        )
        shot(handler, "day-complaint-02-department")
        complete(handler, number)

        clock.advance(timedelta(minutes=40))
        do_task(
            page,
            "callback",
            number,
            {"customer_informed": True, "satisfied": "no", "callback_note": "仍然漏水"},
        )
        handler.goto("/tasks")
        expect(handler.locator("#tasklist tr", has_text=number)).to_contain_text("调查处理并答复")
        do_task(
            handler,
            "department_handling",
            number,
            {"investigation": "复查发现阀门也漏水", "outcome": "resolved", "result": "已更换阀门"},
        )
    do_task(
        page, "callback", number, {"customer_informed": True, "satisfied": "yes", "callback_note": "客户满意"}
    )
    open_task(page, "summarise_and_close", number)
    fill_form(
        page,
        {"root_cause": "接头和阀门老化", "improvement": "入冬前巡检楼道管道", "close_reason": "resolved"},
    )
    complete(page, number)
    page.goto(f"/cases/{number}")
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("#history > li.kind-task_completed")).to_have_count(7)
    shot(page, "day-complaint-03-closed")


def test_a_repair_from_the_intake_page_in_three_browsers_r1_r5(
    page: Page, server: str, clock: SettableClock
) -> None:
    """M5 the caller found in the register; the call, begun as a complaint, switched to a repair on the
    same page with nothing lost; R1 the department from the category; R2 the dispatcher in their own
    browser; R3, R4 the worker on a phone; R5 the dispatcher's callback closes the case."""
    sign_in(page, "operator")
    page.goto("/cases/new/complaint")
    page.fill("#lookup", "13900000001")
    page.click("#find-caller")
    page.click("#choose-JM-0301-101")
    expect(page.locator("#f-customer_name")).to_have_value("刘洋")
    page.fill("#f-description", "厨房水管爆裂,水流不止。")
    shot(page, "day-repair-01-intake-as-complaint")
    page.click("#kind-repair")
    expect(page.locator("h1")).to_have_text("登记报修")
    for field, value in {
        "customer_name": "刘洋",
        "customer_phone": "13900000001",
        "address": "金明区3号楼1单元101",
        "description": "厨房水管爆裂,水流不止。",
    }.items():
        expect(page.locator(f"#f-{field}")).to_have_value(value)
    page.select_option("#f-category", "burst")
    expect(page.locator("#f-department")).to_have_value("")  # the routing table decides (route_by_category)
    shot(page, "day-repair-02-switched-to-repair")
    page.click("#record")
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"BX-20261123-\d{4}", number)

    with (
        second_browser(page, server) as dispatcher,
        second_browser(page, server, PHONE, phone=True) as worker,
    ):
        sign_in(dispatcher, "dispatcher")
        do_task(
            dispatcher,
            "dispatch",
            number,
            {"worker": "worker", "expected_arrival": "2026-11-23T09:25", "arrival_told": True},
        )
        sign_in(worker, "worker")
        clock.advance(timedelta(minutes=20))
        worker.click("#nav-field")
        worker.locator(f"li.job[data-case='{number}'] button").click()
        worker.locator(f"li.job[data-case='{number}'][data-element='onsite_report'] a.button").click()
        fill_form(
            worker,
            {
                "diagnosis": "立管接头爆裂",
                "work_done": "更换接头并试压",
                "steps_explained": True,
                "customer_signed": True,
                "signer_name": "刘洋",
                "outcome": "resolved",
            },
        )
        assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(worker, "day-repair-03-phone-report")
        complete(worker, number, returns_to="/field")

        dispatcher.goto("/tasks")
        do_task(dispatcher, "callback", number, {"satisfied": "yes", "callback_note": "客户满意"})
        dispatcher.goto(f"/cases/{number}")
        expect(dispatcher.locator("#case-status")).to_have_text("已办结")
        expect(dispatcher.locator("dd[data-field='arrived_at']")).to_have_text("2026-11-23 09:20")
        shot(dispatcher, "day-repair-04-closed")
