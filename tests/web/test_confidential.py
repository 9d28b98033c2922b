"""Confidential complaints (保密, C7), for every role of the demo: the complainant's name, phone and
address are shown in full only to the supervisors (and the administrator, who holds the role) and to
the operator who took the call, on every page, in every list and search; every full view is recorded
(M6)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Customer, PersonalDataAccess, ProcessInstance
from engine.people.users import PII_ROLES
from engine.runtime import Runtime
from hotline.demo import DEMO_USERS
from tests.helpers import intake_form
from tests.web.support import get, login, submit, switch_user, task_of

NAME, PHONE, ADDRESS = "张伟", "13800001111", "金明小区3号楼2单元501"
SEE_IN_FULL = {"operator", "supervisor", "admin"}  # the one who took the call, and the supervisors
# What the ordinary partial mask of an ordinary case leaves of them (engine.people.masking): a
# confidential complainant is `***` instead, for the handling department too.
PARTIAL = ("张*", "138****1111", "金明小区3号…")


def record_confidential(client: FlaskClient) -> str:
    login(client, "operator")
    page = submit(client, "/cases/new/complaint", intake_form(confidential=True, department="operations"))
    assert page.status == 302
    return page.response.headers["Location"].rsplit("/", 1)[-1]


def identity_shown(html: str) -> set[str]:
    return {value for value in (NAME, PHONE, ADDRESS) if value in html}


def partly_shown(html: str) -> set[str]:
    return {value for value in PARTIAL if value in html}


# Every demo user but repair_head, whom the test database's reference data holds with another password
# (tests/web/test_case_access.py)
ROLES = {user.username: frozenset(user.roles) for user in DEMO_USERS}
USERNAMES = sorted(user.username for user in DEMO_USERS if user.username != "repair_head")


@pytest.mark.parametrize("username", USERNAMES)
def test_a_confidential_complainant_is_shown_only_to_the_supervisors_and_the_operator_who_took_it_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, username: str
) -> None:
    number = record_confidential(client)
    switch_user(client, username)
    case_page = get(client, f"/cases/{number}")
    if username in SEE_IN_FULL:
        assert case_page.status == 200
        assert identity_shown(case_page.html) == {NAME, PHONE, ADDRESS}
        with sessions() as session:
            viewers = set(session.scalars(select(PersonalDataAccess.username)))
        assert username in viewers  # M6: the full view is recorded
    else:
        assert case_page.status in (200, 404)
        assert identity_shown(case_page.html) == set()
        assert partly_shown(case_page.html) == set()
        if case_page.status == 200:
            assert "***" in case_page.html
    # no list shows the complainant, not even a part of them
    for url in ("/tasks", "/cases", "/board"):
        listed = get(client, url).html
        assert identity_shown(listed) == set(), url
        assert partly_shown(listed) == set(), url
    # nor does a search by who they are find the case (roles without personal data cannot search so)
    if ROLES[username] & PII_ROLES:
        for url in (
            f"/tasks?q={NAME}",
            f"/tasks?q={PHONE}",
            f"/cases?customer={NAME}",
            f"/cases?phone={PHONE}",
        ):
            assert number not in get(client, url).html, url


def test_the_department_handling_a_confidential_complaint_never_gets_the_contact_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The department's step would show it the phone and address to call and visit (customer_contact);
    for a confidential complaint the hotline stays between them."""
    with sessions() as session:
        registered = session.scalars(select(Customer.id)).all()
    number = record_confidential(client)
    with sessions() as session:
        case = session.scalars(select(ProcessInstance).where(ProcessInstance.case_number == number)).one()
        assert (case.customer_name, case.customer_phone, case.address) == ("***", "***", "***")
        assert case.data["customer_name"] == NAME
        assert session.scalars(select(Customer.id)).all() == registered  # not added to the register
    task_id = task_of(sessions, case.id, "department_handling")
    for username in ("ops_handler", "ops_head"):
        switch_user(client, username)
        task_page = get(client, f"/tasks/{task_id}")
        assert task_page.status == 200
        assert identity_shown(task_page.html) == set()
        # not the partial mask of an ordinary case either: nothing of who they are (C7)
        assert partly_shown(task_page.html) == set()
        assert "***" in task_page.html
        case_page = get(client, f"/cases/{number}")
        assert identity_shown(case_page.html) == set() and partly_shown(case_page.html) == set()
        with sessions() as session:
            viewers = set(session.scalars(select(PersonalDataAccess.username)))
        assert username not in viewers  # nothing shown in full, nothing recorded
    switch_user(client, "supervisor")
    assert identity_shown(get(client, f"/tasks/{task_id}").html) == {NAME, PHONE, ADDRESS}


def test_an_ordinary_complaint_is_shown_as_before(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    page = submit(client, "/cases/new/complaint", intake_form(department="operations"))
    number = page.response.headers["Location"].rsplit("/", 1)[-1]
    switch_user(client, "dispatcher")
    assert identity_shown(get(client, f"/cases/{number}").html) == {NAME, PHONE, ADDRESS}
    # the handling department: the phone and address it must call and visit, the name partly masked
    with sessions() as session:
        case_id = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.case_number == number)
        ).one()
    switch_user(client, "ops_handler")
    task_page = get(client, f"/tasks/{task_of(sessions, case_id, 'department_handling')}").html
    assert identity_shown(task_page) == {PHONE, ADDRESS} and "张*" in task_page
