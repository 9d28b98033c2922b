"""The complainant's identity is shown only to the roles that need it (C7, M6): the department that
handles the case sees what a visit needs (phone, address) but the name masked; a colleague with no step
sees the phone as 138****1111; the operator and the supervisor see it in full."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import PersonalDataAccess, ProcessInstance
from engine.runtime import Runtime
from tests.web.support import Page, get, login, record_case, rows, submit, switch_user, task_of

NAME, PHONE, ADDRESS = "张伟", "13800001111", "金明小区3号楼2单元501"


def shown(page: Page, field_id: str) -> str:
    return page.doc.xpath("//dd[@data-field=$f]", f=field_id)[0].text_content().strip()


def history_values(page: Page, label: str) -> list[str]:
    return [change[1] for entry in page.history() for key, change in entry.changes.items() if key == label]


@pytest.mark.parametrize(("phone", "masked"), [(PHONE, "138****1111"), ("0951-5012345", "095****2345")])
def test_the_department_handler_sees_what_a_visit_needs_and_not_who_complained(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, phone: str, masked: str
) -> None:
    """C7, M6: the department that investigates must call and visit (customer_contact = phone, address
    in complaint.bpmn): it sees the phone and the address in full, but not the complainant's name; a
    member of the department whose colleague holds the task needs none of it."""
    number, case_id = record_case(sessions, runtime, customer_phone=phone)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")

    for page in (get(client, f"/tasks/{task_id}"), get(client, f"/cases/{number}")):
        assert page.status == 200
        assert shown(page, "customer_phone") == phone
        assert shown(page, "address") == ADDRESS
        assert shown(page, "customer_name") == "张*"
        assert history_values(page, "联系电话") == [phone]
        assert history_values(page, "投诉人姓名") == ["张*"]
        assert NAME not in page.html, f"the name leaks into {page.response.request.path}"
    assert [v for _u, v in contact_views(sessions, "ops_handler")] == ["task", "case"]  # M6

    cases = get(client, "/cases")  # a list of cases is no step's: masked
    assert number in cases.html
    assert NAME not in cases.html and phone not in cases.html

    submit(client, f"/tasks/{task_id}", {}, post_url=f"/tasks/{task_id}/claim")
    switch_user(client, "ops_head")  # the task is their colleague's now
    page = get(client, f"/cases/{number}")
    assert (shown(page, "customer_phone"), shown(page, "address")) == (masked, "金明小区3号…")
    for secret in (phone, NAME, ADDRESS):
        assert secret not in page.html
    assert contact_views(sessions, "ops_head") == []


def contact_views(sessions: sessionmaker[Session], username: str) -> list[tuple[str, str]]:
    with sessions() as session:
        return [
            (a.username, a.view)
            for a in session.scalars(
                select(PersonalDataAccess)
                .where(PersonalDataAccess.username == username)
                .order_by(PersonalDataAccess.id)
            )
        ]


@pytest.mark.parametrize("username", ["operator", "supervisor", "admin"])
def test_the_operator_and_the_supervisor_see_the_complainant_in_full(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, username: str
) -> None:
    """C7, M6: the operator calls the customer back; the supervisor checks the case."""
    number, _case_id = record_case(sessions, runtime)
    login(client, username)

    page = get(client, f"/cases/{number}")
    assert shown(page, "customer_phone") == PHONE
    assert shown(page, "customer_name") == NAME
    assert shown(page, "address") == ADDRESS
    assert history_values(page, "联系电话") == [PHONE]
    assert NAME in get(client, "/cases").html


def test_reading_the_complainant_unmasked_is_recorded(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """M6: who read a complainant's personal data, and when, is kept, like every change is."""
    number, _case_id = record_case(sessions, runtime)
    login(client, "supervisor")
    before = rows(sessions)

    assert shown(get(client, f"/cases/{number}"), "customer_phone") == PHONE

    assert sum(rows(sessions).values()) > sum(before.values()), "the access left no record anywhere"


LIAISON_REPORT = {
    "customer_name": "周老师",
    "customer_phone": "13700000088",
    "address": "兴华区2号楼1单元301",
    "collection_method": "visit",
    "feedback": "楼道暖气片不热",
    "suggestions": "",
    "complaints": "",
    "category": "temperature",
    "department": "operations",
    "urgency": "general",
}


def test_the_liaison_and_the_investigating_department_see_the_customer_they_must_reach_l1_l4_m6(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """L1, L5, M6: the liaison sees the customer they typed in (they call back); L4: the department that
    investigates and may go on site sees name, phone and address; each view in full is recorded."""
    deploy_process("liaison")
    login(client, "liaison")
    recorded = submit(client, "/cases/new/liaison", LIAISON_REPORT, follow=True)
    assert recorded.status == 200
    assert shown(recorded, "address") == "兴华区2号楼1单元301"
    assert shown(recorded, "customer_phone") == "13700000088"
    assert contact_views(sessions, "liaison") == [("liaison", "case")]
    with sessions() as session:
        case_id = session.scalars(select(ProcessInstance.id)).one()
    task_id = task_of(sessions, case_id, "submit_to_department")
    submit(client, f"/tasks/{task_id}", {"form_checked": "on", "submission_note": "请核实"}, follow=True)

    switch_user(client, "ops_handler")
    page = get(client, f"/tasks/{task_of(sessions, case_id, 'investigate')}")
    assert (shown(page, "customer_name"), shown(page, "customer_phone"), shown(page, "address")) == (
        "周老师",
        "13700000088",
        "兴华区2号楼1单元301",
    )
    assert contact_views(sessions, "ops_handler") == [("ops_handler", "task")]
