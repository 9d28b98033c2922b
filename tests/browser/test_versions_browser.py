"""The versions pages in chromium: the changes between two versions drawn side by side, the changed
element marked in both diagrams; a rollback through the keyboard-usable form; every page readable on a
360-px-wide screen."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Engine
from engine.versions import deploy_version

from ..helpers import COMPLAINT_BPMN, edited, set_attribute
from .support import Page, expect, shot, sign_in

pytestmark = pytest.mark.browser

RENAMED = edited(COMPLAINT_BPMN, set_attribute("//bpmn:userTask[@id='callback']", "name", "电话回访"))


@pytest.fixture
def owner_page(page: Page, sessions: sessionmaker[Session], runtime: Engine) -> Page:
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


@pytest.mark.parametrize("url", ["/processes", "/processes/complaint/versions",
                                 "/processes/complaint/versions/diff?from=1&to=2",
                                 "/processes/complaint/migrate?dry_run=1&from=1&to=2"])
def test_readable_on_a_narrow_screen(owner_page: Page, url: str) -> None:
    page = owner_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "versions-narrow-" + url.strip("/").split("?")[0].replace("/", "-"))

