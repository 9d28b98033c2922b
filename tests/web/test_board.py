"""The overdue board (/board): what is past due or due within the hour, grouped by the department or
group that has to act, the worst first (C4: supervisors chase what is late); incidents with retry."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.clock import SettableClock
from engine.db.models import ProcessInstance, Timer
from engine.runtime import Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import deadline_diagram, open_cases
from tests.web.case_story_support import late_case_with_incident
from tests.web.support import Page, get, login, post, record_case, submit, switch_user


def board(page: Page) -> list[tuple[str, list[str]]]:
    """(group, [case number of each row]) in the order shown."""
    assert page.status == 200, page.html[:2000]
    return [
        (section.get("data-group"), section.xpath(".//tr[contains(@class, 'board-item')]/@data-case"))
        for section in page.doc.xpath("//section[contains(@class, 'board-group')]")
    ]


def test_late_and_nearly_late_tasks_grouped_by_department_worst_first_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C4: replies due the same day; a day later the oldest is the worst, and its department comes first."""
    oldest, _ = record_case(sessions, runtime, department="operations")
    clock.advance(timedelta(days=1))
    repair, _ = record_case(sessions, runtime, category="leak", department="repair")
    newer, _ = record_case(sessions, runtime, department="operations")
    clock.advance(timedelta(hours=15, minutes=30))  # 00:30 local: the second day's replies are 30 min late
    (soon_id,) = open_cases(sessions, runtime, 1, deadline_diagram(minutes=10), key="small")
    (later_id,) = open_cases(sessions, runtime, 1, deadline_diagram(minutes=90, key="later"), key="later")
    with sessions() as session:
        soon, later = (session.get(ProcessInstance, i).case_number for i in (soon_id, later_id))  # type: ignore[union-attr]
    login(client, "supervisor")

    page = get(client, "/board")
    assert board(page) == [("operations", [oldest, newer]), ("repair", [repair]), ("operator", [soon])]
    assert later not in page.html  # due in 90 minutes: not yet on the board
    first_row = page.doc.xpath("//tr[@data-case=$n]", n=oldest)[0]
    assert "已超时 1 天 0 小时" in first_row.text_content() and "overdue" in first_row.get("class")
    soon_row = page.doc.xpath("//tr[@data-case=$n]", n=soon)[0]
    assert "剩余 10 分钟" in soon_row.text_content() and "due-soon" in soon_row.get("class")
    assert page.doc.xpath("//section[@id='group-operations']/h2")[0].text_content().split() == [
        "生产运行部",
        "2",
        "2",
        "项已超时",
    ]

    assert board(get(client, "/board?group=repair")) == [("repair", [repair])]


def test_the_board_refreshes_itself_without_a_page_reload(client: FlaskClient) -> None:
    login(client, "supervisor")
    page = get(client, "/board")
    assert page.by_id("board-live").get("data-refresh-seconds") == "45"
    assert page.doc.xpath("//script[contains(@src, 'board.js')]")
    assert page.doc.xpath("//noscript/meta[@http-equiv='refresh']/@content") == ["45"]
    assert page.has("board-empty")


def test_incidents_on_the_board_are_retried_from_it(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    case = late_case_with_incident(sessions, runtime, clock)
    login(client, "supervisor")
    page = get(client, "/board")
    assert "division by zero" in page.text(f"board-incident-{case.timer_id}")
    assert board(page) == [("operations", [case.number])]

    done = submit(client, "/board", {"back": "board"}, post_url=f"/incidents/{case.timer_id}/retry")
    assert done.status == 302 and done.response.headers["Location"] == "/board"
    assert not get(client, "/board").has(f"board-incident-{case.timer_id}")
    with sessions() as session:
        assert session.get(Timer, case.timer_id).status == "waiting"  # type: ignore[union-attr]


def test_heads_of_department_see_the_board_but_only_supervisors_retry(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    case = late_case_with_incident(sessions, runtime, clock)
    login(client, "ops_head")
    page = get(client, "/board")
    assert page.has(f"board-incident-{case.timer_id}") and not page.has(f"board-retry-{case.timer_id}")
    assert page.has("nav-board")


@pytest.mark.parametrize("username", ["operator", "ops_handler", "worker", "liaison", "owner"])
def test_staff_without_a_supervising_role_may_not_open_the_board(client: FlaskClient, username: str) -> None:
    login(client, username)
    assert get(client, "/board").status == 403
    assert not get(client, "/tasks").has("nav-board")


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_supervisors_and_administrators_open_the_board(client: FlaskClient, username: str) -> None:
    login(client, username)
    assert get(client, "/board").status == 200
    assert get(client, "/tasks").has("nav-board")


def test_a_timer_postponed_after_a_database_error_shows_as_retrying_on_the_board_and_incidents(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14 follow-up: not "past due, not fired yet" but retrying (n), the next try, the last error."""
    (case_id,) = open_cases(sessions, runtime, 1, deadline_diagram(minutes=10), key="small")
    clock.advance(timedelta(minutes=11))

    def database_is_locked(engine: Runtime, instance: ProcessInstance) -> Any:
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(runner, "load_workflow", database_is_locked)
    fire_due_timers(runtime, sessions, "w")
    with sessions() as session:
        timer = session.scalars(select(Timer).where(Timer.instance_id == case_id)).one()
        assert (timer.retries, timer.status) == (1, "waiting")
    failed_at = clock.now().astimezone(runtime.zone)
    at, next_try = failed_at.strftime("%H:%M:%S"), (failed_at + timedelta(seconds=5)).strftime("%H:%M:%S")
    login(client, "supervisor")
    shown = " ".join(get(client, "/board").text(f"board-stuck-{timer.id}").split())
    assert f"重试中（第 1 次），下次尝试 {next_try}，上次错误 {at}：OperationalError: " in shown
    assert "database is locked" in shown and "已到期、尚未触发" not in shown
    post(client, "/lang/en", {"next": "/incidents"}, get(client, "/incidents").csrf_token())
    english = " ".join(get(client, "/incidents").text(f"overdue-timer-{timer.id}").split())
    assert f"Retrying (1), next try at {next_try}, last error at {at}: OperationalError: " in english


def test_a_head_of_department_sees_only_the_rows_and_incidents_of_cases_they_may_open(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """Issue 14 follow-up: the board shows a department head no case number whose page answers 404
    (engine.cases.readable_cases); a supervisor still sees every department's."""
    ours, _ = record_case(sessions, runtime, department="operations")
    theirs = late_case_with_incident(sessions, runtime, clock, category="leak", department="repair")
    login(client, "ops_head")
    page = get(client, "/board")
    assert board(page) == [("operations", [ours])]
    assert theirs.number not in page.html and not page.has(f"board-incident-{theirs.timer_id}")
    assert [option for option in page.doc.xpath("//select[@id='board-group']/option/@value") if option] == [
        "operations"
    ]
    for link in page.doc.xpath("//div[@id='board-live']//a/@href"):
        assert get(client, link).status == 200, link
    assert get(client, "/board?group=repair").doc.xpath("//tr[contains(@class, 'board-item')]") == []

    switch_user(client, "supervisor")
    page = get(client, "/board")
    assert sorted(board(page)) == [("operations", [ours]), ("repair", [theirs.number])]
    assert page.has(f"board-incident-{theirs.timer_id}")
