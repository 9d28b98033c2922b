"""The tasklist: each user sees the open tasks of their own groups only, the earliest deadline first."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.web.support import get, login, logout, record_case, task_of


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, given in Asia/Shanghai (UTC+8)."""
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


def test_each_user_sees_only_their_groups_tasks_earliest_deadline_first(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C3: the department's task is due the same day it was handed over, and the department's
    handler sees the most urgent one on top; tasks of other departments and roles never show (C2)."""
    # Recorded in an order that differs from the deadline order: the 25th first, then the 23rd, then the 24th.
    clock.set(at(25, 9))
    late, late_id = record_case(sessions, runtime, department="operations")
    clock.set(at(23, 9))
    early, early_id = record_case(sessions, runtime, department="operations")
    billing, _ = record_case(sessions, runtime, department="billing", category="billing")
    site, _ = record_case(sessions, runtime, department="repair", category="facility", needs_site_visit=True)
    clock.set(at(24, 9))
    middle, middle_id = record_case(sessions, runtime, department="operations")
    clock.set(at(23, 10))

    login(client, "ops_handler")
    page = get(client, "/tasks")
    assert page.task_links() == [
        ("department_handling", f"/tasks/{task_of(sessions, case_id, 'department_handling')}", number)
        for number, case_id in ((early, early_id), (middle, middle_id), (late, late_id))
    ]
    dues = [
        row.xpath("./td")[0].text_content().split() for row in page.doc.xpath("//*[@id='tasklist']/tbody/tr")
    ]
    assert [" ".join(due[:2]) for due in dues] == [
        "2026-11-23 23:59",
        "2026-11-24 23:59",
        "2026-11-25 23:59",
    ], "deadlines in Beijing time"
    # with the time left to each (now: 10:00 on the 23rd)
    assert [" ".join(due[2:]) for due in dues] == [
        "剩余 13 小时 59 分",
        "剩余 1 天 13 小时",
        "剩余 2 天 13 小时",
    ]
    assert page.text("task-count") == "3"
    assert billing not in page.html and site not in page.html

    expected = {
        "billing_handler": [("department_handling", billing)],
        "operator": [("dispatch_site_order", site)],
        "repair_handler": [],  # the repair case waits for the operator's site order first (C2)
        "tech_handler": [],
        "supervisor": [],
    }
    for username, tasks in expected.items():
        logout(client)
        login(client, username)
        page = get(client, "/tasks")
        assert [(element, case) for element, _url, case in page.task_links()] == tasks, username
        assert page.text("task-count") == str(len(tasks)), username
        assert page.has("no-tasks") == (not tasks), username


def test_lists_show_category_and_department_by_their_names(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C1: the category and department chosen at intake read the same in every list as in the form."""
    number, _case_id = record_case(sessions, runtime, category="temperature", department="operations")
    login(client, "ops_handler")

    row = get(client, "/tasks").doc.xpath("//*[@id='tasklist']/tbody/tr")[0]
    assert row.xpath("./td")[3].text_content().strip() == "温度不达标"

    cases = get(client, "/cases").doc.xpath("//*[@id='caselist']/tbody/tr")[0]
    cells = [td.text_content().strip() for td in cases.xpath("./td")]
    assert cells[0] == number
    assert (cells[3], cells[4]) == ("温度不达标", "生产运行")


def test_each_tab_says_what_it_lists_and_why_it_is_empty(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A newcomer's empty tab says what would be there (claimed tasks, unclaimed ones), and a filter that
    finds nothing says so, instead of every tab claiming that the groups have no open task."""
    record_case(sessions, runtime, department="operations")
    login(client, "ops_handler")
    todo = get(client, "/tasks?tab=todo")
    assert todo.text("tab-hint") == "您所在组的待办任务，最紧急的排在最前。" and not todo.has("no-tasks")
    mine = get(client, "/tasks?tab=mine")
    assert mine.text("tab-hint") == "您已认领的任务，最紧急的排在最前。"
    assert mine.text("no-tasks") == "您还没有认领任务：认领的任务会列在这里。"
    assert "尚无人认领" in get(client, "/tasks?tab=group").text("tab-hint")
    filtered = get(client, "/tasks?tab=todo&q=TS-19990101-0001")
    assert filtered.text("no-tasks") == "此标签下没有符合筛选条件的任务。" and filtered.has("clear-filters")
    logout(client)
    login(client, "tech_handler")
    assert get(client, "/tasks?tab=group").text("no-tasks") == "您所在的组没有未认领的任务。"
