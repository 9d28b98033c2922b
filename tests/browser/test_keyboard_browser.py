"""Keyboard only (issue 6, item 7): signing in, opening a task, claiming, filling and completing it, and
recording a call on the intake page, with Tab, Enter, Space and the arrow keys; where the focus is can
always be seen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import PHONE, Page, expect, second_browser, shot
from tests.web.support import DEMO_PASSWORD, record_case

pytestmark = pytest.mark.browser


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused; fail if it never is. Each stop must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("sel => document.activeElement.matches(sel)", selector):
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
            )
            assert outline[0] != "none" and outline[1] >= 2, f"{selector} has no visible focus: {outline}"
            return
    pytest.fail(f"Tab never reached {selector}")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press_on(page: Page, selector: str, key: str) -> None:
    tab_to(page, selector)
    page.keyboard.press(key)


def sign_in_by_keyboard(page: Page, username: str) -> None:
    page.goto("/login")
    type_into(page, "#username", username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")


def choose_by_arrows(page: Page, selector: str, value: str, limit: int = 30) -> None:
    """A focused select changes its value with the arrow keys, as a keyboard user does it."""
    for _ in range(limit):
        if page.locator(selector).input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"the arrow keys never reached {value!r} in {selector}")


def test_a_task_done_by_keyboard_only(page: Page, sessions: sessionmaker[Session], runtime: Runtime) -> None:
    number, _case_id = record_case(sessions, runtime)
    sign_in_by_keyboard(page, "ops_handler")
    expect(page.locator("#task-count")).to_have_text("1")

    press_on(page, "a.task-link[data-element='department_handling']", "Enter")
    expect(page.locator("#task-form")).to_be_visible()
    press_on(page, "#claim", "Space")
    expect(page.locator("#claim-state")).to_have_text("由您认领。")
    type_into(page, "#f-investigation", "热力站循环泵故障,供水温度偏低。")
    tab_to(page, "#f-outcome")
    choose_by_arrows(page, "#f-outcome", "resolved")
    type_into(page, "#f-result", "已更换循环泵,室温恢复至20度。")
    shot(page, "keyboard-01-task-form")
    press_on(page, "#complete", "Enter")
    expect(page.locator(".flash.success")).to_contain_text(number)
    expect(page).to_have_url(re.compile(r"/tasks$"))


def test_a_call_recorded_by_keyboard_only_and_enter_records_it(page: Page) -> None:
    """On the intake page Space on a kind switches the form; Enter in a field records the case (it does
    not switch the kind, though the kinds come first)."""
    sign_in_by_keyboard(page, "operator")
    expect(page.locator("#task-count")).to_be_visible()
    page.goto("/cases/new/complaint")
    press_on(page, "#kind-consultation", "Space")
    expect(page.locator("#kind-consultation")).to_have_attribute("aria-current", "true")
    type_into(page, "#f-customer_name", "赵敏")
    page.keyboard.press("Tab")
    page.keyboard.type("13900000006")
    type_into(page, "#f-question", "明年供暖费标准是否调整?")
    tab_to(page, "#f-category")
    choose_by_arrows(page, "#f-category", "billing")
    press_on(page, "#f-answered_now", "Space")
    type_into(page, "#f-answer", "明年标准不变。")
    tab_to(page, "#f-customer_name")  # Tab wraps round the page back to the first field
    shot(page, "keyboard-02-intake")
    page.keyboard.press("Enter")
    expect(page.locator("#case-number")).to_have_text(re.compile(r"ZX-20261123-\d{4}"))


def test_the_intake_page_on_a_phone_and_the_skip_link(page: Page, server: str) -> None:
    """Readable on a 360-pixel screen: the operator's top bar, the kinds of call and the form fit without
    sideways scrolling; the first Tab offers to skip the top bar."""
    page.goto("/notices")  # the sign-in page puts the focus on the user name at once
    tab_to(page, ".skip-link", limit=1)
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#content")).to_be_focused()
    with second_browser(page, server, PHONE, phone=True) as phone:
        phone.goto("/login")
        phone.fill("#username", "operator")
        phone.fill("#password", DEMO_PASSWORD)
        phone.click("#sign-in")
        phone.goto("/cases/new/complaint")
        expect(phone.locator("#kinds button")).to_have_count(2)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        shot(phone, "intake-phone")
        phone.click("#kind-repair")
        expect(phone.locator("h1")).to_have_text("登记报修")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
