"""Completing a task twice (a double click, a second browser tab, a colleague who was quicker):
the second attempt gets 409 with a message a person understands, and changes nothing."""

from __future__ import annotations

import contextlib
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.db.models import Event, HumanTask
from engine.runtime import Actor, Runtime
from tests.web.support import NAMES, Page, get, login, post, record_case, snapshot, task_of

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
    assert number in message and "调查处理并答复" in message and "赵运行" in message, message
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


@pytest.mark.real_commits
def test_four_people_sending_the_same_task_at_once_one_302_and_three_409(
    app: Flask,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14, item 5: on PostgreSQL 94 of 100 such races answered a bare 500. Now one request
    completes the task and the others answer 409 naming who was quicker; the history has one
    completion. On PostgreSQL every request is held until all four have read the task as open."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    users = ["ops_handler", "ops_head", "ops_handler", "ops_head"]
    clients = [app.test_client() for _ in users]
    tokens = []
    for client, user in zip(clients, users, strict=True):
        login(client, user)
        tokens.append(get(client, f"/tasks/{task_id}").csrf_token())
    all_read = threading.Barrier(len(users), timeout=20)
    if database_url.startswith("postgresql"):
        real_workable = runner.workable_task

        def read_then_wait(session: Session, wanted: int, actor: Actor) -> HumanTask:
            row = real_workable(session, wanted, actor)
            with contextlib.suppress(threading.BrokenBarrierError):
                all_read.wait()
            return row

        monkeypatch.setattr(runner, "workable_task", read_then_wait)
    start = threading.Barrier(len(users), timeout=20)
    answers: list[Page | None] = [None] * len(users)
    failures: list[str] = []  # the test client raises what would have been a 500

    def send(index: int) -> None:
        start.wait()
        try:
            answers[index] = post(clients[index], f"/tasks/{task_id}", HANDLING, tokens[index])
        except Exception as err:  # noqa: BLE001 - shown in the assertion
            failures.append(f"500: {type(err).__name__}: {str(err)[:200]}")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    pages = [a for a in answers if a is not None]
    assert failures == []
    assert sorted(p.status for p in pages) == [302, 409, 409, 409], [p.html[:300] for p in pages]
    with sessions() as session:
        (winner,) = session.scalars(
            select(Event.actor).where(
                Event.instance_id == case_id,
                Event.kind == "task_completed",
                Event.element_id == "department_handling",
            )
        ).all()
        assert session.get(HumanTask, task_id).completed_by == winner  # type: ignore[union-attr]
    for page in pages:
        if page.status == 409:
            assert "已被他人抢先处理" in page.html
            message = " ".join(e.text_content() for e in page.all("message"))
            assert NAMES[winner] in message, message
