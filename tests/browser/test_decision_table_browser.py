"""The decision table editor (issue 21): a process owner changes a row of the routing table in dmn-js,
checks and deploys it as a new version, and the next repair case is routed by the new row (R2, R3, 003
art. 13), without a new diagram."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.decisions import decision_versions
from engine.runtime import Actor, Runtime
from tests.browser.support import Page, expect, shot, sign_in

pytestmark = pytest.mark.browser

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))
REPAIR_FORM = {
    "customer_name": "刘洋",
    "customer_phone": "13900000001",
    "address": "金明区3号楼1单元101",
    "description": "厨房水管接头漏水,地面有积水。",
    "category": "leak",
    "department": "",
    "urgent": "",
}


def test_an_owner_reroutes_leaks_in_the_table_and_the_next_repair_follows_r2_r3(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    sign_in(page, "owner")
    page.goto("/processes")
    page.click("#link-decisions")
    expect(page.locator("#decision-routing")).to_contain_text("routing")
    page.click("#edit-routing")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    cell = page.locator('td[data-row-id="rule_leak"][data-col-id="output_department"]')
    expect(cell).to_contain_text('"repair"')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('"operations"')
    expect(cell).to_contain_text('"operations"')

    page.click("#validate")
    expect(page.locator("#decision-status")).to_have_class("modeler-status ok")
    expect(page.locator("body")).to_have_attribute("data-problems", "0")
    page.once("dialog", lambda dialog: dialog.accept("漏水改由生产运行处理"))
    page.click("#deploy")
    expect(page.locator("body")).to_have_attribute("data-deployed-version", "2")
    shot(page, "decision-table-deployed")

    with sessions.begin() as session:
        versions = decision_versions(session, "routing")
        assert [(v.version, v.source, v.comment) for v in versions][0] == (
            2,
            "browser",
            "漏水改由生产运行处理",
        )
        case = start_case(session, runtime, "repair", DISPATCHER, dict(REPAIR_FORM))
        assert (case.data["department"], case.data["onsite_limit_minutes"]) == ("operations", 30)
