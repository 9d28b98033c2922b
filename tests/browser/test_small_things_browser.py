"""Small things seen in a browser: the intake form's tick boxes sit together below its inputs (not at the
foot of the fourth column), and the KPI charts' labels are readable on a desktop and on a phone."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import PHONE, SCREENSHOTS, VIEWPORT, Page, expect, open_task, shot, sign_in
from tests.web.support import record_case

pytestmark = pytest.mark.browser

# The size a chart's 14-unit text is drawn at, after the picture is scaled to its card.
CHART_TEXT_PX = """() => Array.from(document.querySelectorAll('svg.chart')).map(svg =>
  14 * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)"""


def test_the_intake_tick_boxes_sit_below_the_inputs_on_the_left(page: Page) -> None:
    page.set_viewport_size(VIEWPORT)
    sign_in(page, "operator")
    page.goto("/cases/new/complaint")
    name = page.locator("#f-customer_name").bounding_box()
    text = page.locator("#f-description").bounding_box()
    visit = page.locator("#f-needs_site_visit").bounding_box()
    apology = page.locator("#f-apologised").bounding_box()
    assert name and text and visit and apology
    assert abs(visit["x"] - name["x"]) < 12, "the box starts a row of its own at the form's left edge"
    assert text["y"] + text["height"] <= visit["y"] < apology["y"], "below the inputs, above the next box"
    assert apology["y"] - (visit["y"] + visit["height"]) < 40, "the boxes stay together"
    shot(page, "small-01-intake-tick-boxes")


@pytest.mark.parametrize("viewport,smallest", [(VIEWPORT, 13.0), (PHONE, 11.0)], ids=["desktop", "phone"])
def test_the_kpi_chart_labels_are_readable_m4(page: Page, viewport: dict[str, int], smallest: float) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, "supervisor")
    page.goto("/kpi")
    expect(page.locator("svg.chart").first).to_be_visible()
    sizes = page.evaluate(CHART_TEXT_PX)
    assert len(sizes) == 4 and min(sizes) >= smallest, sizes
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.locator("svg.chart").first.scroll_into_view_if_needed()
    shot(page, f"small-02-kpi-charts-{viewport['width']}")


BUTTON_LOOK = """(id) => { const s = getComputedStyle(document.getElementById(id));
  return [s.backgroundColor, s.borderTopLeftRadius, s.borderTopStyle, s.paddingLeft]; }"""


def test_the_caller_lookup_and_register_search_buttons_look_like_the_others(page: Page) -> None:
    """Not the browser's own grey control: a light button with the brand's rounded border, like the rest."""
    page.set_viewport_size(VIEWPORT)
    sign_in(page, "operator")
    page.goto("/cases/new/complaint")
    expect(page.locator("#find-caller")).to_be_visible()
    assert page.evaluate(BUTTON_LOOK, "find-caller") == ["rgb(255, 255, 255)", "6px", "solid", "14px"]
    lookup = page.locator("#lookup").bounding_box()
    button = page.locator("#find-caller").bounding_box()
    assert lookup and button and abs(lookup["height"] - button["height"]) < 6, (
        "the input and its button align"
    )
    page.locator("#customer-lookup").screenshot(path=SCREENSHOTS / "small-03-caller-lookup.png")
    sign_in(page, "supervisor")
    page.goto("/register")
    expect(page.locator("#search")).to_be_visible()
    assert page.evaluate(BUTTON_LOOK, "search") == ["rgb(255, 255, 255)", "6px", "solid", "14px"]
    shot(page, "small-04-register-search")


def test_the_description_says_its_minimum_while_too_short_counting_a_chinese_character_as_two(
    page: Page,
) -> None:
    page.set_viewport_size(VIEWPORT)
    sign_in(page, "operator")
    page.goto("/cases/new/complaint")
    hint = page.locator("#min-description")
    expect(hint).to_be_hidden()
    page.locator("#f-description").fill("停水")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("一个汉字算两个字符")
    page.locator("#f-description").fill("暖气不热")
    expect(hint).to_be_hidden()
    page.locator("#f-description").fill("leak")
    expect(hint).to_be_visible()
    shot(page, "small-05-description-minimum")


@pytest.mark.parametrize("viewport", [PHONE, VIEWPORT], ids=["phone", "desktop"])
def test_the_note_box_is_a_full_width_field_under_its_label(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime, viewport: dict[str, int]
) -> None:
    """The case notes' box sits under its label and is as wide as the notes section, like every other
    field, instead of a small box beside the label."""
    number, _case_id = record_case(sessions, runtime)
    page.set_viewport_size(viewport)
    sign_in(page, "supervisor")
    page.goto(f"/cases/{number}")
    label = page.locator("label[for='note-text']").bounding_box()
    box = page.locator("#note-text").bounding_box()
    form = page.locator("#note-form").bounding_box()
    assert label is not None and box is not None and form is not None
    assert box["y"] >= label["y"] + label["height"] - 1, "the box is beside its label, not under it"
    assert box["width"] >= form["width"] * 0.95, f"the box is {box['width']} px of {form['width']}"


def test_the_task_page_shows_what_the_case_is_about_first_beside_the_form(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A handler opening a task reads the complaint (the case data) at the top of the side panel, in the
    first screen of a 1366x768 desktop, before the attachments, notes and history."""
    number, _case_id = record_case(sessions, runtime, department="operations")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "ops_handler")
    open_task(page, "department_handling", number)
    side = page.locator("aside.side")
    headings = side.locator("h2").all_text_contents()
    assert headings[0] == "工单信息", headings
    assert headings.index("工单信息") < headings.index("附件") < headings.index("工单备注"), headings
    expect(side.locator("dd[data-field='description']")).to_be_in_viewport()
