"""Send-back and review in a real browser (退单/改派, C4): the department says "not ours" and is asked for
evidence first, attaches a PDF, sends the case back; the dispatcher reads the reason and the evidence and
re-dispatches to billing, whose handler finds the case; the supervisor reads the send-back figures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import SettableClock
from tests.browser.support import (
    Page,
    complete,
    expect,
    fill_form,
    open_task,
    shot,
    sign_in,
    sign_out,
    start_case,
)

pytestmark = pytest.mark.browser

REASON = "该户为欠费停供,属收费部门职责。"
NOT_OURS: dict[str, object] = {
    "investigation": "现场核实为欠费停供。",
    "outcome": "not_ours",
    "sendback_reason": REASON,
    "suggested_department": "billing",
}


def test_send_back_and_review_through_the_browser_c4(
    page: Page, clock: SettableClock, tmp_path: Path
) -> None:
    sign_in(page, "operator")
    number = start_case(
        page,
        "complaint",
        {
            "customer_name": "张伟",
            "customer_phone": "13800001111",
            "address": "金明小区3号楼2单元501",
            "occurred_at": "2026-11-22",
            "description": "家里暖气不热,已经两天。",
            "category": "temperature",
            "department": "operations",
            "apologised": True,
        },
    )
    sign_out(page)

    # C4: "not ours" needs the evidence attached at the step; the typed reason is kept.
    clock.advance(timedelta(minutes=40))
    sign_in(page, "ops_handler")
    open_task(page, "department_handling", number)
    fill_form(page, NOT_OURS)
    page.click("#complete")
    expect(page.locator("#err-sendback_reason")).to_contain_text("依据文件")
    expect(page.locator("#f-sendback_reason")).to_have_value(REASON)
    shot(page, "sendback-01-evidence-asked")
    evidence = tmp_path / "欠费证明.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% evidence\n")
    page.set_input_files("#upload-file", str(evidence))
    page.click("#upload")
    expect(page.locator("#attachments")).to_contain_text("欠费证明.pdf")
    fill_form(page, NOT_OURS)
    complete(page, number)
    sign_out(page)

    # the dispatcher reviews: the reason and the evidence are on the review page; approve to billing
    clock.advance(timedelta(minutes=20))
    sign_in(page, "dispatcher")
    open_task(page, "review_sendback", number)
    expect(page.locator("main")).to_contain_text(REASON)
    expect(page.locator("#attachments")).to_contain_text("欠费证明.pdf")
    fill_form(page, {"sendback_decision": "approve", "redispatch_department": "billing"})
    shot(page, "sendback-02-review")
    complete(page, number)
    sign_out(page)

    sign_in(page, "billing_handler")
    open_task(page, "department_handling", number)
    sign_out(page)

    sign_in(page, "supervisor")
    page.goto("/kpi")
    row = page.locator("#kpi-sendbacks tr[data-row='operations']")
    expect(row.locator("td[data-col='sent_back']")).to_have_text("1")
    expect(row.locator("td[data-col='approved']")).to_have_text("1")
    expect(row.locator("td[data-col='hours_lost']")).to_have_text("1.0")
    shot(page, "sendback-03-kpi")


def test_a_repair_worker_sends_an_order_back_from_site_through_the_browser_c4(
    page: Page, clock: SettableClock, tmp_path: Path
) -> None:
    """C4 in repair.bpmn: the worker on site finds it is not a repair matter, is asked for evidence, sends
    it back; the dispatcher approves to operations and dispatches again; the KPI counts it for repair."""
    sign_in(page, "dispatcher")
    number = start_case(
        page,
        "repair",
        {
            "customer_name": "马强",
            "customer_phone": "13912345678",
            "address": "新华街17号楼1单元",
            "description": "暖气片不热,整栋楼都不热。",
            "category": "facility",
        },
    )
    open_task(page, "dispatch", number)
    fill_form(page, {"worker": "worker", "expected_arrival": "2026-11-23T09:40", "arrival_told": True})
    complete(page, number)
    sign_out(page)

    clock.advance(timedelta(minutes=30))
    sign_in(page, "worker")
    open_task(page, "arrive_on_site", number)
    reason = "整栋楼温度偏低,属二次管网调节,非户内维修事项。"
    fill_form(
        page,
        {
            "arrived_at": "2026-11-23T09:30",
            "site_finding": "not_ours",
            "sendback_reason": reason,
            "suggested_department": "operations",
        },
    )
    page.click("#complete")
    expect(page.locator("#err-sendback_reason")).to_contain_text("依据文件")
    expect(page.locator("#f-sendback_reason")).to_have_value(reason)
    photo = tmp_path / "楼栋温度记录.pdf"
    photo.write_bytes(b"%PDF-1.4\n% temperatures of the whole building\n")
    page.set_input_files("#upload-file", str(photo))
    page.click("#upload")
    expect(page.locator("#attachments")).to_contain_text("楼栋温度记录.pdf")
    fill_form(page, {"arrived_at": "2026-11-23T09:30", "site_finding": "not_ours", "sendback_reason": reason})
    complete(page, number)
    sign_out(page)

    clock.advance(timedelta(minutes=30))
    sign_in(page, "dispatcher")
    open_task(page, "review_sendback", number)
    expect(page.locator("main")).to_contain_text(reason)
    expect(page.locator("#attachments")).to_contain_text("楼栋温度记录.pdf")
    fill_form(page, {"sendback_decision": "approve", "redispatch_department": "operations"})
    shot(page, "sendback-repair-review")
    complete(page, number)
    open_task(page, "dispatch", number)  # dispatched again, to the new department's team
    sign_out(page)

    sign_in(page, "supervisor")
    page.goto("/kpi")
    row = page.locator("#kpi-sendbacks tr[data-row='repair']")
    expect(row.locator("td[data-col='sent_back']")).to_have_text("1")
    expect(row.locator("td[data-col='approved']")).to_have_text("1")
