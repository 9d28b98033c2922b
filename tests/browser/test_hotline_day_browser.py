"""Issue 16's day at the hotline, walked through in the browser as the people who work it see it, each in
their own browser: the whole day in Chinese on a desktop and in English on a 360-pixel phone, and the key
pages in the other two combinations. Every step ends in a screenshot under tests/browser/screenshots/.

The eleven points, in the order the day meets them: a repeat caller found at intake with their earlier
cases (1, M5); the dispatcher picks a worker from the list and a late promise needs a reason, the worker's
job card shows note and promise (4, R2, R3); the department handler sees the address and phone they need
(3, M6) and completes without claiming, which the history records as a claim (6); a supervisor hands work
stuck in a department without members to a group, with a reason, the disabled button looking disabled
(2, C4); callbacks reach the overdue board with their deadline (5, C5, R5); the sampled callback's facts
are read-only (7, M1); the history speaks in people's words, in form order, without rule ids (8); no text
of the other language on the pages nor in the diagram's labels (9); /notices as cards on a phone (10,
O2); required inputs carry `required` and the intake's tick boxes sit below the inputs (11, C1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import lxml.html
import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from engine.supervision.periods import week_of
from engine.supervision.sampling import draw_weekly_sample
from tests.browser.support import (
    PHONE,
    VIEWPORT,
    Page,
    complete,
    expect,
    fill_form,
    open_task,
    second_browser,
    shot,
    sign_in,
)
from tests.browser.test_notices_phone_browser import _publish
from tests.web.support import NAMES, record_case, task_of
from tests.web.test_every_page_in_both_languages import (
    ACTORS_WITHOUT_ACCOUNT,
    ENGLISH_WORD,
    out_of_place,
    typed_by_people,
)
from tests.web.test_plain_words import RULE_ID

pytestmark = pytest.mark.browser

CALLER = {"customer_name": "张伟", "customer_phone": "13800001111", "address": "金明小区3号楼2单元501"}
DISABLED_GREY = "rgb(213, 218, 224)"


@dataclass(frozen=True)
class Way:
    """How a person sees the day: the page's language and the screen's width."""

    language: str  # "zh_CN" or "en"
    viewport: dict[str, int]

    @property
    def phone(self) -> bool:
        return self.viewport["width"] < 600

    def name(self, step: str) -> str:
        return f"day-{self.language}-{self.viewport['width']}-{step}"


ZH_DESKTOP = Way("zh_CN", VIEWPORT)
EN_PHONE = Way("en", PHONE)
ZH_PHONE = Way("zh_CN", PHONE)
EN_DESKTOP = Way("en", VIEWPORT)


def enter(page: Page, username: str, way: Way) -> None:
    """Sign in at the way's width and switch the pages to its language (the UI starts in Chinese)."""
    page.set_viewport_size(way.viewport)
    sign_in(page, username)
    if way.language == "en":
        page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en" if way.language == "en" else "zh-CN")


def speaks_only_its_language(page: Page, way: Way, sessions: sessionmaker[Session]) -> None:
    """Point 9: the page as drawn (the diagram's labels included) shows no UI text of the other language;
    what people typed and staff names may be in either."""
    doc = lxml.html.fromstring(page.content())
    for logo in doc.xpath("//*[contains(@class, 'bjs-powered-by')]"):
        logo.drop_tree()  # bpmn-js's own "Powered by bpmn.io" badge, which its licence keeps
    typed = typed_by_people(sessions)
    if way.language == "en":
        allowed: object = typed
    else:
        allowed = set(ENGLISH_WORD.findall(typed)) | set(NAMES) | ACTORS_WITHOUT_ACCOUNT
        allowed |= {"complaint", "repair", "callback", "liaison", "outage", "consultation"}
    wrong = out_of_place(doc, way.language, allowed)
    assert not wrong, f"{page.url} shows text of the other language: {wrong}"


# The inputs whose label carries the required mark but not the `required` attribute, and how many carry it.
UNMARKED_REQUIRED = """() => {
  const marked = Array.from(document.querySelectorAll('label[for] .req')).map(s => s.closest('label').htmlFor);
  return [marked.filter(id => !document.getElementById(id).required), marked.length];
}"""


