"""Diagrams drawn in Camunda Modeler 5 (issue 21): each diagram of the construct corpus that runs or is
ignored with a warning opens in the browser's modeler with nothing bpmn-js could not read and nothing
to fix; an ignored construct is listed beside the diagram as a warning, a refused one as a problem."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.browser.support import Page, expect, shot, sign_in
from tests.integration.processes.test_foreign_constructs import CORPUS, EXPECTED, REFUSED

pytestmark = pytest.mark.browser


def upload(page: Page, name: str) -> None:
    page.set_input_files("#upload-file", str(CORPUS / f"{name}.bpmn"))
    expect(page.locator("#modeler-status")).to_contain_text(f"{name}.bpmn")


def test_diagrams_that_run_or_are_ignored_open_in_the_modeler_without_a_warning_of_bpmn_js(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:  # the procedure the corpus's call activity calls, deployed first
        deploy(session, runtime, (CORPUS / "runs_user_task.bpmn").read_bytes(), "runs_user_task.bpmn", "test")
    sign_in(page, "owner")
    page.goto("/modeler/complaint")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    for name, (support, found, _words) in EXPECTED.items():
        if support is REFUSED:
            continue
        upload(page, name)
        expect(page.locator("body")).to_have_attribute("data-import-warnings", "0")
        expect(page.locator("#problem-count")).to_have_text("0")
        warnings = page.locator("#problems button.warning")
        if not found:
            expect(warnings).to_have_count(0)
        else:  # ignored, or JUEL run as Python: its warning or notice
            code, element = found[0]
            expect(page.locator(f"#problems button.warning[data-code='{code}']")).to_have_attribute(
                "data-element", element
            )
    shot(page, "modeler-foreign-ignored")


def test_a_refused_construct_is_listed_beside_the_diagram_with_its_way_forward(page: Page) -> None:
    sign_in(page, "owner")
    page.goto("/modeler/complaint")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    upload(page, "refused_service_class")
    expect(page.locator("body")).to_have_attribute("data-import-warnings", "0")
    # The upload's check runs on the server (with the script sandbox): give a busy machine time.
    expect(page.locator("#problem-count")).to_have_text("1", timeout=20_000)
    problem = page.locator("#problems button.problem[data-code='construct-servicetask-java']")
    expect(problem).to_contain_text("服务任务")
    expect(problem).to_contain_text("脚本任务")
    shot(page, "modeler-foreign-refused")
