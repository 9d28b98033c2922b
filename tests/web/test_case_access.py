"""Who may open a case (docs/access.md, C7, M6): supervisors and administrators, the roles that see personal
data where that is their job (operators, dispatchers), and the people with a part in the case — its
department, the groups of its tasks, who acted in its history, who opened it. For everyone else a case
does not exist: its page (history, diagram and markers), its files and its line in the search answer as
for an unknown case. The reports and their CSV/XLSX downloads are the supervisors'."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import start_case
from engine.db.models import Attachment, User, UserRole
from engine.runtime import Actor, Runtime
from engine.supervision.periods import week_of
from engine.supervision.reports.store import generate_report
from hotline.demo import DEMO_USERS
from tests.web.support import Page, get, login, record_case, switch_user, task_of
from tests.web.test_attachments import PNG, upload

EVERY_CASE = {"operator", "dispatcher", "supervisor", "admin"}
# Which of the cases below each demo user may open besides those: by department / task group, or opener.
OWN_CASES = {
    "ops_handler": {"operations"},
    "ops_head": {"operations"},
    "repair_handler": {"repair"},
    "billing_handler": {"billing"},
    "liaison": {"opened_by_liaison"},
}
CASES = ("operations", "repair", "billing", "opened_by_liaison")
GROUP_MEMBER = {"operations": "ops_handler", "repair": "repair_handler", "billing": "billing_handler"}


# A liaison's customer information form (L1), routed to customer service (whose group no demo user holds).
LIAISON_FORM = {
    "customer_name": "王芳",
    "customer_phone": "13900000004",
    "address": "金明区5号楼1单元301",
    "collection_method": "visit",
    "feedback": "楼道灯坏了",
    "suggestions": "",
    "complaints": "",
    "category": "other",
    "department": "customer_service",
    "urgency": "general",
}


@pytest.fixture
def cases(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> dict[str, tuple[str, int]]:
    """Complaints routed to three departments, each with a site photo its handler attached, and a
    customer information form a liaison sent: name -> (number, file id or 0)."""
    deploy_process("liaison")
    found: dict[str, tuple[str, int]] = {}
    login(client, "supervisor")
    for department, member in GROUP_MEMBER.items():
        number, case_id = record_case(sessions, runtime, department=department, category="other")
        switch_user(client, member)
        upload(client, task_of(sessions, case_id, "department_handling"), PNG, "现场.png")
        with sessions() as session:
            file_id = session.scalar(select(Attachment.id).where(Attachment.instance_id == case_id))
        assert file_id is not None
        found[department] = (number, file_id)
    with sessions.begin() as session:
        opened = start_case(
            session, runtime, "liaison", Actor("liaison", frozenset({"liaison"})), LIAISON_FORM
        )
        found["opened_by_liaison"] = (opened.case_number, 0)
    return found


# Every demo user but repair_head: the test database's reference data holds a repair_head of its own
# (tests/helpers.py HEADS) who cannot sign in; ops_head stands for the department heads.
USERNAMES = sorted(user.username for user in DEMO_USERS if user.username != "repair_head")


def message(page: Page) -> str:
    return str(page.doc.xpath("string(//p[@class='message'])")).strip()


def readable(username: str) -> set[str]:
    return set(CASES) if username in EVERY_CASE else OWN_CASES.get(username, set())


@pytest.mark.parametrize("username", USERNAMES)
def test_each_role_opens_only_the_cases_it_has_a_part_in_c7_m6(
    client: FlaskClient, cases: dict[str, tuple[str, int]], username: str
) -> None:
    switch_user(client, username)
    may = readable(username)
    search = get(client, "/cases")
    assert search.status == 200
    listed = search.text("caselist") if search.has("caselist") else ""
    unknown = get(client, "/cases/TS-20991231-9999")
    assert unknown.status == 404
    for name, (number, file_id) in cases.items():
        page = get(client, f"/cases/{number}")
        expected = name in may
        assert page.status == (200 if expected else 404), (username, name)
        if expected:
            assert page.has("history") and page.has("case-diagram"), "the history and the diagram are shown"
        else:
            # The refusal reads as for a number that does not exist (the page's own address aside).
            assert message(page) == message(unknown) == "没有此工单，或您的角色无权查看。"
        assert (number in listed) == expected, (username, name, "search")
        by_number = get(client, f"/cases?number={number}")
        assert (number in (by_number.text("caselist") if by_number.has("caselist") else "")) == expected
        if file_id:
            assert client.get(f"/attachments/{file_id}").status_code == (200 if expected else 404)


@pytest.mark.parametrize("username", USERNAMES)
def test_the_shift_handover_lists_every_departments_cases_so_only_roles_reading_every_case_open_it_m7(
    client: FlaskClient, cases: dict[str, tuple[str, int]], username: str
) -> None:
    """M7: the handover page lists open complaints, outages and overdue tasks of every department, with
    their case numbers; for a role that may not open those cases the page is not allowed, nor linked."""
    switch_user(client, username)
    page = get(client, "/handover")
    assert page.status == (200 if username in EVERY_CASE else 403), username
    assert get(client, "/tasks").has("nav-handover") == (username in EVERY_CASE)


@pytest.mark.parametrize("username", USERNAMES)
def test_the_reports_and_their_downloads_are_the_supervisors(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, username: str
) -> None:
    """M2, M3: the reports name every late case of every department: supervisors (and the administrator,
    who holds the supervisor role) read and download them; for the others the pages are not allowed."""
    login(client, "supervisor")
    with sessions.begin() as session:
        report, _made = generate_report(session, runtime, "weekly", week_of(date(2026, 11, 16)), "test")
        report_id = report.id
    switch_user(client, username)
    expected = 200 if username in {"supervisor", "admin"} else 403
    for url in (
        "/reports",
        f"/reports/{report_id}",
        f"/reports/{report_id}.csv",
        f"/reports/{report_id}.xlsx",
    ):
        assert client.get(url).status_code == expected, url


def test_who_worked_on_a_case_still_opens_it_after_leaving_its_group(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Someone who acted on a case (here: claimed and released its task) keeps reading it when they move
    to another department; the others of their new department do not."""
    number, case_id = record_case(sessions, runtime, department="technical", category="other")
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "tech_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    token = get(client, f"/tasks/{task_id}").csrf_token()
    client.post(f"/tasks/{task_id}/release", data={"csrf_token": token})
    with sessions.begin() as session:  # the administrator moves tech_handler to billing
        user_id = session.scalar(select(User.id).where(User.username == "tech_handler"))
        session.execute(delete(UserRole).where(UserRole.user_id == user_id))
        session.add(UserRole(user_id=user_id, role="billing"))
    assert get(client, f"/cases/{number}").status == 200
    assert number in get(client, f"/cases?number={number}").text("caselist")
    switch_user(client, "billing_handler")
    assert get(client, f"/cases/{number}").status == 404
