"""The complaint procedure in a real browser (Debian chromium driven by Playwright) against the real
app served by werkzeug on 127.0.0.1: intake with an inline error, department handling, a callback that
is not satisfied (C5), handling again, a satisfied callback, summary and close (C6), and the
supervisor reading the history.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.clock import SettableClock
from tests.browser.support import DOCS, Page, complete, expect, open_task, shot, sign_in, sign_out
from tests.web.support import NAMES

pytestmark = pytest.mark.browser


def test_a_complaint_through_the_browser(page: Page, clock: SettableClock) -> None:
    """C1, S3 intake (inline error, values kept); C2, C3 department handling; C5 not satisfied goes
    back to the department; C6 summary and close; C7 masked for the department, in full for the
    operator and the supervisor; the history the supervisor reads."""
    # C1, S3: the operator records the call; a wrong phone number is caught inline, nothing is lost.
    sign_in(page, "operator")
    shot(page, "01-operator-tasklist")
    page.click("#nav-new-complaint")
    expect(page.locator("#intake-form")).to_be_visible()
    typed = {
        "#f-customer_name": "张伟",
        "#f-customer_phone": "1380000111",
        "#f-address": "金明小区3号楼2单元501",
        "#f-occurred_at": "2026-11-22",
        "#f-description": "室内温度只有14度,已经持续三天,家里有老人。",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    page.select_option("#f-category", "temperature")
    page.select_option("#f-department", "operations")
    page.check("#f-apologised")
    page.click("#record")

    expect(page.locator("#err-customer_phone")).to_contain_text("格式不正确")
    expect(page.locator("#intake-form .error")).to_have_count(1)
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#f-category")).to_have_value("temperature")
    expect(page.locator("#f-department")).to_have_value("operations")
    expect(page.locator("#f-apologised")).to_be_checked()
    expect(page.locator("#f-needs_site_visit")).not_to_be_checked()
    shot(page, "02-intake-inline-error")

    page.fill("#f-customer_phone", "13800001111")
    page.click("#record")
    expect(page.locator("#case-number")).to_be_visible()
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"TS-20261123-\d{4}", number)
    expect(page.locator(".flash.success")).to_contain_text(number)
    expect(page).to_have_url(re.compile(f"/cases/{number}$"))
    shot(page, "03-case-recorded")
    sign_out(page)

    # C2, C3: the operations department finds it in its tasklist and replies; it may call the customer
    # (M6: the phone in full), but who complained stays masked (C7).
    clock.advance(timedelta(minutes=30))
    sign_in(page, "ops_handler")
    expect(page.locator("#task-count")).to_have_text("1")
    shot(page, "04-department-tasklist")
    open_task(page, "department_handling", number)
    expect(page.locator("dd[data-field='customer_phone']")).to_have_text("13800001111")
    expect(page.locator("dd[data-field='customer_name']")).not_to_have_text("张伟")
    page.fill("#f-investigation", "热力站循环泵故障,二次网供水温度偏低。")
    page.select_option("#f-outcome", "resolved")
    page.fill("#f-result", "已更换循环泵,当日18点室温恢复至20度。")
    shot(page, "05-department-task-form", DOCS / "screenshot-task.png")
    complete(page, number)
    expect(page.locator("#no-tasks")).to_be_visible()
    sign_out(page)

    # C5: the customer is not satisfied: the case goes back to the department.
    clock.advance(timedelta(minutes=15))
    sign_in(page, "operator")
    open_task(page, "callback", number)
    expect(page.locator("dd[data-field='customer_phone']")).to_have_text("13800001111")
    page.check("#f-customer_informed")
    page.select_option("#f-satisfied", "no")
    page.fill("#f-callback_note", "客户称卧室仍只有16度。")
    shot(page, "06-callback-not-satisfied")
    complete(page, number)
    expect(page.locator("#no-tasks")).to_be_visible()
    sign_out(page)

    clock.advance(timedelta(minutes=60))
    sign_in(page, "ops_handler")
    open_task(page, "department_handling", number)
    expect(page.locator("#history")).to_contain_text("退回部门重新处理")
    expect(page.locator("dd[data-field='reopen_count']")).to_have_text("1")
    page.fill("#f-investigation", "复查发现该户卧室暖气片积气。")
    page.select_option("#f-outcome", "resolved")
    page.fill("#f-result", "上门排气,复测卧室20度。")
    complete(page, number)
    sign_out(page)

    # C5, C6: satisfied now; summary of cause and improvement, then the case is closed.
    clock.advance(timedelta(minutes=10))
    sign_in(page, "operator")
    open_task(page, "callback", number)
    page.check("#f-customer_informed")
    page.select_option("#f-satisfied", "yes")
    page.fill("#f-callback_note", "客户确认室温20度,表示满意。")
    complete(page, number)
    clock.advance(timedelta(minutes=5))
    open_task(page, "summarise_and_close", number)
    page.fill("#f-root_cause", "循环泵老化;用户暖气片积气。")
    page.fill("#f-improvement", "入冬前巡检循环泵;供暖初期提醒用户排气。")
    page.select_option("#f-close_reason", "resolved")
    shot(page, "07-summary-and-close")
    complete(page, number)
    expect(page.locator("#no-tasks")).to_be_visible()
    sign_out(page)

    # The supervisor reads the closed case: every step, who did it, when, and what changed.
    sign_in(page, "supervisor")
    page.goto("/cases?status=completed")
    page.locator("#caselist a", has_text=number).click()
    expect(page.locator("#case-number")).to_have_text(number)
    expect(page.locator("#case-status")).to_have_text("已办结")
    events = page.locator("#history > li")
    # 19 steps (the routing table's two and the end of the empty assisting branch among them), and each of
    # the five tasks completed without claiming first was claimed on completion
    expect(events).to_have_count(24)
    expect(page.locator("#history > li.kind-task_claimed_on_completion")).to_have_count(5)
    done = page.locator("#history > li.kind-task_completed")
    steps = [
        (
            item.locator(".when").inner_text(),
            item.locator(".what").inner_text(),
            item.locator(".actor").inner_text().split(maxsplit=1)[1],
            item.locator("table.diff td.new").all_inner_texts(),
        )
        for item in done.all()
    ]
    assert [(when, actor) for when, _what, actor, _new in steps] == [
        ("2026-11-23 09:00:00", NAMES["operator"]),
        ("2026-11-23 09:30:00", NAMES["ops_handler"]),
        ("2026-11-23 09:45:00", NAMES["operator"]),
        ("2026-11-23 10:45:00", NAMES["ops_handler"]),
        ("2026-11-23 10:55:00", NAMES["operator"]),
        ("2026-11-23 11:00:00", NAMES["operator"]),
    ]
    names = ["登记投诉", "调查处理并答复", "回访客户", "调查处理并答复", "回访客户", "分析总结并结案"]
    assert all(name in what for name, (_when, what, _actor, _new) in zip(names, steps, strict=True))
    changed = [new for _when, _what, _actor, new in steps]
    assert "13800001111" in changed[0] and "温度不达标" in changed[0], (
        "the supervisor sees the intake in full (C7)"
    )
    assert "已处理完毕并答复" in changed[1] and "不满意" in changed[2] and "满意" in changed[4]
    assert "问题已解决" in changed[5]
    expect(page.locator("#history li.kind-case_closed")).to_have_count(1)
    shot(page, "08-supervisor-case-history", DOCS / "screenshot-case.png")
    done.nth(1).scroll_into_view_if_needed()
    page.evaluate(
        "element => window.scrollBy(0, element.getBoundingClientRect().top - 16)",
        done.nth(1).element_handle(),
    )
    shot(page, "09-supervisor-history-later-steps")
