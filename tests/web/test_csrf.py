"""Every form post carries the CSRF token of the signed-in session; a post without it (or with
someone else's) is refused with 400 and writes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.helpers import intake_form
from tests.web.support import get, login, post, record_case, rows, snapshot, task_of

HANDLING = {"investigation": "热力站循环泵故障。", "outcome": "resolved", "result": "已更换循环泵。"}
EXPIRED = "表单已过期"


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
def test_recording_a_complaint_without_the_token_is_refused(
    client: FlaskClient, sessions: sessionmaker[Session], token: str | None
) -> None:
    login(client, "operator")
    before = rows(sessions)

    page = post(client, "/cases/new/complaint", intake_form(), token)

    assert page.status == 400
    assert EXPIRED in page.html and "请刷新页面后重新提交表单。" in page.html
    assert rows(sessions) == before


def test_completing_a_task_without_the_token_is_refused(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    before = snapshot(sessions, case_id)
    login(client, "ops_handler")

    page = post(client, f"/tasks/{task_id}", HANDLING, None)

    assert page.status == 400
    assert EXPIRED in page.html
    assert snapshot(sessions, case_id) == before


def test_another_sessions_token_is_refused(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A token read from someone else's page (e.g. by a forged page) is worth nothing in this session."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    before = snapshot(sessions, case_id)
    other = app.test_client()
    login(other, "ops_handler")
    foreign_token = get(other, "/tasks").csrf_token()
    login(client, "ops_handler")

    assert post(client, f"/tasks/{task_id}", HANDLING, foreign_token).status == 400
    assert snapshot(sessions, case_id) == before


def test_sign_in_sign_out_and_language_need_the_token_too(client: FlaskClient) -> None:
    page = post(client, "/login", {"username": "operator", "password": "hotline123"}, None)
    assert page.status == 400
    assert get(client, "/tasks").status == 302, "not signed in"

    login(client, "operator")
    assert post(client, "/logout", {}, None).status == 400
    assert get(client, "/tasks").status == 200, "still signed in"

    assert post(client, "/lang/en", {}, None).status == 400
    assert get(client, "/tasks").lang == "zh-CN", "language unchanged"
