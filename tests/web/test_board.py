"""The overdue board (/board): what is past due or due within the hour, grouped by the department or
group that has to act, the worst first (C4: supervisors chase what is late); incidents with retry."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.parser import CAMUNDA_NS as CAMUNDA
from engine.cases import runner
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance, Timer
from engine.runtime import SYSTEM, Actor, Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import COMPLAINT_BPMN, deadline_diagram, department_handler, open_cases, open_task
from tests.web.case_story_support import late_case_with_incident
from tests.web.support import Page, get, login, post, record_case, submit, switch_user

LIAISON = Actor("liaison1", frozenset({"liaison"}))
# L2: a safety hazard reported strongly is urgent; the form as the liaison's browser posts it.
GAS_SMELL = {
    "customer_name": "王芳",
    "customer_phone": "13900000004",
    "address": "金明区5号楼1单元301",
    "collection_method": "visit",
    "feedback": "楼道里有很重的煤气味",
    "suggestions": "",
    "complaints": "",
    "category": "temperature",
    "department": "",
    "urgency": "urgent",
}


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


def test_callbacks_an_urgent_investigation_and_sampled_callbacks_reach_the_board_c5_l4_m1(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> None:
    """Item 5 of issue 16: steps that had no deadline now have the one the diagram gives them, and so
    reach the board when late: the complaint's callback 24 hours after the reply (C5), the department's
    investigation of an urgent liaison report 2 hours after the notice (L4, L2), and a sampled callback
    by the fourth working day's closing time (M1). Monday 23 November 09:00 local."""
    for key in ("liaison", "callback"):
        deploy_process(key)
    with sessions.begin() as session:
        sampled = runner.start_case(
            session,
            runtime,
            "callback",
            SYSTEM,
            initial_data={"callback_group": "operator", "original_case": "WX-20261120-0001"},
        ).case_number
    complaint, complaint_id = record_case(sessions, runtime, department="operations")
    with sessions.begin() as session:
        handling = open_task(session, complaint_id, "department_handling").id
        runner.complete_task(
            session,
            runtime,
            handling,
            department_handler("operations"),
            {"investigation": "阀门卡滞已处理", "outcome": "resolved", "result": "已恢复供热"},
        )
    with sessions.begin() as session:
        gas = runner.start_case(session, runtime, "liaison", LIAISON, GAS_SMELL)
        report = open_task(session, gas.id, "written_report").id
    with sessions.begin() as session:
        runner.complete_task(
            session, runtime, report, LIAISON, {"written_report_text": "楼道内有明显煤气味,已疏散住户。"}
        )
    login(client, "supervisor")
    assert board(get(client, "/board")) == []  # nothing due within the hour yet

    clock.advance(timedelta(hours=1, minutes=30))  # the investigation is due in 30 minutes
    assert board(get(client, "/board")) == [("operations", [gas.case_number])]
    clock.set(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))  # Saturday: everything is late
    page = get(client, "/board")
    assert board(page) == [
        ("operations", [gas.case_number]),
        ("operator", [complaint, sampled]),
    ]
    names = [
        " ".join(row.xpath("string(.)").split())
        for row in page.doc.xpath("//tr[contains(@class, 'board-item')]")
    ]
    assert "调查核实" in names[0] and "回访客户" in names[1] and "抽样回访" in names[2]


def test_the_incident_count_counts_the_deadlines_past_due_that_have_not_fired(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """Seen in issue 16's browser walk: the board's incidents said 0 above a row of a reply deadline past
    due and not fired; the count is the number of rows listed (C4)."""
    record_case(sessions, runtime, department="operations")
    clock.advance(timedelta(hours=16))  # the same-day reply deadline has passed; no scheduler fired it
    login(client, "supervisor")
    page = get(client, "/board")
    listed = page.doc.xpath("//section[@id='board-incidents']//tbody/tr")
    assert len(listed) == 1 and listed[0].get("id", "").startswith("board-stuck-")
    assert page.text("board-incident-count") == "1"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_an_incident_names_its_deadline_as_the_diagram_does_in_either_language(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    language: str,
) -> None:
    case = late_case_with_incident(sessions, runtime, clock)
    with sessions() as session:
        element_id = session.get(Timer, case.timer_id).element_id  # type: ignore[union-attr]
    element = etree.parse(str(COMPLAINT_BPMN)).find(f".//*[@id='{element_id}']")
    assert element is not None and element.get("name")
    english = element.find(f".//{{{CAMUNDA}}}property[@name='name_en']")
    expected = english.get("value") if language == "en" and english is not None else element.get("name")
    login(client, "supervisor")
    assert (
        post(client, f"/lang/{language}", {"next": "/board"}, get(client, "/board").csrf_token()).status
        == 302
    )
    for path, row in (("/board", f"board-incident-{case.timer_id}"), ("/incidents", None)):
        page = get(client, path)
        text = page.text(row) if row else page.doc.text_content()
        assert expected in text, path
        assert element_id not in text, path
