"""The case pages of a call activity's parent and child link to each other (issue 21), and the parent
lists the child as still running until it ends."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import linked_cases, runner
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT
from tests.web.support import login

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"


def test_parent_and_child_case_pages_link_to_each_other(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        for name in ("runs_user_task", "runs_call_activity"):
            deploy(session, runtime, (CORPUS / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", "test")
    with sessions.begin() as session:
        parent = runner.start_case(session, runtime, "runs_call_activity", OPERATOR)
        [child] = linked_cases(session, parent.id)[1]
    login(client, "supervisor")
    parent_page = client.get(f"/cases/{parent.case_number}").get_data(as_text=True)
    assert 'id="linked-cases"' in parent_page and f"/cases/{child.case_number}" in parent_page
    assert "等待其结束" in parent_page
    child_page = client.get(f"/cases/{child.case_number}").get_data(as_text=True)
    assert f"/cases/{parent.case_number}" in child_page and "调用方" in child_page
