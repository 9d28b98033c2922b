"""A process owner changes the complaint procedure in the browser's modeler: renames a task and changes
its deadline in the properties panel, sees a faulty timer marked and the deploy refused, fixes it,
deploys with a comment, and the next complaint runs the new version (the operator's tasklist shows the
new name; the deadline is the new one). Unsaved edits are not lost without a warning."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.definitions import latest_definition
from engine.db.models import HumanTask, ProcessInstance
from engine.processes.versions import latest_draft
from tests.browser.support import Page, expect, shot, sign_in, sign_out, start_case
from tests.helpers import intake_form

pytestmark = pytest.mark.browser

NEW_NAME = "派发现场工单(电话确认)"


def open_in_modeler(page: Page, key: str) -> None:
    page.click("#nav-processes")
    page.click(f"#edit-{key}")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")


def owner_opens_complaint(page: Page) -> None:
    sign_in(page, "owner")
    open_in_modeler(page, "complaint")


def select_shape(page: Page, element_id: str) -> None:
    page.locator(f".djs-element[data-element-id='{element_id}']").first.click()
    expect(page.locator(f".djs-element.selected[data-element-id='{element_id}']")).to_have_count(1)


def open_group(page: Page, group: str) -> None:
    header = page.locator(f"[data-group-id='group-{group}'] > .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def rename(page: Page, element_id: str, name: str) -> None:
    select_shape(page, element_id)
    open_group(page, "general")
    page.fill("#bio-properties-panel-name", name)


def set_timer(page: Page, expression: str) -> None:
    open_group(page, "timer")
    page.fill("#bio-properties-panel-timerEventDefinitionValue", expression)
    page.locator("#bio-properties-panel-timerEventDefinitionValue").blur()


def test_a_process_owner_changes_complaint_and_new_cases_follow_it(
    page: Page, sessions: sessionmaker[Session]
) -> None:
    sign_in(page, "owner")
    page.click("#nav-processes")
    expect(page.locator("#procedures tr[data-key='complaint']")).to_contain_text("版本 1")
    shot(page, "modeler-01-procedures")
    open_in_modeler(page, "complaint")
    expect(page.locator("#problem-count")).to_have_text("0")
    shot(page, "modeler-02-opened")

    # Rename the site order task in the properties panel: the diagram shows it and the page knows it is unsaved.
    rename(page, "dispatch_site_order", NEW_NAME)
    expect(page.locator(".djs-element[data-element-id='dispatch_site_order']")).to_contain_text("电话确认")
    expect(page.locator("#dirty-flag")).to_be_visible()

    # A timer naming nothing the case holds: checked as soon as it is typed, listed with its element,
    # marked on the diagram; the Check button says so in the status line.
    select_shape(page, "dispatch_deadline")
    set_timer(page, "site_order_deadline")
    problem = page.locator("#problems button.problem[data-element='dispatch_deadline']")
    expect(problem).to_have_count(1)
    page.click("#validate")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("dispatch_deadline")
    expect(page.locator(".djs-element.hotline-failed[data-element-id='dispatch_deadline']")).to_have_count(1)
    expect(page.locator("#modeler-status")).to_have_class(re.compile("error"))
    shot(page, "modeler-03-problem-marked")

    # Deploying is refused while the problem remains; nothing new is deployed.
    page.click("#deploy")
    page.fill("#deploy-comment", "派单时电话确认,时限改为5分钟")
    page.click("#deploy-confirm")
    expect(page.locator("#modeler-status")).to_contain_text("未部署")
    expect(problem).to_have_count(1)
    with sessions() as session:
        assert latest_definition(session, "complaint").version == 1

    # The problem in the list selects the timer; fixed there, the check is clean and the mark goes.
    select_shape(page, "callback")
    problem.click()
    expect(page.locator(".djs-element.selected[data-element-id='dispatch_deadline']")).to_have_count(1)
    set_timer(page, "PT5M")
    page.click("#validate")
    expect(page.locator("#problem-count")).to_have_text("0")
    expect(page.locator(".djs-element.hotline-failed")).to_have_count(0)

    page.click("#save-draft")
    expect(page.locator("#modeler-status")).to_contain_text("草稿已保存")
    expect(page.locator("#dirty-flag")).to_be_hidden()

    page.click("#deploy")
    expect(page.locator("#deploy-comment")).to_have_value("派单时电话确认,时限改为5分钟")
    page.click("#deploy-confirm")
    expect(page.locator("#modeler-status")).to_contain_text("版本 2")
    expect(page.locator("#link-migrate")).to_have_attribute("href", "/processes/complaint/migrate")
    expect(page.locator("#open-version")).to_have_value("2")
    shot(page, "modeler-04-deployed")
    with sessions() as session:
        deployed = latest_definition(session, "complaint")
        assert deployed.version == 2 and deployed.deployed_by == "owner"
        assert NEW_NAME in deployed.bpmn_xml and "PT5M" in deployed.bpmn_xml
    sign_out(page)

    # The next complaint that needs a site visit runs version 2: new name, five minutes to dispatch.
    sign_in(page, "operator")
    # A call to the own hotline: the page hides the platform's reference and deadline, left blank.
    form = {k: v for k, v in intake_form(needs_site_visit=True).items() if not k.startswith("upstream_")}
    number = start_case(page, "complaint", form)
    page.goto("/tasks")
    row = page.locator("#tasklist tr", has_text=number)
    expect(row.locator("a.task-link[data-element='dispatch_site_order']")).to_have_text(NEW_NAME)
    shot(page, "modeler-05-tasklist-new-name")
    with sessions() as session:
        task = session.scalars(
            select(HumanTask)
            .join(ProcessInstance)
            .where(ProcessInstance.case_number == number, HumanTask.element_id == "dispatch_site_order")
        ).one()
        assert task.instance.definition.version == 2
        assert task.due_at - task.created_at == timedelta(minutes=5)


def test_leaving_with_unsaved_changes_asks_first(page: Page) -> None:
    owner_opens_complaint(page)
    rename(page, "callback", "回访客户(24小时内)")
    expect(page.locator("#dirty-flag")).to_be_visible()

    asked: list[str] = []

    def stay(dialog) -> None:  # noqa: ANN001 - a Playwright Dialog
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.click("#nav-processes")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/modeler/complaint$"))
    expect(page.locator(".djs-element[data-element-id='callback']")).to_contain_text("24小时内")

    # Ctrl+S keeps the edit as a draft; then the page may be left without a question.
    page.keyboard.press("Control+s")
    expect(page.locator("#modeler-status")).to_contain_text("草稿已保存")
    expect(page.locator("#dirty-flag")).to_be_hidden()
    page.click("#nav-processes")
    expect(page.locator("#procedures tr[data-key='complaint'] .draft")).to_contain_text("林流程")
    assert asked == ["beforeunload"]


def test_a_new_procedure_starts_from_a_blank_pool_and_is_kept_as_a_draft(
    page: Page, sessions: sessionmaker[Session]
) -> None:
    sign_in(page, "owner")
    page.click("#nav-processes")
    page.fill("#new-key", "water_quality")
    page.fill("#new-name", "水质投诉")
    page.click("#new-blank")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    expect(page.locator(".djs-element[data-element-id='Participant_water_quality']")).to_contain_text(
        "水质投诉"
    )
    expect(page.locator(".djs-element[data-element-id='start']")).to_be_visible()
    expect(page.locator("#open-version")).to_have_count(0)

    page.click("#save-draft")
    expect(page.locator("#modeler-status")).to_contain_text("草稿已保存")
    shot(page, "modeler-06-blank-saved")
    with sessions() as session:
        assert latest_draft(session, "water_quality").saved_by == "owner"
        assert latest_definition(session, "water_quality", required=False) is None

    page.click("#nav-processes")
    row = page.locator("#procedures tr[data-key='water_quality']")
    expect(row.locator(".latest-version")).to_contain_text("尚未部署")
    expect(row.locator(".draft")).to_contain_text("林流程")
    page.click("#edit-water_quality")
    expect(page.locator("#opened-from")).to_contain_text("草稿")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")


def test_files_that_are_no_diagram_are_refused_with_a_clear_message(page: Page) -> None:
    owner_opens_complaint(page)
    status = page.locator("#modeler-status")

    page.set_input_files(
        "#upload-file",
        files=[
            {
                "name": "photo.bpmn",
                "mimeType": "application/xml",
                "buffer": b"<html><body>not a diagram</body></html>",
            }
        ],
    )
    expect(status).to_contain_text("文件是网页（HTML），不是流程图或决策表")
    expect(status).to_have_class(re.compile("error"))
    page.set_input_files(
        "#upload-file",
        files=[{"name": "huge.bpmn", "mimeType": "application/xml", "buffer": b" " * (3 * 1024 * 1024)}],
    )
    expect(status).to_contain_text("2097152")
    shot(page, "modeler-07-upload-refused")
    # The diagram on the canvas is still the one opened, unchanged.
    expect(page.locator(".djs-element[data-element-id='dispatch_site_order']")).to_be_visible()
    expect(page.locator("#dirty-flag")).to_be_hidden()


def test_edits_survive_a_session_that_ended(page: Page) -> None:
    owner_opens_complaint(page)
    rename(page, "callback", "回访客户(当日)")
    page.context.clear_cookies()

    page.click("#save-draft")
    expect(page.locator("#modeler-status")).to_contain_text("退出登录")
    expect(page.locator("#dirty-flag")).to_be_visible()
    expect(page.locator(".djs-element[data-element-id='callback']")).to_contain_text("当日")


def test_the_modeler_in_english(page: Page) -> None:
    owner_opens_complaint(page)
    page.click("#lang-switch")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    expect(page.locator("#save-draft")).to_have_text("Save draft")
    expect(page.locator("#opened-from")).to_contain_text("opened from version 1")
    select_shape(page, "dispatch_deadline")
    set_timer(page, "site_order_deadline")
    page.click("#validate")
    expect(page.locator("#problems button.problem[data-element='dispatch_deadline']")).to_contain_text(
        "uses 'site_order_deadline'"
    )
    expect(page.locator("#modeler-status")).to_contain_text("1 problem(s) must be fixed before deploying.")
    shot(page, "modeler-08-english")
