"""The versions pages in chromium: the changes between two versions drawn side by side, the changed
element marked in both diagrams; a rollback through the keyboard-usable form; every page readable on a
360-px-wide screen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.processes.versions import deploy_version
from engine.runtime import Runtime
from tests.browser.support import Page, expect, shot, sign_in
from tests.browser.test_phone_lists_browser import check_cards
from tests.helpers import COMPLAINT_BPMN, edited, set_attribute

pytestmark = pytest.mark.browser

RENAMED = edited(COMPLAINT_BPMN, set_attribute("//bpmn:userTask[@id='callback']", "name", "电话回访"))


@pytest.fixture
def owner_page(page: Page, sessions: sessionmaker[Session], runtime: Runtime) -> Page:
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "回访改名")
    sign_in(page, "owner")
    return page


def test_the_diff_draws_both_versions_with_the_change_marked(owner_page: Page) -> None:
    page = owner_page
    page.click("#nav-processes")
    page.click("#versions-complaint")
    page.select_option("#diff-from", "1")
    page.select_option("#diff-to", "2")
    page.click("#show-diff")
    for side in ("old", "new"):
        diagram = page.locator(f"#diagram-{side}")
        expect(diagram).to_have_attribute("data-rendered", "true")
        expect(diagram).to_have_attribute("data-warnings", "0")
        expect(diagram.locator('[data-element-id="callback"].hotline-changed')).to_have_count(1)
    expect(page.locator("#diagram-new .djs-element.hotline-changed")).to_have_count(1)
    shot(page, "versions-diff")


def test_rollback_from_the_keyboard(owner_page: Page) -> None:
    page = owner_page
    page.goto("/processes/complaint/versions")
    page.focus("#rollback-comment-1")
    page.keyboard.type("回到第一版")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#version-3")).to_contain_text("回到第一版")
    expect(page.locator(".flash.success")).to_contain_text("3")


def test_dry_run_then_move_the_chosen_cases(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    from tests.web.support import record_case

    first, _ = record_case(sessions, runtime)
    second, _ = record_case(sessions, runtime)
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "回访改名")
    sign_in(page, "owner")
    page.goto("/processes")
    page.click("#migrate-complaint")
    page.select_option("#m-from", "1")
    page.select_option("#m-to", "2")
    page.click("#dry-run")
    expect(page.locator("#plan h2")).to_contain_text("2 件工单中有 2 件可以")
    expect(page.locator(f"#plan-{first} .tokens")).to_contain_text("调查处理并答复")
    page.uncheck(f"#move-{second}")
    page.fill("#m-comment", "先迁移一件")
    shot(page, "versions-migrate-dry-run")
    page.click("#apply")
    expect(page.locator(".flash.success")).to_contain_text("1 件工单已迁移到版本 2")
    page.click("#dry-run")
    expect(page.locator(f"#plan-{second}")).to_be_visible()
    expect(page.locator(f"#plan-{first}")).to_have_count(0)


def test_the_drafts_faulty_element_is_marked(
    owner_page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    from engine.processes.versions import save_draft

    no_group = edited(
        COMPLAINT_BPMN,
        set_attribute(
            "//bpmn:userTask[@id='callback']", "{http://camunda.org/schema/1.0/bpmn}candidateGroups", None
        ),
    )
    with sessions.begin() as session:
        save_draft(session, no_group, "owner", clock=runtime.clock, zone=runtime.zone)
    page = owner_page
    page.goto("/processes/complaint/versions")
    expect(page.locator("#diagram-draft")).to_have_attribute("data-rendered", "true")
    expect(page.locator('#diagram-draft [data-element-id="callback"].hotline-problem')).to_have_count(1)


@pytest.mark.parametrize(
    "url",
    [
        "/processes",
        "/processes/complaint/versions",
        "/processes/complaint/versions/diff?from=1&to=2",
        "/processes/complaint/migrate?dry_run=1&from=1&to=2",
    ],
)
def test_readable_on_a_narrow_screen(owner_page: Page, url: str) -> None:
    page = owner_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "versions-narrow-" + url.strip("/").split("?")[0].replace("/", "-"))


def test_from_the_list_to_the_versions_and_back_into_the_modeler(owner_page: Page) -> None:
    page = owner_page
    page.click("#nav-processes")
    expect(page.locator("#procedures tr[data-key='complaint'] .latest-version")).to_contain_text("回访改名")
    page.click("#versions-complaint")
    page.click("#edit-version-1")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    expect(page.locator("#opened-from")).to_contain_text("版本 1")
    expect(page.locator(".djs-element[data-element-id='callback']")).to_contain_text("回访客户")
    expect(page.locator("#nav-processes")).to_have_class("active")
    page.locator(".crumb a").click()
    expect(page).to_have_url(re.compile(r"/processes$"))


def test_the_versions_and_their_audit_log_are_cards_on_a_phone(owner_page: Page) -> None:
    """On a phone each version (with its rollback form) and each audit entry is a card, every value after
    its column's name, instead of a table whose later columns hide behind a sideways scroll."""
    page = owner_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/processes/complaint/versions")
    check_cards(page, "#versions-table", "versions")
    check_cards(page, "#audit-table", "versions-audit")
    rollback = page.locator("#rollback-1").bounding_box()
    assert rollback is not None and rollback["x"] + rollback["width"] <= 360, (
        "the rollback button is off-screen"
    )
