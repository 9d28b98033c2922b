"""Sessions end on the server: signing out, a password change and a disabled account end them for
every copy of the cookie; idle and absolute lifetimes are decided by the server on the engine's clock,
not by what the cookie says; ended sessions are deleted (on sign-in and by the scheduler)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import SignInSession
from engine.people import SessionLimits, find_user, sessions_of, set_active, set_password
from engine.runtime import Runtime
from hotline.scheduling import delete_old_sessions
from tests.web.support import get, login, logout


def copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie (a stolen or shared cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def asks_for_sign_in(client: FlaskClient, url: str) -> bool:
    answer = client.get(url)
    return answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_a_copied_cookie_opens_nothing_after_sign_out(app: Flask, client: FlaskClient) -> None:
    login(client, "supervisor")
    copied = copy_of(client, app)
    assert copied.get("/reports").status_code == 200, "the copy works while the session lasts"

    logout(client)

    assert asks_for_sign_in(copied, "/reports")
    assert asks_for_sign_in(copied, "/tasks")
    assert asks_for_sign_in(client, "/tasks")


def test_the_cookie_carries_a_random_session_token_not_the_account(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    first = copy_of(client, app)
    with first.session_transaction() as cookie_session:
        token = cookie_session["_user_id"]
        assert "seen_at" not in cookie_session, "idle time is kept on the server"
    with sessions() as session:
        operator = find_user(session, "operator")
        assert operator is not None and token != str(operator.id) and len(token) >= 40
        # Only the token's hash is stored: the table does not hand out working cookies.
        assert session.get(SignInSession, token) is None
        assert sessions_of(session, operator) == 1


def test_idle_time_is_decided_on_the_server_whatever_the_cookie_says(
    app: Flask, client: FlaskClient, clock: SettableClock
) -> None:
    app.config["HOTLINE_IDLE_MINUTES"] = 30
    login(client, "operator")
    clock.advance(timedelta(minutes=31))
    # A cookie that claims recent activity (an idle time kept in the cookie could be so refreshed).
    with client.session_transaction() as cookie_session:
        cookie_session["seen_at"] = clock.now().isoformat()
    page = get(client, "/cases")
    assert page.status == 302 and page.response.headers["Location"].startswith("/login?next=/cases")
    assert "30 分钟" in " ".join(get(client, "/login").flashes())
    assert asks_for_sign_in(client, "/tasks")


def test_activity_within_the_idle_limit_keeps_the_session_and_every_copy_shares_it(
    app: Flask, client: FlaskClient, clock: SettableClock
) -> None:
    app.config["HOTLINE_IDLE_MINUTES"] = 30
    login(client, "operator")
    assert client.get("/tasks").status_code == 200
    copied = copy_of(client, app)  # a cookie of this moment (an idle time kept in it would say so)
    for _ in range(4):
        clock.advance(timedelta(minutes=20))
        assert client.get("/tasks").status_code == 200
    # The copy was idle for 80 minutes, but the session was not: the server keeps one idle time.
    assert copied.get("/tasks").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_however_active(
    app: Flask, client: FlaskClient, clock: SettableClock
) -> None:
    app.config["HOTLINE_IDLE_MINUTES"] = 30
    app.config["HOTLINE_SESSION_HOURS"] = 12
    login(client, "operator")
    for _ in range(12 * 3 - 1):
        clock.advance(timedelta(minutes=20))
        assert client.get("/tasks").status_code == 200
    clock.advance(timedelta(minutes=21))  # 12 h 1 min after signing in
    page = get(client, "/cases")
    assert page.status == 302 and page.response.headers["Location"].startswith("/login?next=/cases")
    assert "12 小时" in " ".join(get(client, "/login").flashes())
    assert asks_for_sign_in(client, "/tasks")
    login(client, "operator")
    assert client.get("/tasks").status_code == 200, "a new sign-in starts a new session"


@pytest.mark.parametrize("change", ["password", "disabled"])
def test_a_password_change_or_a_disabled_account_ends_every_session_of_the_user(
    app: Flask, sessions: sessionmaker[Session], runtime: Runtime, change: str
) -> None:
    office, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    login(office, "operator")
    login(phone, "operator")
    login(colleague, "dispatcher")

    with sessions.begin() as session:
        operator = find_user(session, "operator")
        assert operator is not None and sessions_of(session, operator) == 2
        if change == "password":
            set_password(session, runtime.clock, operator, "a-new-password")
        else:
            set_active(session, runtime.clock, operator, False)
        assert sessions_of(session, operator) == 0

    assert asks_for_sign_in(office, "/tasks")
    assert asks_for_sign_in(phone, "/tasks")
    assert colleague.get("/tasks").status_code == 200, "other users stay signed in"
    if change == "password":
        login(office, "operator", "a-new-password")
        assert office.get("/tasks").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    login(client, "operator")

    def last_seen() -> object:
        with sessions() as session:
            return session.scalar(select(SignInSession.last_seen_at))

    signed_in_at = last_seen()
    clock.advance(timedelta(seconds=50))
    assert client.get("/tasks").status_code == 200
    assert last_seen() == signed_in_at, "a read within the minute writes nothing"
    clock.advance(timedelta(seconds=20))
    assert client.get("/tasks").status_code == 200
    assert last_seen() == clock.now()


def test_ended_sessions_are_deleted_by_the_scheduler_and_on_sign_in(
    app: Flask, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    limits = SessionLimits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    app.config["HOTLINE_IDLE_MINUTES"] = 30
    app.config["HOTLINE_SESSION_HOURS"] = 12
    signed_out, idle, active = app.test_client(), app.test_client(), app.test_client()
    for client, user in ((signed_out, "operator"), (idle, "dispatcher"), (active, "liaison")):
        login(client, user)
    logout(signed_out)
    clock.advance(timedelta(minutes=20))
    assert active.get("/tasks").status_code == 200
    clock.advance(timedelta(minutes=20))  # the dispatcher's session is idle for 40 minutes

    def stored() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(SignInSession)) or 0

    assert stored() == 3
    assert delete_old_sessions(runtime, sessions, limits) == 2
    assert stored() == 1
    assert active.get("/tasks").status_code == 200, "the session in use is kept"

    clock.advance(timedelta(hours=13))  # the liaison's session is past its lifetime now
    login(app.test_client(), "operator")  # signing in sweeps too
    assert stored() == 1
