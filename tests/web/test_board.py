"""The overdue board (/board): what is past due or due within the hour, grouped by the department or
group that has to act, the worst first (C4: supervisors chase what is late); incidents with retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessInstance, Timer
from engine.runtime import Runtime
from tests.helpers import deadline_diagram, open_cases
from tests.web.case_story_support import late_case_with_incident
from tests.web.support import Page, get, login, record_case, submit


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
