"""The case page tells the whole story: the diagram of the version the case runs on with its marked
elements, every deadline with how late its step was (C4), the timeline, and the customer's other cases
(M5) — the last only for roles that may know who the customer is (C7, M6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.deadline_steps import fire_due_steps
from engine.cases.runner import complete_task
from engine.clock import SettableClock
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import department_handler, open_task
from tests.web.case_story_support import deploy_broken_chase, late_case_with_incident
from tests.web.support import Page, get, login, record_case, submit
from tests.web.test_field import dispatched_repair


def markers(page: Page) -> dict[str, list[str]]:
    return json.loads(page.by_id("case-diagram-markers").text)


def deadline_rows(page: Page) -> dict[str, str]:
    return {
        row.get("data-element"): " ".join(row.xpath("./td[@class='lateness']")[0].text_content().split())
        for row in page.doc.xpath("//table[@id='deadlines']/tbody/tr")
    }


def test_the_diagram_carries_the_cases_markers_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C4: the supervisor sees at a glance which step is late and which automatic step failed."""
    case = late_case_with_incident(sessions, runtime, clock)
    login(client, "supervisor")
    page = get(client, f"/cases/{case.number}")

    assert page.status == 200
    found = markers(page)
    assert {"start", "intake", "set_reply_deadline"} <= set(found["completed"])
    assert found["active"] == ["department_handling"]
    assert found["overdue"] == ["department_handling"]
    assert found["failed"] == ["reply_deadline"]
    viewer = page.by_id("case-viewer")
    assert (
        viewer.get("data-bpmn-viewer") == "case-diagram-xml"
        and viewer.get("data-markers") == "case-diagram-markers"
    )
    assert "overdue_chased = 1 / 0" in page.by_id("case-diagram-xml").text  # the version this case runs on
    assert page.has("diagram-legend")
    assert "division by zero" in page.text("history")  # the incident is in the timeline


