"""Repair, liaison, outage and consultation end to end in a real browser (Debian chromium, Playwright):
each case is opened from its start page, every task is done by a person of its group in the web form,
and the case ends closed with its history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.clock import SettableClock
from tests.browser.support import Page, do_task, expect, fill_form, shot, sign_in, sign_out, start_case

pytestmark = pytest.mark.browser


def assert_closed(page: Page, case_number: str, completed_steps: int) -> None:
    page.goto(f"/cases/{case_number}")
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("#history > li.kind-task_completed")).to_have_count(completed_steps)
    expect(page.locator("#history li.kind-case_closed")).to_have_count(1)


def test_a_repair_through_the_browser_r1_r5(page: Page, clock: SettableClock) -> None:
    """R1 intake with the department following the category, R2 dispatch with the arrival time, R3 on
    site, R4 report with the customer's signature, R5 a callback not satisfied and a second dispatch."""
    sign_in(page, "operator")
    page.goto("/cases/new")
    expect(page.locator("#procedures a")).to_have_count(4)  # complaint, connection, consultation, repair
    page.click("#start-repair")
    page.select_option("#f-category", "burst")
    # left empty: the routing table routes the burst pipe to repair once recorded (route_by_category, R1)
    expect(page.locator("#f-department")).to_have_value("")
    fill_form(
        page,
        {
            "customer_name": "马强",
            "customer_phone": "13912345678",
            "address": "新华街17号楼1单元",
            "description": "楼道水管爆裂,水流不止。",
            "urgent": True,
        },
    )
    shot(page, "repair-01-intake")
    page.click("#record")
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"BX-20261123-\d{4}", number)
    sign_out(page)

    sign_in(page, "dispatcher")
    do_task(
        page,
        "dispatch",
        number,
        {"worker": "worker", "expected_arrival": "2026-11-23T09:25", "arrival_told": True},
    )
    sign_out(page)
    clock.advance(timedelta(minutes=20))
    sign_in(page, "worker")
    do_task(page, "arrive_on_site", number, {"arrived_at": "2026-11-23T09:20"})
    report = {
        "diagnosis": "立管接头老化爆裂",
        "work_done": "更换接头并试压",
        "materials": "DN25接头1个",
        "steps_explained": True,
        "customer_signed": True,
        "outcome": "resolved",
    }
    do_task(page, "onsite_report", number, report)
    sign_out(page)

    sign_in(page, "dispatcher")
    do_task(page, "callback", number, {"satisfied": "no", "callback_note": "仍有渗水"})
    do_task(
        page,
        "dispatch",
        number,
        {
            "worker": "worker",
            "expected_arrival": "2026-11-23T10:30",
            "late_arrival_reason": "客户上午不在家",  # R3: later than the leak's limit
            "arrival_told": True,
        },
    )
    sign_out(page)
    sign_in(page, "worker")
    do_task(page, "arrive_on_site", number, {"arrived_at": "2026-11-23T10:25"})
    do_task(page, "onsite_report", number, {**report, "diagnosis": "阀门渗水", "work_done": "更换阀门"})
    sign_out(page)
    sign_in(page, "dispatcher")
    do_task(page, "callback", number, {"satisfied": "yes", "callback_note": "客户满意"})
    assert_closed(page, number, 9)
    shot(page, "repair-02-closed")


