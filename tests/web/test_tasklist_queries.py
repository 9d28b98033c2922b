"""The tasklist's queries: a fixed number of statements per page however many tasks there are (no query
per row), the counts of all tabs from one statement, and the search on one normalized column."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.search_text import SEPARATOR
from engine.db.models import HumanTask, ProcessInstance
from engine.runtime import Runtime
from engine.work.tasklist import TaskFilter, count_open_tasks_by_tab, open_tasks_for
from tests.web.support import get, login, record_case, statements


def test_the_tasklist_page_runs_the_same_few_statements_for_3_or_30_tasks(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Issue 6: no per-row queries; the counts of the tabs come from one statement."""
    for _ in range(3):
        record_case(sessions, runtime)
    login(client, "supervisor")  # four tabs: the three personal ones and "all"
    with statements(app) as few:
        assert get(client, "/tasks?tab=all").text("task-count") == "3"
    for _ in range(27):
        record_case(sessions, runtime)
    with statements(app) as many:
        assert get(client, "/tasks?tab=all").text("task-count") == "30"
    assert len(many) == len(few)
    counting_tasks = [s for s in many if "count(" in s.lower() and "human_task" in s]
    assert len(counting_tasks) == 2  # the personal tabs together, and "all"

    login(client, "ops_handler")
    with statements(app) as handler:
        page = get(client, "/tasks")
    assert page.text("task-count") == "30" and len(page.task_links()) == 30
    # the page of "to do" and the counts of the three tabs come from one statement
    assert len([s for s in handler if "count(" in s.lower() and "human_task" in s]) == 1
    past_the_end = get(client, "/tasks?page=3")
    assert past_the_end.text("task-count") == "30" and past_the_end.task_links() == []


def test_tab_counts_and_the_search_column(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: object
) -> None:
    """todo = claimed by me + unclaimed in my groups; the search ignores letter case and surrounding spaces,
    finds case numbers, names, phones and addresses, and never matches across two of them."""
    number, case_id = record_case(
        sessions,
        runtime,
        customer_name="李娜",
        customer_phone="13911112222",
        address="银湖路88号",
        department="operations",
    )
    record_case(sessions, runtime, department="operations")
    with sessions() as session:
        instance = session.get(ProcessInstance, case_id)
        assert instance is not None
        assert instance.search_text == SEPARATOR.join((number.lower(), "李娜", "13911112222", "银湖路88号"))
        groups = {"operations"}
        assert count_open_tasks_by_tab(session, ["todo", "mine", "group"], "ops_handler", groups) == {
            "todo": 2,
            "mine": 0,
            "group": 2,
        }

        def found(text: str) -> list[str]:
            where = TaskFilter(text=text)
            return [
                t.instance.case_number
                for t in open_tasks_for(session, "todo", "ops_handler", groups, 50, 0, where)
            ]

        for typed in (f"  {number.lower()} ", number, "李娜", "1391111", "银湖路"):
            assert found(typed) == [number], typed
        assert found("222银湖") == []  # the end of the phone and the start of the address
        assert found("100%") == []
    with sessions.begin() as session:  # claimed by ops_handler, who then moved to billing
        session.scalars(
            select(HumanTask).where(HumanTask.instance_id == case_id)
        ).one().assignee = "ops_handler"
    with sessions() as session:
        assert count_open_tasks_by_tab(
            session, ["todo", "mine", "group", "all"], "ops_handler", {"billing"}
        ) == {"todo": 1, "mine": 1, "group": 0, "all": 2}