def marked_required(page: Page) -> None:
    """Point 11: every input a label marks required (*) carries the HTML `required` attribute."""
    unmarked, marked = page.evaluate(UNMARKED_REQUIRED)
    assert marked and not unmarked, f"{page.url}: required without the attribute: {unmarked}"


def fits(page: Page, way: Way) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= way.viewport["width"], (
        f"{page.url} scrolls sideways at {way.viewport['width']} px"
    )


def record_complaint(page: Page, way: Way) -> str:
    """Point 11 on the intake page: required inputs say so, the tick boxes sit below the inputs."""
    page.goto("/cases/new/complaint")
    marked_required(page)
    text = page.locator("#f-description").bounding_box()
    name = page.locator("#f-customer_name").bounding_box()
    visit = page.locator("#f-needs_site_visit").bounding_box()
    assert text and name and visit
    assert text["y"] + text["height"] <= visit["y"], "the site-visit box sits below the inputs"
    assert abs(visit["x"] - name["x"]) < 12, "the site-visit box starts at the form's left edge"
    fill_form(
        page,
        {
            **CALLER,
            "occurred_at": "2026-11-22",
            "description": "室内温度只有14度,已经持续三天。",
            "category": "temperature",
            "department": "operations",
            "apologised": True,
        },
    )
    shot(page, way.name("01-intake-complaint"))
    page.click("#record")
    return page.locator("#case-number").inner_text().strip()


# How many pixels of the search box's placeholder do not fit in its box.
PLACEHOLDER_CUT = """input => {
  const style = getComputedStyle(input), context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(0, context.measureText(input.placeholder).width - room);
}"""


