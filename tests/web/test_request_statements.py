"""What a task completion through the web asks the database besides the engine's unit (issue 15): the
session with its account and roles in one statement, the task with its case once for the view's check
and the use case together, and no session cookie sent again on requests that did not change it."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.web.support import get, login, post, record_case, statements, task_of

HANDLING = {"investigation": "热力站循环泵故障。", "outcome": "resolved", "result": "已更换循环泵。"}


def _selects_from(sent: list[str], table: str) -> list[str]:
    flat = [" ".join(s.split()) for s in sent]
    return [s for s in flat if s.startswith("SELECT") and re.search(rf"\bFROM {table}\b", s)]


def test_a_completion_reads_the_session_once_and_the_task_with_its_case_once(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()

    with statements(app) as sent:
        page = post(client, f"/tasks/{task_id}", HANDLING, token)

    assert page.status == 302
    session_reads = _selects_from(sent, "sign_in_session")
    assert len(session_reads) == 1 and "JOIN app_user" in session_reads[0] and "user_role" in session_reads[0]
    assert _selects_from(sent, "app_user") == [] and _selects_from(sent, "user_role") == []
    task_reads = _selects_from(sent, "human_task")
    # The task with its case (the view's check, kept for the use case), then the case's open rows
    # under its lock.
    assert len(task_reads) == 2, task_reads
    assert "JOIN process_instance" in task_reads[0]


def test_a_request_that_changes_nothing_in_the_cookie_does_not_send_it_again(client: FlaskClient) -> None:
    login(client, "ops_handler")
    get(client, "/tasks")  # the tasklist's form stores the CSRF token in the session once

    answer = client.get("/tasks")

    assert answer.status_code == 200
    assert not [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert get(client, "/tasks").status == 200, "the cookie of the sign-in still signs in"


def test_the_session_cookie_says_what_flasks_own_serializer_says(app: Flask) -> None:
    from datetime import UTC, datetime
    from uuid import UUID

    from flask.json.tag import TaggedJSONSerializer
    from markupsafe import Markup

    ours = app.session_interface.serializer  # type: ignore[attr-defined]
    assert type(ours) is not TaggedJSONSerializer  # plain values skip the tags
    session = {
        "_user_id": "9f2c",
        "_fresh": True,
        "csrf_token": "a" * 40,
        "lang": "en",
        "count": 3,
        "share": 0.5,
        "nothing": None,
        "_flashes": [("success", "任务已完成。"), ("info", Markup("<b>粗</b>"))],
        "nested": {"at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "raw": b"\x00\x01", "id": UUID(int=7)},
        "tag_like": {" t": ["not", "a", "tuple"]},
    }
    # As in a request, where Flask writes the session's JSON with the app's provider (sorted keys).
    with app.test_request_context("/tasks"):
        assert ours.dumps(session) == TaggedJSONSerializer().dumps(session)
        assert ours.loads(ours.dumps(session)) == TaggedJSONSerializer().loads(
            TaggedJSONSerializer().dumps(session)
        )
