"""Completing a task twice (a double click, a second browser tab, a colleague who was quicker):
the second attempt gets 409 with a message a person understands, and changes nothing."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.web.support import get, login, post, record_case, snapshot, task_of

HANDLING = {"investigation": "热力站循环泵故障。", "outcome": "resolved", "result": "已更换循环泵。"}
OTHER = {
    "investigation": "另一种说法:用户家阀门关闭。",
    "outcome": "extension",
    "extension_reason": "需要备件。",
}


def test_posting_the_same_task_twice_gives_409_and_changes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C3: one reply per handling task; the repeated post does not reply again or move the case."""
    number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()

    assert post(client, f"/tasks/{task_id}", HANDLING, token).status == 302
    after_first = snapshot(sessions, case_id)

    page = post(client, f"/tasks/{task_id}", OTHER, token)

    assert page.status == 409
    assert "已被他人抢先处理" in page.html
    message = " ".join(e.text_content() for e in page.all("message"))
    assert number in message and "调查处理并答复" in message and "赵运行 (生产运行部)" in message, message
    assert snapshot(sessions, case_id) == after_first, "the second attempt wrote nothing"
    assert after_first["case"]["data"]["outcome"] == "resolved"


def test_a_second_tab_that_was_slower_gets_409(
    client: FlaskClient, app, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Two open forms of the same task: the first one sent wins, the other is told and writes nothing."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    first, second = client, app.test_client()
    login(first, "ops_handler")
    login(second, "ops_handler")
    first_token = get(first, f"/tasks/{task_id}").csrf_token()
    second_token = get(second, f"/tasks/{task_id}").csrf_token()

    assert post(second, f"/tasks/{task_id}", OTHER, second_token).status == 302
    after_second = snapshot(sessions, case_id)
    page = post(first, f"/tasks/{task_id}", HANDLING, first_token)

    assert page.status == 409
    assert snapshot(sessions, case_id) == after_second
    assert after_second["case"]["data"]["outcome"] == "extension"


def test_opening_a_completed_task_leads_to_its_case(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    assert post(client, f"/tasks/{task_id}", HANDLING, token).status == 302

    page = get(client, f"/tasks/{task_id}")
    assert page.status == 302
    assert page.response.headers["Location"] == f"/cases/{number}"
    assert get(client, f"/cases/{number}").flashes()[-1] == "该任务已完成。"


def test_the_409_message_is_in_the_users_language(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    assert post(client, f"/tasks/{task_id}", HANDLING, token).status == 302

    page = post(client, f"/tasks/{task_id}", HANDLING, token)

    assert page.status == 409
    message = " ".join(e.text_content() for e in page.all("message"))
    assert "already" not in message and "of case" not in message, message
