"""A task form's change reads the sign-in session in the unit that makes the change (issue 15): one
transaction per request, and everything the session check refused before is still refused, at the next
request: a signed-out session, a disabled account, a changed password, an idle session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import HumanTask, SignInSession
from engine.people import find_user, set_active, set_password
from engine.runtime import Runtime
from tests.web.support import get, login, logout, post, record_case, task_of
from tests.web.test_sessions import copy_of

HANDLING = {"investigation": "热力站循环泵故障。", "outcome": "resolved", "result": "已更换循环泵。"}


@contextmanager
def transactions(app: Flask) -> Iterator[list[str]]:
    """Every transaction a unit of the app begins inside the block (its session's, on both databases)."""
    begun: list[str] = []
    units = app.extensions["hotline"].sessions

    def remember(_session: object, _transaction: object, _connection: object) -> None:
        begun.append("begin")

    event.listen(units, "after_begin", remember)
    try:
        yield begun
    finally:
        event.remove(units, "after_begin", remember)


def status_of(sessions: sessionmaker[Session], task_id: int) -> str:
    with sessions() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None
        return task.status


def handling_task(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    _number, case_id = record_case(sessions, runtime)
    return task_of(sessions, case_id, "department_handling")


def test_a_completion_runs_one_transaction(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    task_id = handling_task(sessions, runtime)
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()

    with transactions(app) as begun:
        page = post(client, f"/tasks/{task_id}", HANDLING, token)

    assert page.status == 302
    assert begun == ["begin"], "the session check and the completion share one transaction"
    assert status_of(sessions, task_id) == "completed"


def test_a_page_that_only_reads_still_checks_the_session_apart(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The counterpart: the fold is only for views marked as beginning with a change."""
    task_id = handling_task(sessions, runtime)
    login(client, "ops_handler")

    with transactions(app) as begun:
        assert get(client, f"/tasks/{task_id}").status == 200

    assert len(begun) >= 2, "the session check's own read-only unit, then the page's"


@pytest.mark.parametrize("change", ["signed out", "password", "disabled"])
def test_a_session_ended_elsewhere_completes_nothing_at_the_next_request(
    app: Flask, sessions: sessionmaker[Session], runtime: Runtime, change: str
) -> None:
    task_id = handling_task(sessions, runtime)
    phone = app.test_client()
    login(phone, "ops_handler")
    token = get(phone, f"/tasks/{task_id}").csrf_token()
    office = copy_of(phone, app)  # the same session, open in a second browser
    if change == "signed out":
        logout(phone)
    else:
        with sessions.begin() as session:
            handler = find_user(session, "ops_handler")
            assert handler is not None
            if change == "password":
                set_password(session, runtime.clock, handler, "a-new-password")
            else:
                set_active(session, runtime.clock, handler, False)

    page = post(office, f"/tasks/{task_id}", HANDLING, token)

    assert page.status == 302 and page.response.headers["Location"].startswith("/login")
    assert status_of(sessions, task_id) == "open"


def test_an_idle_session_completes_nothing_and_asks_for_the_password(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    app.config["HOTLINE_IDLE_MINUTES"] = 30
    task_id = handling_task(sessions, runtime)
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    clock.advance(timedelta(minutes=31))

    page = post(client, f"/tasks/{task_id}", HANDLING, token)

    assert page.status == 302 and page.response.headers["Location"].startswith("/login")
    assert status_of(sessions, task_id) == "open"


def test_a_refused_form_still_keeps_the_session_from_going_idle(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """ "Last seen" is written in the view's unit and committed at once, so a form the use case refuses
    (nothing of the view's change is kept) still counts as activity."""
    app.config["HOTLINE_IDLE_MINUTES"] = 30
    task_id = handling_task(sessions, runtime)
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    clock.advance(timedelta(minutes=2))

    page = post(client, f"/tasks/{task_id}", {**HANDLING, "outcome": ""}, token)

    assert page.status == 400
    with sessions() as session:
        assert session.scalar(select(SignInSession.last_seen_at)) == clock.now()
    assert status_of(sessions, task_id) == "open"
    clock.advance(timedelta(minutes=29))  # 31 minutes after signing in, 29 after the refused form
    assert post(client, f"/tasks/{task_id}", HANDLING, token).status == 302
    assert status_of(sessions, task_id) == "completed"


def test_the_session_check_of_a_change_is_the_last_hook_before_the_view(app: Flask) -> None:
    """On SQLite the view's unit holds the write lock from the session's read on: no other hook (the
    rate limiter, the input checks) runs inside it, keeping other writers' wait short."""
    hooks = [hook.__name__ for hook in app.before_request_funcs[None]]

    assert hooks[-1] == "_check_session_in_the_views_unit"
    assert hooks.index("_check_session_apart") < hooks.index("_refused_input")
