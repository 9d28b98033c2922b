"""Lead and assisting departments in a real browser (主办/协办, issue 20 item 2; C2, C3): the operator
ticks two assisting departments at intake; the lead department has the case at once and its form says
which part is still awaited; each department's handler finds its own part in the tasklist and answers;
the lead department's form shows both answers read-only before it replies for all; the case page lists
each part, on time or late."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import SettableClock
from tests.browser.support import (
    SCREENSHOTS,
    Page,
    complete,
    do_task,
    expect,
    open_task,
    shot,
    sign_in,
    sign_out,
    start_case,
)

pytestmark = pytest.mark.browser

BILLING_ANSWER = "该户水费已结清,无欠费停供。"
TECHNICAL_ANSWER = "管网压力正常,建议检查户内阀门。"


def test_co_handling_through_the_browser_c2_c3(page: Page, clock: SettableClock) -> None:
    sign_in(page, "operator")
    number = start_case(
        page,
        "complaint",
        {
            "customer_name": "张伟",
            "customer_phone": "13800001111",
            "address": "金明小区3号楼2单元501",
            "occurred_at": "2026-11-22",
            "description": "家里暖气不热,且对水费有疑问。",
            "category": "temperature",
            "department": "operations",
            "assisting_departments-billing": True,
            "assisting_departments-technical": True,
            "apologised": True,
        },
    )
    sign_out(page)

    sign_in(page, "billing_handler")
    open_task(page, "assist", number)
    shot(page, "assisting-01-part")
    page.fill("#f-assist_opinion", BILLING_ANSWER)
    complete(page, number)
    sign_out(page)

    # The lead department has the case from the start: its form says which part is still awaited.
    sign_in(page, "ops_handler")
    open_task(page, "department_handling", number)
    expect(page.locator("#parts-awaited-assist")).to_contain_text("1/2")
    expect(page.locator("#parts-awaited-assist")).to_contain_text("技术")
    shot(page, "assisting-02-lead-awaits")
    sign_out(page)

    clock.advance(timedelta(hours=3))  # past the assisting part's 2 hours
    sign_in(page, "tech_handler")
    do_task(page, "assist", number, {"assist_opinion": TECHNICAL_ANSWER})
    sign_out(page)

    sign_in(page, "ops_handler")
    open_task(page, "department_handling", number)
    parts = page.locator("#parts-assist")
    expect(parts.locator("tr[data-groups='billing']")).to_contain_text(BILLING_ANSWER)
    expect(parts.locator("tr[data-groups='billing'] .part-timeliness")).to_have_text("按时")
    expect(parts.locator("tr[data-groups='technical']")).to_contain_text(TECHNICAL_ANSWER)
    expect(parts.locator("tr[data-groups='technical'] .part-timeliness")).to_have_text("超时")
    expect(parts.locator("input, textarea")).to_have_count(0)
    expect(page.locator("#parts-awaited-assist")).to_have_count(0)  # every part is in
    shot(page, "assisting-03-lead-form")
    sign_out(page)

    sign_in(page, "supervisor")
    page.goto(f"/cases/{number}")
    expect(page.locator("#parts-assist tr.part")).to_have_count(2)
    shot(page, "assisting-04-case-page")
    # The diagram draws the lead and the assisting parts side by side after a parallel gateway.
    page.set_viewport_size({"width": 2400, "height": 1400})  # the whole diagram, readable
    viewer = page.locator("#case-viewer")
    expect(viewer).to_have_attribute("data-rendered", "true")
    for element in ("gw_assist_fork", "assist", "assist_deadline", "department_handling"):
        expect(page.locator(f"#case-viewer g.djs-element[data-element-id='{element}']")).to_have_count(1)
    viewer.screenshot(path=SCREENSHOTS / "assisting-05-diagram.png")
