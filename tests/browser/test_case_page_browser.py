"""The case page in a real browser: bpmn-js draws the diagram of the case's version and marks the
completed intake green, the overdue department task red and the failed deadline dark red (C4)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.browser.support import Page, expect, shot, sign_in
from tests.web.case_story_support import late_case_with_incident

pytestmark = pytest.mark.browser

FIRST_SHAPE = "[data-element-id='{}'] .djs-visual > :first-child"


def fill_of(page: Page, element_id: str) -> str:
    return page.locator(FIRST_SHAPE.format(element_id)).first.evaluate("node => getComputedStyle(node).fill")


def test_the_case_page_marks_the_diagram_c4(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C4: a supervisor sees on the diagram which step is done, which is late and which automatic step failed."""
    case = late_case_with_incident(sessions, runtime, clock)
    sign_in(page, "supervisor")
    page.goto(f"/cases/{case.number}")

    viewer = page.locator("#case-viewer")
    expect(viewer).to_have_attribute("data-rendered", "true")
    assert viewer.get_attribute("data-error") is None
    assert viewer.get_attribute("data-focused") == "false"  # a desktop shows the whole diagram
    marked = {
        element: page.locator(f"#case-viewer g.djs-element[data-element-id='{element}']").get_attribute(
            "class"
        )
        for element in ("intake", "department_handling", "reply_deadline", "callback")
    }
    assert "hotline-completed" in marked["intake"]
    assert {"hotline-active", "hotline-overdue"} <= set(marked["department_handling"].split())
    assert "hotline-completed" not in marked["department_handling"]
    assert "hotline-failed" in marked["reply_deadline"]
    assert "hotline-" not in marked["callback"]  # not reached yet
    assert fill_of(page, "intake") == "rgb(223, 243, 225)"
    assert fill_of(page, "department_handling") == "rgb(253, 226, 226)"
    assert fill_of(page, "reply_deadline") == "rgb(142, 27, 27)"
    expect(page.locator("#diagram-legend")).to_be_visible()
    expect(page.locator("#deadlines tr[data-element='department_handling'] .lateness")).to_contain_text(
        "已超时"
    )
    shot(page, "case-page-diagram")

    page.set_viewport_size({"width": 360, "height": 780})
    expect(viewer).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380, (
        "the page does not fit a phone's width"
    )
    shot(page, "case-page-diagram-phone")

    # Opened on a phone, the diagram shows the case's current step at a readable size, not the whole
    # procedure shrunk to the width of the screen.
    page.reload()
    expect(viewer).to_have_attribute("data-rendered", "true")
    assert viewer.get_attribute("data-focused") == "true"
    box = page.locator("#case-viewer g.djs-element[data-element-id='department_handling']").bounding_box()
    frame = viewer.bounding_box()
    assert box is not None and frame is not None
    assert box["width"] >= 50, "the current step is too small to read"
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1


def test_a_supervisor_finds_the_late_case_and_opens_it(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C4: from the search, only cases with an overdue task, to the case's page."""
    case = late_case_with_incident(
        sessions, runtime, clock, customer_name="李娜", customer_phone="0951-5012345"
    )
    sign_in(page, "supervisor")
    page.goto("/cases")
    page.fill("#s-phone", "5012345")
    page.check("#s-overdue")
    page.press("#s-phone", "Enter")  # the keyboard sends the search
    expect(page.locator("#caselist tbody tr")).to_have_count(1)
    expect(page.locator("#case-count")).to_have_text("1")
    shot(page, "case-search")
    page.click(f"#caselist a:text('{case.number}')")
    expect(page.locator("#case-viewer")).to_have_attribute("data-rendered", "true")


def test_the_history_reads_on_a_phone(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """On a 360-px phone each change of the history keeps its headings on one line and its field names
    at least four characters wide, instead of one character a line."""
    case = late_case_with_incident(sessions, runtime, clock)
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, "supervisor")
    page.goto(f"/cases/{case.number}")
    expect(page.locator("table.diff").first).to_be_visible()
    headings = page.locator("table.diff th").all()
    labels = page.locator("table.diff tbody td:first-child").all()
    assert headings and labels
    line = headings[0].evaluate("th => parseFloat(getComputedStyle(th).lineHeight) || 20")
    font = labels[0].evaluate("td => parseFloat(getComputedStyle(td).fontSize)")
    for heading in headings:
        box = heading.bounding_box()
        assert box is not None and box["height"] < 2 * line, f"{heading.inner_text()!r} wraps"
    for label in labels:
        text_width = label.evaluate(
            "td => { const s = getComputedStyle(td);"
            " return td.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }"
        )
        assert text_width >= 4 * font - 0.5, f"{label.inner_text()!r} is squeezed"
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "case-history-phone")