def test_a_fault_outage_through_the_browser_o1_o2_o3(page: Page, clock: SettableClock) -> None:
    """O1 the fault outage is on the public notice page at once; O3 it is on the shift handover while
    open; O2 the estimate is updated, then the restoration is announced and the case closes."""
    sign_in(page, "dispatcher")
    number = start_case(
        page,
        "outage",
        {
            "service": "heating",
            "outage_type": "fault",
            "district": "金明区",
            "building": "3号楼",
            "unit": "1单元",
            "cause": "一次网管道爆裂",
            "starts_at": "2026-11-23T08:40",
            "estimated_restore_at": "2026-11-23T16:00",
        },
    )
    assert re.fullmatch(r"TZ-20261123-\d{4}", number)
    page.goto("/handover")
    expect(page.locator("#handover-outages")).to_contain_text(number)
    expect(page.locator("#handover-outages")).to_contain_text("一次网管道爆裂")
    sign_out(page)

    page.goto("/notices")  # public: no sign-in
    current = page.locator("#current-outages article")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("金明区 3号楼 1单元")
    expect(current).to_contain_text("16:00")
    shot(page, "outage-01-public-notice")

    clock.advance(timedelta(hours=2))
    sign_in(page, "ops_handler")
    do_task(
        page,
        "restore_service",
        number,
        {
            "work_status": "update_estimate",
            "new_estimate": "2026-11-23T19:00",
            "progress_note": "更换管段需延长时间",
        },
    )
    page.goto("/notices")
    expect(page.locator("#current-outages article")).to_have_count(1)
    expect(page.locator("#current-outages article")).to_contain_text("19:00")
    clock.advance(timedelta(hours=4))
    do_task(
        page,
        "restore_service",
        number,
        {"work_status": "restored", "restored_at": "2026-11-23T15:10", "work_done": "更换DN300管段,恢复供热"},
    )
    page.goto("/notices")
    expect(page.locator("#current-outages article")).to_have_count(0)
    expect(page.locator("#notice-list tbody tr")).to_have_count(1)  # one row per outage (O2)
    expect(page.locator("#notice-list .notice-history li")).to_have_count(3)  # its notices on demand
    sign_out(page)
    sign_in(page, "dispatcher")  # the handover is for the roles that read every case
    page.goto("/handover")
    expect(page.locator("#handover-outages")).not_to_contain_text(number)
    sign_out(page)
    sign_in(page, "supervisor")
    assert_closed(page, number, 3)


def test_a_consultation_with_a_promised_reply_through_the_browser_q1(
    page: Page, clock: SettableClock
) -> None:
    """Q1: not answerable on the spot: a reply time is promised, the contact recorded, and the reply task
    waits in the operators' tasklist with that deadline until the reply is given."""
    sign_in(page, "operator")
    number = start_case(
        page,
        "consultation",
        {
            "customer_name": "赵敏",
            "customer_phone": "13900000006",
            "question": "明年供暖费标准是否调整?",
            "category": "billing",
            "answered_now": False,
            "promised_reply_at": "2026-11-24T10:00",
            "reply_channel": "sms",
            "contact": "13900000006",
        },
    )
    assert re.fullmatch(r"ZX-20261123-\d{4}", number)
    page.goto("/tasks")
    row = page.locator("#tasklist tr", has_text=number)
    expect(row).to_contain_text("2026-11-24 10:00")
    clock.advance(timedelta(hours=20))
    do_task(
        page,
        "reply_customer",
        number,
        {"answer": "明年标准不变,以物价局公告为准。", "channel_used": "sms", "replied": True},
    )
    assert_closed(page, number, 2)


def test_an_urgent_liaison_report_through_the_browser_l1_l5(page: Page, clock: SettableClock) -> None:
    """L1 the liaison's form from their own page; L2 the head of the department has the urgent notice in
    their messages at once, then the written report; L4 a work plan with two dated milestones, progress
    on each; L5 the liaison's callback closes it."""
    sign_in(page, "liaison")
    page.click("#nav-liaison")
    fill_form(
        page,
        {
            "customer_name": "周老师",
            "customer_phone": "13700000088",
            "address": "金明区5号楼1单元301",
            "collection_method": "visit",
            "feedback": "整栋楼暖气不热,多户室温不足15度。",
            "category": "temperature",
            "urgency": "urgent",
        },
    )
    page.click("#record")
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"LL-20261123-\d{4}", number)
    sign_out(page)

    sign_in(page, "ops_head")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#nav-notifications")
    expect(page.locator("#messages li.unread")).to_contain_text("周老师")
    expect(page.locator("#messages")).to_contain_text(number)
    shot(page, "liaison-01-head-message")
    sign_out(page)

    clock.advance(timedelta(minutes=40))
    sign_in(page, "liaison")
    do_task(
        page,
        "written_report",
        number,
        {"written_report_text": "5号楼1单元整体室温14-15度,疑似立管堵塞。", "head_phoned": True},
    )
    sign_out(page)
    sign_in(page, "ops_handler")
    do_task(page, "investigate", number, {"investigation": "立管阀门故障,需停水更换", "decision": "plan"})
    do_task(
        page,
        "make_plan",
        number,
        {
            "plan_summary": "更换立管阀门并冲洗",
            "milestone_lines": "2026-11-24 更换立管阀门\n2026-11-25 冲洗管道并测温",
        },
    )
    do_task(page, "report_progress", number, {"progress_note": "阀门已更换"})
    do_task(page, "report_progress", number, {"progress_note": "冲洗完成,室温19度"})
    sign_out(page)
    sign_in(page, "liaison")
    do_task(page, "callback", number, {"satisfied": "yes"})
    assert_closed(page, number, 7)
