"""The lists on a 360-pixel phone: tasks, cases and the overdue board show each row as a card, every
value after its column's name, without sideways scrolling; on a desktop they stay ordinary tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.browser.support import Page, add_api_client_in_page, expect, shot, sign_in, sign_out
from tests.web.support import record_case

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
NARROWEST_VALUE = 120  # px left for a value beside its label: a case number or a time fits on one line

CELLS = """table => Array.from(table.querySelectorAll('tbody td')).filter(td => td.offsetParent !== null).map(td => {
  const box = td.getBoundingClientRect(), style = getComputedStyle(td);
  return {label: td.dataset.label, shown: getComputedStyle(td, '::before').content,
          value: box.width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
          right: box.right, display: style.display};
})"""


def check_cards(page: Page, table: str, name: str) -> None:
    rows = page.locator(f"{table} tbody tr")
    expect(rows.first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} scrolls sideways"
    headers = page.locator(f"{table} thead th").all_text_contents()
    assert page.locator(table).get_attribute("role") == "table"
    for cell in page.locator(table).first.evaluate(CELLS):
        assert cell["display"] == "block", cell
        assert cell["label"] in headers and cell["shown"] == f'"{cell["label"]}"', cell
        assert cell["value"] >= NARROWEST_VALUE, f"{name}: a value has only {cell['value']} px: {cell}"
        assert cell["right"] <= PHONE["width"], f"{name}: a value is pushed off-screen: {cell}"
    page.locator(f"{table} tbody tr").first.scroll_into_view_if_needed()
    shot(page, f"phone-list-{name}")


def test_tasks_cases_and_the_board_are_cards_on_a_phone(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    for _ in range(3):
        record_case(sessions, runtime, department="operations")
    clock.advance(timedelta(hours=15, minutes=30))  # the replies are overdue: the board lists them
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.set_viewport_size(PHONE)
    sign_in(page, "ops_handler")
    page.goto("/tasks")
    check_cards(page, "#tasklist", "tasks")
    sign_out(page)
    sign_in(page, "supervisor")
    page.goto("/cases")
    check_cards(page, "#caselist", "cases")
    page.goto("/board")
    check_cards(page, "#board-live section.board-group table", "board")

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/cases")
    assert page.locator("#caselist td").first.evaluate("td => getComputedStyle(td).display") == "table-cell"
    expect(page.locator("#caselist thead th").first).to_be_visible()
    assert missing == [], "every file a page asks for exists (the icon too)"


def test_the_caller_lookup_is_cards_on_a_phone(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The callers found at intake are cards on a phone, "Use" within reach, not a table scrolled sideways."""
    record_case(sessions, runtime)  # the caller is in the register from now on
    page.set_viewport_size(PHONE)
    sign_in(page, "operator")
    page.goto("/cases/new/complaint?lookup=13800001111")
    check_cards(page, "#found-customers", "caller-lookup")
    use = page.locator("#found-customers a[id^='choose-']").first.bounding_box()
    assert use is not None and use["x"] + use["width"] <= PHONE["width"]
    page.goto("/cases/new/complaint?lookup=13999999999")
    empty = page.locator("#no-customer")
    expect(empty).to_be_visible()
    box = empty.bounding_box()
    assert box is not None and box["width"] >= 0.6 * PHONE["width"], "the no-match text is squeezed"


def test_staff_accounts_and_api_clients_are_cards_on_a_phone(page: Page) -> None:
    """An administrator on a phone reads each account and each API client as a card, not a table of
    columns one character wide; the add button is a button, not a bare coloured word."""
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")
    page.goto("/admin/users")
    check_cards(page, "#accounts", "accounts")
    button = page.locator("#add-account").bounding_box()
    assert button is not None and button["height"] >= 36, f"the add button is {button}"
    add_api_client_in_page(page)
    check_cards(page, "#api-clients", "api-clients")
    expect(page.locator("#revoke-phones")).to_be_visible()


def test_the_shift_handovers_live_picture_is_cards_on_a_phone(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    record_case(sessions, runtime, department="operations")
    page.set_viewport_size(PHONE)
    sign_in(page, "operator")
    page.goto("/handover")
    check_cards(page, "#handover-complaints-table", "handover-complaints")
    expect(page.locator("#handover-overdue .empty")).to_be_visible()
