"""The tasklist's queries: a fixed number of statements per page however many tasks there are (no query
per row), the counts of all tabs from one statement, counts that stop at COUNT_LIMIT, a large tab read in
urgency order from the open tasks' index with the same answer as a small one, and the search on one
normalized column."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.search_text import SEPARATOR
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessInstance
from engine.runtime import Runtime
from engine.work import tasklist
from engine.work.tasklist import TABS, TaskFilter, _page_ids, count_open_tasks_by_tab, open_tasks_for
from tests.web.support import get, login, record_case, statements
from webforms.work import tasks as tasks_view


def test_the_tasklist_page_runs_the_same_few_statements_for_3_or_30_tasks(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Issue 6: no per-row queries; the counts of all the tabs come from one statement."""
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
    assert len(counting_tasks) == 1  # the personal tabs and "all" together

    login(client, "ops_handler")
    with statements(app) as handler:
        page = get(client, "/tasks")
    assert page.text("task-count") == "30" and len(page.task_links()) == 30
    # the counts of the three tabs come from one statement
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


def test_counts_stop_at_the_limit_and_a_large_tab_pages_in_urgency_order(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a tab counts up to COUNT_LIMIT and then shows "3+"; its pages come from the open tasks'
    index in urgency order (the same order as a small tab's), and "Next page" shows while tasks follow."""
    numbers = [record_case(sessions, runtime, department="operations")[0] for _ in range(5)]
    login(client, "ops_handler")
    in_order = [case for _element, _url, case in get(client, "/tasks").task_links()]
    assert sorted(in_order) == sorted(numbers)
    monkeypatch.setattr(tasklist, "COUNT_LIMIT", 3)
    monkeypatch.setattr(tasks_view, "COUNT_LIMIT", 3)
    monkeypatch.setattr(tasks_view, "PAGE_SIZE", 2)
    pages = [get(client, f"/tasks?page={n}") for n in (1, 2, 3, 4)]
    assert [page.text("task-count") for page in pages] == ["3+"] * 4
    assert pages[0].text("tab-group").split()[-1] == "3+"
    assert [case for page in pages for _element, _url, case in page.task_links()] == in_order
    assert ["下一页" in page.html for page in pages] == [True, True, False, False]
    assert pages[3].has("no-tasks")


def test_a_large_tab_read_in_urgency_order_finds_what_its_candidates_find(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: object
) -> None:
    """The ways of reading a tab's page (many tasks: the open tasks in urgency order, checked against the
    tab; few: the tab's candidates, sorted; a search: the tasks of the cases it found, or each task's case
    checked when it found many) give the same tasks
    in the same order, for every tab and filter, with a task claimed outside the user's groups and tasks in
    two of them."""
    start = clock.now()
    for n, (department, category) in enumerate(
        [("operations", "leak"), ("repair", "leak"), ("operations", "temperature"), ("billing", "leak")] * 3
    ):
        clock.set(start + timedelta(hours=5 * n % 7))
        record_case(sessions, runtime, department=department, category=category, address=f"银湖路{n}号")
    with sessions.begin() as session:
        billing = session.scalars(select(HumanTask).where(HumanTask.candidate_groups == "billing")).first()
        assert billing is not None
        billing.assignee = "ops_handler"  # claimed, then the handler moved to operations and repair
    groups = ["operations", "repair"]
    filters = [
        None,
        TaskFilter(category="leak"),
        TaskFilter(text="银湖路1"),
        TaskFilter(text="-001", personal=False),
        TaskFilter(overdue=True, now=start + timedelta(days=1)),
        TaskFilter(due_between=(start + timedelta(days=1), start + timedelta(days=1, hours=3))),
    ]
    with sessions() as session:
        for tab, where in itertools.product(("todo", "mine", "group", "all"), filters):
            few = _page_ids(session, tab, "ops_handler", groups, 50, 0, where, many=False)
            many = _page_ids(session, tab, "ops_handler", groups, 50, 0, where, many=True)
            assert many == few, (tab, where)
            if where is not None and where.text:  # the search's cases looked up once, then listed by id
                listed = where.prepared(session)
                assert listed.case_ids is not None
                assert _page_ids(session, tab, "ops_handler", groups, 50, 0, listed, many=False) == few
                checked = replace(where, matches_many=True)  # each task's case checked instead
                assert _page_ids(session, tab, "ops_handler", groups, 50, 0, checked, many=True) == few
                assert _page_ids(session, tab, "ops_handler", groups, 50, 0, checked, many=False) == few
            assert _page_ids(session, tab, "ops_handler", groups, 3, 2, where, many=True) == few[2:5]
        counts = count_open_tasks_by_tab(session, TABS, "ops_handler", groups)
        assert counts == {"todo": 10, "mine": 1, "group": 9, "all": 12}


def test_a_deadline_filter_holding_many_of_a_tabs_tasks_reads_them_in_urgency_order(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 15: "overdue" and "due today" leaving more than DUE_RANGE_READ_IN_ORDER of a tab's tasks read
    the deadline's range of the open tasks' index in urgency order; the page and the counts are those of
    reading the tab's candidates."""
    start = clock.now()
    for n, department in enumerate(["operations", "repair", "operations", "billing", "operations"] * 2):
        clock.set(start + timedelta(hours=5 * n % 7))
        record_case(sessions, runtime, department=department)
    filters = [
        TaskFilter(overdue=True, now=start + timedelta(days=30)),
        TaskFilter(due_between=(start, start + timedelta(days=30))),
    ]
    tabs = ["todo", "group", "all"]
    with sessions() as session:
        for tab, where in itertools.product(tabs, filters):
            pages = {}
            for threshold in (0, tasklist.COUNT_LIMIT):
                monkeypatch.setattr(tasklist, "DUE_RANGE_READ_IN_ORDER", threshold)
                pages[threshold] = tasklist.tasklist_page(
                    session, tab, tabs, "ops_handler", ["operations"], 4, 2, where
                )
            in_order, from_candidates = pages[0], pages[tasklist.COUNT_LIMIT]
            assert in_order.counts == from_candidates.counts == {"todo": 6, "group": 6, "all": 10}
            assert [t.id for t in in_order.tasks] == [t.id for t in from_candidates.tasks], (tab, where)
            assert len(in_order.tasks) == 4
            assert in_order.more == from_candidates.more == (tab == "all")
