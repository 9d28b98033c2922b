"""The complainant's identity is shown only to the roles that need it (C7, M6): the department that
handles the case sees the phone as 138****1111; the operator and the supervisor see it in full."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.web.support import Page, get, login, record_case, rows, task_of

NAME, PHONE, ADDRESS = "张伟", "13800001111", "金明小区3号楼2单元501"


def shown(page: Page, field_id: str) -> str:
    return page.doc.xpath("//dd[@data-field=$f]", f=field_id)[0].text_content().strip()


def history_values(page: Page, label: str) -> list[str]:
    return [change[1] for entry in page.history() for key, change in entry.changes.items() if key == label]


@pytest.mark.parametrize(("phone", "masked"), [(PHONE, "138****1111"), ("0951-5012345", "095****2345")])
def test_the_department_handler_sees_the_complainant_masked(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, phone: str, masked: str
) -> None:
    """C7, M6: the handling department needs the problem, not who complained."""
    number, case_id = record_case(sessions, runtime, customer_phone=phone)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")

    for page in (get(client, f"/tasks/{task_id}"), get(client, f"/cases/{number}")):
        assert page.status == 200
        assert shown(page, "customer_phone") == masked
        assert shown(page, "customer_name") == "张*"
        assert shown(page, "address") == "金明小区3号…"
        assert history_values(page, "联系电话") == [masked]
        assert history_values(page, "投诉人姓名") == ["张*"]
        for secret in (phone, NAME, ADDRESS):
            assert secret not in page.html, f"{secret} leaks into {page.response.request.path}"

    cases = get(client, "/cases")
    assert number in cases.html
    assert NAME not in cases.html and PHONE not in cases.html


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
