"""Who may do what: a department handler works only on their own department's tasks, and only
operators record complaints. Refused requests change nothing."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.helpers import intake_form
from tests.web.support import get, login, post, record_case, rows, snapshot, submit, task_of

HANDLING = {"investigation": "现场测温14度,阀门故障。", "outcome": "resolved", "result": "已更换阀门。"}


def test_a_department_handler_cannot_open_or_complete_another_departments_task(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C2, C4: the case belongs to the department it was handed to; the others get 403."""
    _number, case_id = record_case(sessions, runtime, department="billing", category="billing")
    task_id = task_of(sessions, case_id, "department_handling")
    before = snapshot(sessions, case_id)

    login(client, "ops_handler")
    page = get(client, f"/tasks/{task_id}")
    assert page.status == 403
    assert "无权访问" in page.html and not page.has("task-form")

    token = get(client, "/tasks").csrf_token()
    page = post(client, f"/tasks/{task_id}", HANDLING, token)
    assert page.status == 403
    assert snapshot(sessions, case_id) == before, "a refused completion writes nothing"


def test_a_supervisor_cannot_complete_a_department_task_either(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C3, C4: reading every case (the supervisor's role) is not doing the department's work."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    before = snapshot(sessions, case_id)

    login(client, "supervisor")
    token = get(client, "/tasks").csrf_token()
    assert post(client, f"/tasks/{task_id}", HANDLING, token).status == 403
    assert snapshot(sessions, case_id) == before
    page = get(client, f"/tasks/{task_id}")  # they may look at it, and reassign it, but not do it
    assert page.status == 200 and page.has("reassign-form") and not page.has("claim")
    assert page.by_id("complete").get("disabled") is not None


def test_a_department_handler_cannot_open_the_intake_page(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """C1, S3: complaints are recorded by the hotline operator who takes the call."""
    login(client, "ops_handler")
    tasks = get(client, "/tasks")
    assert not tasks.has("nav-new-complaint"), "no link to a page the user may not use"

    page = get(client, "/cases/new/complaint")
    assert page.status == 403
    assert not page.has("intake-form")

    before = rows(sessions)
    page = post(client, "/cases/new/complaint", intake_form(), tasks.csrf_token())
    assert page.status == 403
    assert rows(sessions) == before, "no case, no case number, no history"


def test_the_operator_has_the_intake_link(client: FlaskClient) -> None:
    login(client, "operator")
    tasks = get(client, "/tasks")
    assert tasks.by_id("nav-new-complaint").get("href") == "/cases/new/complaint"
    assert get(client, "/cases/new/complaint").has("intake-form")


def test_a_department_cannot_pass_the_case_to_another_department(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C4 (不得推诿): the handling form has no department field, and a department value slipped into
    the request is ignored: the case stays with operations."""
    number, case_id = record_case(sessions, runtime, department="operations")
    task_id = task_of(sessions, case_id, "department_handling")

    login(client, "ops_handler")
    page = submit(client, f"/tasks/{task_id}", {**HANDLING, "department": "billing"})
    assert page.status == 302

    assert snapshot(sessions, case_id)["case"]["data"]["department"] == "operations"
    case_page = get(client, f"/cases/{number}")
    assert case_page.doc.xpath("//dd[@data-field='department']")[0].text_content().strip() == "生产运行"


def test_unknown_tasks_and_cases_are_404(client: FlaskClient) -> None:
    login(client, "operator")
    assert get(client, "/tasks/999999").status == 404
    assert get(client, "/cases/TS-20991231-9999").status == 404
    assert get(client, "/cases/new/no-such-process").status == 404