def test_the_diagram_is_the_version_the_case_started_on(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _id = record_case(sessions, runtime)
    deploy_broken_chase(sessions, runtime)  # version 2, deployed after the case started
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    assert "overdue_chased = True" in page.by_id("case-diagram-xml").text
    assert "1 / 0" not in page.by_id("case-diagram-xml").text


def test_deadlines_show_how_late_each_step_was_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C4 (C3: reply the same day): the reply was due at 23:59:59; still open at 02:05 it is overdue by
    2 h 5 min, and so is its deadline whose chase failed."""
    case = late_case_with_incident(sessions, runtime, clock)
    clock.advance(timedelta(hours=2, minutes=5))
    login(client, "supervisor")

    rows = deadline_rows(get(client, f"/cases/{case.number}"))
    assert rows["department_handling"] == "已超时 2 小时 5 分"
    assert rows["reply_deadline"] == "已超时 2 小时 5 分"  # the failed deadline has still not fired


def test_a_late_reply_shows_how_late_it_was_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C3, C4: due at 23:59:59, replied at 03:35 the next morning: late by 3 h 35 min; its deadline fired on time."""
    number, case_id = record_case(sessions, runtime)
    clock.advance(timedelta(hours=18, minutes=35))
    with sessions.begin() as session:
        complete_task(
            session,
            runtime,
            open_task(session, case_id, "department_handling").id,
            department_handler("operations"),
            {"investigation": "更换了二级管网阀门", "outcome": "resolved", "result": "已恢复供热,室温20度"},
        )
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    rows = deadline_rows(page)
    assert rows["department_handling"] == "超时 3 小时 35 分"
    assert rows["reply_deadline"] == "超时 3 小时 35 分"  # no scheduler ran: it fired when the reply came
    assert "department_handling" in markers(page)["completed"] and markers(page)["overdue"] == []


def test_a_step_done_in_time_is_on_time(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    number, case_id = record_case(sessions, runtime)
    clock.advance(timedelta(hours=1))
    with sessions.begin() as session:
        complete_task(
            session,
            runtime,
            open_task(session, case_id, "department_handling").id,
            department_handler("operations"),
            {"investigation": "更换了二级管网阀门", "outcome": "resolved", "result": "已恢复供热,室温20度"},
        )
    login(client, "supervisor")
    rows = deadline_rows(get(client, f"/cases/{number}"))
    assert rows["department_handling"] == "按时"


def test_the_customers_other_cases_m5(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """M5: the case page lists the customer's other cases (same phone), not strangers' cases."""
    first, _ = record_case(sessions, runtime)
    second, _ = record_case(sessions, runtime)
    stranger, _ = record_case(sessions, runtime, customer_phone="13900000006", customer_name="赵敏")
    login(client, "supervisor")
    page = get(client, f"/cases/{second}")
    assert page.text("related-cases").count("TS-") == 1 and first in page.text("related-cases")
    assert stranger not in page.text("related-cases")
    assert get(client, f"/cases/{stranger}").has("no-related")


def test_departments_do_not_see_the_customers_other_cases_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C7, M6: listing a complainant's cases would tie them together for a role that sees them masked."""
    first, _ = record_case(sessions, runtime)
    second, _ = record_case(sessions, runtime)
    login(client, "ops_handler")
    page = get(client, f"/cases/{second}")
    assert page.status == 200
    assert not page.has("related-cases") and not page.has("no-related")
    assert first not in page.html
    assert json.loads(page.by_id("case-diagram-markers").text)["active"] == [
        "department_handling",
        "reply_deadline",
    ]


def test_the_case_page_in_english(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    case = late_case_with_incident(sessions, runtime, clock)
    login(client, "supervisor")
    token = get(client, "/tasks").csrf_token()
    client.post("/lang/en", data={"csrf_token": token, "next": "/tasks"})
    page = get(client, f"/cases/{case.number}")
    assert page.lang == "en"
    row = page.doc.xpath("//table[@id='deadlines']/tbody/tr[@data-element='department_handling']")[0]
    assert " ".join(row.text_content().split()).startswith("Investigate, handle and reply")
    assert "overdue by 0 min" in row.text_content()
    assert "Failed (incident)" in page.text("diagram-legend")


def test_a_supervisor_retries_a_failed_deadline_from_the_case_page(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    case = late_case_with_incident(sessions, runtime, clock)
    login(client, "ops_head")
    assert not get(client, f"/cases/{case.number}").has("retry-reply_deadline")
    login(client, "supervisor")
    page = get(client, f"/cases/{case.number}")
    assert page.has("retry-reply_deadline")
    done = submit(
        client, f"/cases/{case.number}", {"back": "case"}, post_url=f"/incidents/{case.timer_id}/retry"
    )
    assert done.response.headers["Location"] == f"/cases/{case.number}"
    page = get(client, f"/cases/{case.number}")
    assert not page.has("retry-reply_deadline")
    assert markers(page)["failed"] == [] and "reply_deadline" in markers(page)["active"]


def test_the_department_the_category_routes_to_is_named_not_coded_in_the_history_c1(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The routing decision's answer (分类对应部门, routed_department) is a department code: the history
    names the department in the page's language, as it does the responsible department."""
    number, _case_id = record_case(sessions, runtime, category="conduct", department="billing")
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    [routed] = page.doc.xpath("//tr[td[1][normalize-space()='分类对应部门']]")
    assert "客服中心" in routed.text_content() and "customer_service" not in routed.text_content()
    token = page.csrf_token()
    client.post("/lang/en", data={"csrf_token": token, "next": "/tasks"})
    english = get(client, f"/cases/{number}")
    [routed] = english.doc.xpath("//tr[td[1][normalize-space()='Department for the category']]")
    assert "Customer service" in routed.text_content() and "customer_service" not in routed.text_content()


def test_a_chased_step_of_a_role_names_the_role_not_its_code_c4(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], object],
) -> None:
    """A deadline warning or chase records the step's candidate groups as its 责任部门: for the on-site
    report that is the repair workers' role, named like every group, never the code `repair_worker`."""
    deploy_process("repair")
    number, case_id = dispatched_repair(sessions, runtime)
    with sessions.begin() as session:
        complete_task(
            session,
            runtime,
            open_task(session, case_id, "arrive_on_site").id,
            Actor("worker", frozenset({"repair_worker"})),
            {"arrived_at": "2026-11-23T09:20"},
        )
    clock.advance(timedelta(days=3))
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) >= 1
    runtime.workflows.clear()
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    rows = [
        " ".join(row.text_content().split())
        for row in page.doc.xpath("//tr[td[1][normalize-space()='责任部门']]")
    ]
    assert rows and all("repair_worker" not in row for row in rows), rows
    assert "责任部门—维修工" in rows  # the chased step's group, beside the case's department 维修
