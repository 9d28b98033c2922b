"""Merging from the intake page in a real browser (并单, issue 20 item 3): as the operator types the
caller's phone and address, the open case of the same building is proposed with why it matches; one
click records the call merged into it, and the surviving case lists both callers for the callback;
the same in English."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import SettableClock
from tests.browser.support import Page, expect, fill_form, shot, sign_in, start_case

pytestmark = pytest.mark.browser

FIRST_CALL: dict[str, object] = {
    "customer_name": "张伟",
    "customer_phone": "13800001111",
    "address": "金明小区3号楼2单元501",
    "occurred_at": "2026-11-22",
    "description": "家里暖气不热,已经两天。",
    "category": "temperature",
    "department": "operations",
    "apologised": True,
}


def _call_again(page: Page, values: dict[str, object]) -> None:
    page.goto("/cases/new/complaint")
    expect(page.locator("#intake-form")).to_be_visible()
    fill_form(page, {**FIRST_CALL, **values})


def test_an_operator_merges_a_repeated_call_from_the_intake_page_in_both_languages(
    page: Page, clock: SettableClock
) -> None:
    sign_in(page, "operator")
    first = start_case(page, "complaint", FIRST_CALL)

    clock.advance(timedelta(minutes=20))
    _call_again(
        page, {"customer_name": "李娜", "customer_phone": "13900002222", "address": "金明小区3号楼1单元101"}
    )
    proposal = page.locator(f"#duplicate-{first}")
    expect(proposal).to_contain_text("同一楼栋")
    expect(proposal).to_contain_text("相同类别")
    shot(page, "merging-01-proposed-at-intake")
    page.click(f"#merge-into-{first}")
    expect(page.locator("#case-number")).to_have_text(first)
    expect(page.locator(".flash")).to_contain_text("并入工单")
    expect(page.locator("#callers")).to_contain_text("13800001111")
    expect(page.locator("#callers")).to_contain_text("13900002222")
    shot(page, "merging-02-callers-kept")

    page.click("#lang-switch")
    clock.advance(timedelta(minutes=5))
    _call_again(page, {"customer_name": "王芳", "customer_phone": "13800001111"})
    expect(page.locator(f"#duplicate-{first}")).to_contain_text("same phone")
    expect(page.locator(f"#merge-into-{first}")).to_have_text("Record and merge into this case")
    page.click(f"#merge-into-{first}")
    expect(page.locator("#case-number")).to_have_text(first)
    expect(page.locator(".flash")).to_contain_text("merged into case")
    expect(page.locator("#callers tbody tr")).to_have_count(3)