def find_repeat_caller(page: Page, way: Way, earlier: str) -> None:
    """Point 1: the caller of an earlier case is found by phone, with that case listed; the search box
    shows its whole hint at every width."""
    page.goto("/cases/new/repair")
    assert page.locator("#lookup").evaluate(PLACEHOLDER_CUT) == 0, "the search box's hint is cut off"
    page.fill("#lookup", CALLER["customer_phone"])
    page.click("#find-caller")
    found = page.locator("#found-customers tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(CALLER["customer_name"])
    found.locator("a[id^='choose-']").click()
    expect(page.locator("#f-customer_name")).to_have_value(CALLER["customer_name"])
    expect(page.locator("#earlier-cases")).to_contain_text(earlier)
    fits(page, way)
    shot(page, way.name("02-repeat-caller"))


def history_in_plain_words(page: Page) -> None:
    """Point 8 on a case page: completing without a claim shows as a claim by the person's name (6), and
    the history names nobody by login and says no rule id."""
    expect(page.locator("#case-viewer")).to_have_attribute("data-rendered", "true")
    claim = page.locator("#history li.kind-task_claimed_on_completion")
    expect(claim).to_have_count(1)
    expect(claim.locator(".actor")).to_contain_text(NAMES["ops_handler"])
    expect(claim.locator("xpath=following-sibling::li[1]")).to_have_class(re.compile("kind-task_completed"))
    text = page.locator("#history").inner_text()
    assert not RULE_ID.findall(text), RULE_ID.findall(text)
    for login in ("operator", "ops_handler", "dispatcher"):
        assert not re.search(rf"\b{login}\b", text), f"the login {login} in the history"


def notices_fit(page: Page, way: Way, sessions: sessionmaker[Session], case_id: int, number: str) -> None:
    """Point 10: the public notices, one card per outage on a phone, one table row on a desktop."""
    _publish(sessions, case_id, number, [6, 8])
    page.goto("/notices")
    outage = page.locator(f"#outage-{number}")
    expect(outage).to_have_count(1)
    display = outage.locator("td").first.evaluate("td => getComputedStyle(td).display")
    assert display == ("block" if way.phone else "table-cell"), display
    fits(page, way)
    shot(page, way.name("11-notices"))
    speaks_only_its_language(page, way, sessions)


@pytest.mark.parametrize("way", [ZH_DESKTOP, EN_PHONE], ids=["zh-1400", "en-360"])
def test_the_hotline_day_c4_c5_r2_r3_m1_m5_m6_o2(
    page: Page,
    server: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    way: Way,
) -> None:
    """The whole day, every one of the eleven points, in one language at one width."""
    enter(page, "operator", way)
    complaint = record_complaint(page, way)
    find_repeat_caller(page, way, complaint)
    fill_form(page, {"category": "burst", "description": "厨房水管爆裂,水流不止。"})
    page.click("#record")
    repair = page.locator("#case-number").inner_text().strip()
    speaks_only_its_language(page, way, sessions)

    with (
        second_browser(page, server, way.viewport, phone=way.phone) as dispatcher,
        second_browser(page, server, PHONE, phone=True) as worker,
        second_browser(page, server, way.viewport, phone=way.phone) as handler,
        second_browser(page, server, way.viewport, phone=way.phone) as supervisor,
    ):
        # Point 4: a worker picked from the list; a promise past the on-site limit needs a reason (R2, R3)
        enter(dispatcher, "dispatcher", way)
        open_task(dispatcher, "dispatch", repair)
        marked_required(dispatcher)
        expect(dispatcher.locator("#f-worker option").nth(1)).to_contain_text(NAMES["worker"])
        fill_form(
            dispatcher,
            {
                "worker": "worker",
                "expected_arrival": "2026-11-23T10:30",
                "arrival_told": True,
                "dispatch_note": "带管钳",
            },
        )
        dispatcher.click("#complete")
        expect(dispatcher.locator("#err-expected_arrival")).to_contain_text("09:30")
        expect(dispatcher.locator("#f-dispatch_note")).to_have_value("带管钳")  # nothing typed is lost
        shot(dispatcher, way.name("03-late-promise"))
        fill_form(dispatcher, {"late_arrival_reason": "客户上午不在家"})
        complete(dispatcher, repair)

        enter(worker, "worker", Way(way.language, PHONE))
        worker.goto("/field")
        job = worker.locator(f"li.job[data-case='{repair}']")
        expect(job).to_contain_text("带管钳")
        expect(job).to_contain_text("10:30")
        fits(worker, Way(way.language, PHONE))
        shot(worker, way.name("04-job-card"))
        clock.advance(timedelta(minutes=20))
        job.locator("button").click()
        worker.locator(f"li.job[data-case='{repair}'][data-element='onsite_report'] a.button").click()
        expect(worker.locator("label:has(#f-customer_signed) .req")).to_have_text("*")
        assert not re.search("可选|optional", worker.locator("main").inner_text(), re.IGNORECASE), (
            "the signature pad is called optional beside the required 'customer signed'"
        )
        marked_required(worker)
        fill_form(
            worker,
            {
                "diagnosis": "立管接头爆裂",
                "work_done": "更换接头并试压",
                "steps_explained": True,
                "customer_signed": True,
                "signer_name": "张伟",
                "outcome": "resolved",
            },
        )
        shot(worker, way.name("05-onsite-report"))
        complete(worker, repair, returns_to="/field")

        # Point 3: the investigating department sees the address and phone it needs in full (M6);
        # point 6: completing without claiming claims, and says so
        enter(handler, "ops_handler", way)
        open_task(handler, "department_handling", complaint)
        expect(handler.locator("dd[data-field='customer_phone']")).to_have_text(CALLER["customer_phone"])
        expect(handler.locator("dd[data-field='address']")).to_have_text(CALLER["address"])
        expect(handler.locator("#claim-on-complete")).to_be_visible()
        form_labels = [
            text.strip().rstrip("*").strip()
            for text in handler.locator("#task-form label[for^='f-']").all_inner_texts()
        ]
        fill_form(
            handler, {"investigation": "入户阀门卡滞,已疏通", "outcome": "resolved", "result": "已恢复供热"}
        )
        shot(handler, way.name("06-department-task"))
        complete(handler, complaint)
        speaks_only_its_language(handler, way, sessions)

        open_task(dispatcher, "callback", repair)
        fill_form(dispatcher, {"satisfied": "yes", "callback_note": "客户满意"})
        complete(dispatcher, repair)

        # Point 2: work in a department nobody belongs to is handed to a group, with a reason (C4)
        stuck, _stuck_id = record_case(sessions, runtime, category="conduct", department="customer_service")
        stuck_task = task_of(sessions, _stuck_id, "department_handling")
        enter(supervisor, "supervisor", way)
        supervisor.goto(f"/tasks/{stuck_task}")
        button = supervisor.locator("#complete")
        expect(button).to_be_disabled()
        assert button.evaluate("b => getComputedStyle(b).backgroundColor") == DISABLED_GREY
        expect(supervisor.locator("#nobody-in-groups")).to_be_visible()
        supervisor.locator("#reassign-to").select_option("group:operations")
        supervisor.fill("#handover-reason", "客服中心暂无人员")
        fits(supervisor, way)
        shot(supervisor, way.name("07-handover"))
        supervisor.click("#reassign")
        supervisor.goto(f"/cases/{stuck}")
        expect(supervisor.locator("#history li.kind-task_reassigned").last).to_contain_text(
            "客服中心暂无人员"
        )

        # Point 5: the complaint's callback has a deadline and reaches the overdue board (C5)
        clock.advance(timedelta(hours=23, minutes=30))
        supervisor.goto("/board")
        row = supervisor.locator(
            f"#board-live tr.board-item[data-case='{complaint}'][data-element='callback']"
        )
        expect(row).to_have_count(1)
        expect(row).to_have_class(re.compile("due-soon"))
        fits(supervisor, way)
        row.scroll_into_view_if_needed()
        shot(supervisor, way.name("08-board-callback"))
        speaks_only_its_language(supervisor, way, sessions)

        # Point 8: the history in people's words, in form order, without rule ids
        supervisor.goto(f"/cases/{complaint}")
        expect(supervisor.locator("#case-viewer")).to_have_attribute("data-rendered", "true")
        history_in_plain_words(supervisor)
        completed = supervisor.locator("#history li.kind-task_claimed_on_completion + li.kind-task_completed")
        rows = [
            text.strip() for text in completed.locator("table.diff tbody td:first-child").all_inner_texts()
        ]
        shown_in_form = [label for label in form_labels if label in rows]
        assert rows and [label for label in rows if label in shown_in_form] == shown_in_form, (
            f"the history lists {rows}, the form {form_labels}"
        )
        fits(supervisor, way)
        shot(supervisor, way.name("09-case-page"))
        speaks_only_its_language(supervisor, way, sessions)

    # Point 7: the week's sampled callback shows its facts read-only (M1)
    with sessions.begin() as session:
        drawn = draw_weekly_sample(session, runtime, week_of(date(2026, 11, 23)), "tester")
    assert drawn.created and list(drawn.callbacks) == [repair]
    callback_number = drawn.callbacks[repair]
    open_task(page, "sample_callback", callback_number)
    for field in ("original_case", "customer_name", "customer_phone"):
        expect(page.locator(f"#f-{field}")).to_have_attribute("data-readonly", "true")
    expect(page.locator("#f-original_case")).to_have_text(repair)
    # Nothing has been reworked yet: the rework's result is not shown as an empty line.
    expect(page.locator("#f-rework_result")).to_have_count(0)
    fits(page, way)
    shot(page, way.name("10-sampled-callback"))
    speaks_only_its_language(page, way, sessions)

    # Point 10: the public notices as one card per outage on a phone, a table row on a desktop
    notices_fit(page, way, sessions, _stuck_id, stuck)


@pytest.mark.parametrize("way", [ZH_PHONE, EN_DESKTOP], ids=["zh-360", "en-1400"])
def test_the_key_pages_of_the_day_in_the_other_language_and_width(
    page: Page,
    server: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    way: Way,
) -> None:
    """The intake with a repeat caller (1, 11), the case page's history and diagram (6, 8, 9) and the
    public notices (10) in Chinese on a phone and in English on a desktop."""
    enter(page, "operator", way)
    complaint = record_complaint(page, way)
    find_repeat_caller(page, way, complaint)
    speaks_only_its_language(page, way, sessions)
    with second_browser(page, server, way.viewport, phone=way.phone) as handler:
        enter(handler, "ops_handler", way)
        open_task(handler, "department_handling", complaint)
        fill_form(
            handler, {"investigation": "入户阀门卡滞,已疏通", "outcome": "resolved", "result": "已恢复供热"}
        )
        complete(handler, complaint)
    page.goto(f"/cases/{complaint}")
    history_in_plain_words(page)
    fits(page, way)
    shot(page, way.name("09-case-page"))
    speaks_only_its_language(page, way, sessions)
    _number, case_id = record_case(sessions, runtime)
    notices_fit(page, way, sessions, case_id, _number)
