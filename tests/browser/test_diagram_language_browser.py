"""Diagrams speak the user's language: in Chinese the modeler's tools, menus and properties panel are
Chinese; in English the case page's diagram and the modeler draw every element by its English name
(name_en), the procedure's pool included. Renaming a step without its English name is warned about, and
after a deploy the header says which version is open."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import Page, expect, shot, sign_in
from tests.browser.test_modeler_browser import open_group, owner_opens_complaint, rename, select_shape
from tests.web.support import record_case

pytestmark = pytest.mark.browser

CHINESE = re.compile(r"[\u3400-\u9fff]")


def drawn_texts(page: Page, container: str) -> list[str]:
    """The texts drawn in the diagram inside `container` (shapes' and labels' names)."""
    texts = page.locator(f"{container} .djs-element text").all_text_contents()
    return [text.strip() for text in texts if text.strip()]


def test_the_modeler_speaks_chinese_in_chinese(page: Page) -> None:
    owner_opens_complaint(page)
    expect(page.locator(".djs-palette [data-action='hand-tool']")).to_have_attribute(
        "aria-label", "启用抓手工具"
    )
    select_shape(page, "intake")
    panel = page.locator("#properties")
    expect(panel.locator(".bio-properties-panel-header-type")).to_have_text("用户任务")
    expect(
        panel.locator("[data-group-id='group-general'] .bio-properties-panel-group-header-title")
    ).to_have_text("常规")
    open_group(page, "general")
    expect(panel.locator("label[for='bio-properties-panel-name']")).to_have_text("名称")
    expect(panel.locator("[data-group-id='group-CamundaPlatform__UserAssignment']")).to_contain_text(
        "用户分配"
    )
    expect(panel.locator("[data-group-id='group-CamundaPlatform__ExtensionProperties']")).to_contain_text(
        "扩展属性"
    )
    shot(page, "diagram-language-01-modeler-chinese")


def test_english_diagrams_are_drawn_with_english_names(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _case_id = record_case(sessions, runtime)
    sign_in(page, "supervisor")
    page.click("#lang-switch")
    page.goto(f"/cases/{number}")
    expect(page.locator("#case-diagram [data-rendered='true']")).to_have_count(1)
    shown = drawn_texts(page, "#case-diagram")
    assert "Register complaint" in shown and "Complaint" in shown, shown
    assert not [text for text in shown if CHINESE.search(text)], shown
    shot(page, "diagram-language-02-case-english")


def test_the_modeler_draws_english_names_and_warns_when_one_falls_behind(page: Page) -> None:
    owner_opens_complaint(page)
    page.click("#lang-switch")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    shown = drawn_texts(page, "#canvas")
    assert "Investigate, handle and reply" in shown and "Hotline operator" in shown, shown
    assert not [text for text in shown if CHINESE.search(text)], shown

    rename(page, "callback", "回访客户(当日)")
    page.click("#validate")
    warning = page.locator("#problems button.warning[data-element='callback']")
    expect(warning).to_contain_text("'Call back the customer'")
    shot(page, "diagram-language-03-modeler-english-warning")

    page.click("#deploy")
    page.fill("#deploy-comment", "same-day callback")
    page.click("#deploy-confirm")
    expect(page.locator("#modeler-status")).to_contain_text("Version 2 of complaint deployed")
    expect(page.locator("#opened-from")).to_have_text("opened from version 2")
    expect(page.locator("#problems button.warning[data-element='callback']")).to_have_count(1)


def test_the_properties_panels_own_buttons_speak_chinese(page: Page) -> None:
    """The panel draws a section's toggle, a list's add button and its item count with built-in English
    texts; in Chinese they are translated like the rest of the panel, also after the panel redraws."""
    owner_opens_complaint(page)
    select_shape(page, "intake")
    panel = page.locator("#properties")
    expect(panel.locator(".bio-properties-panel-add-entry-label").first).to_have_text("新建")
    expect(panel.locator("button.bio-properties-panel-arrow").first).to_have_attribute(
        "title", "展开/收起此部分"
    )
    select_shape(page, "department_handling")
    expect(panel.locator("[title^='List contains']")).to_have_count(0)
    expect(panel.locator("[title^='共 ']").first).to_have_attribute("title", re.compile(r"^共 \d+ 项$"))
    english = panel.locator("[title='Toggle section'], [title='Delete item'], [title='Create new list item']")
    expect(english).to_have_count(0)
