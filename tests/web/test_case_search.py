"""Case search (/cases): every filter, the order, the pages, and the personal-data filters only for the
roles that may see personal data (C7, M6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

import webforms.supervision.cases
from engine.cases.runner import complete_task
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from tests.helpers import OPERATOR, deadline_diagram, open_cases, open_task
from tests.web.support import Page, get, login, record_case


def found(page: Page) -> list[str]:
    assert page.status == 200, page.html[:2000]
    return [row.get("data-case") for row in page.doc.xpath("//table[@id='caselist']/tbody/tr")]


@pytest.fixture
def three(sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock) -> list[str]:
    """Three complaints, opened a day apart, by different customers, categories and departments."""
    numbers = []
    for name, phone, address, category, department in (
        ("张伟", "13800001111", "金明小区3号楼2单元501", "temperature", "operations"),
        ("李娜", "0951-5012345", "兴华苑1号楼1单元101", "leak", "repair"),
        ("王强", "13900000004", "金明区5号楼1单元301", "billing", "billing"),
    ):
        numbers.append(
            record_case(
                sessions,
                runtime,
                customer_name=name,
                customer_phone=phone,
                address=address,
                category=category,
                department=department,
            )[0]
        )
        clock.advance(timedelta(days=1))
    return numbers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [2, 1, 0]),
        ("customer=李", [1]),
        ("phone=5012", [1]),
        ("phone=138", [0]),
        ("phone=0951 501 2345", [1]),
        ("phone=09515012345", [1]),
        ("phone=138-0000-1111", [0]),
        ("address=金明", [2, 0]),
        ("address=100%25", []),  # typed % is a character, not a wildcard
        ("category=leak", [1]),
        ("department=billing", [2]),
        ("department=operations&category=leak", []),
        ("from=2026-11-24", [2, 1]),
        ("to=2026-11-24", [1, 0]),
        ("from=2026-11-24&to=2026-11-24", [1]),
        ("sort=oldest", [0, 1, 2]),
        ("sort=number", [0, 1, 2]),
        ("status=completed", []),
        ("status=running", [2, 1, 0]),
    ],
)
def test_each_filter_finds_the_right_cases(
    client: FlaskClient, three: list[str], query: str, expected: list[int]
) -> None:
    login(client, "supervisor")
    assert found(get(client, f"/cases?{query}")) == [three[i] for i in expected]


def test_search_by_part_of_the_case_number_in_any_case(client: FlaskClient, three: list[str]) -> None:
    login(client, "supervisor")
    assert found(get(client, f"/cases?number={three[1][-6:].lower()}")) == [three[1]]
    assert found(get(client, "/cases?number=NOPE")) == []
    assert get(client, "/cases?number=NOPE").has("no-cases")


def test_procedure_status_and_overdue_filters(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """C4: a supervisor finds the cases whose task is past its deadline."""
    complaint, _id = record_case(sessions, runtime)
    late, done = open_cases(sessions, runtime, 2, deadline_diagram(minutes=10), key="small")
    with sessions.begin() as session:
        complete_task(session, runtime, open_task(session, done, "work").id, OPERATOR, {})
    clock.advance(timedelta(minutes=11))
    with sessions() as session:
        late_number, done_number = (session.get(ProcessInstance, i).case_number for i in (late, done))  # type: ignore[union-attr]
    login(client, "supervisor")

    assert set(found(get(client, "/cases?process=small"))) == {late_number, done_number}
    assert found(get(client, "/cases?process=complaint")) == [complaint]
    assert found(get(client, "/cases?status=completed")) == [done_number]
    page = get(client, "/cases?overdue=1")
    assert found(page) == [late_number]
    assert page.doc.xpath("//tr[@data-case=$n]/@class", n=late_number) == ["overdue"]


def test_pages_keep_the_filters(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webforms.supervision.cases, "PAGE_SIZE", 2)
    numbers = []
    for _ in range(5):
        numbers.append(record_case(sessions, runtime, category="leak", department="repair")[0])
        clock.advance(timedelta(minutes=1))
    record_case(sessions, runtime, category="temperature")
    login(client, "supervisor")

    first = get(client, "/cases?category=leak&sort=oldest")
    assert found(first) == numbers[:2] and first.text("case-count") == "5"
    assert first.text("page-of") == "第 1 页，共 3 页"
    assert not first.has("prev-page")
    second = get(client, first.by_id("next-page").get("href"))
    assert found(second) == numbers[2:4]
    last = get(client, second.by_id("next-page").get("href"))
    assert found(last) == numbers[4:] and not last.has("next-page")
    assert found(get(client, last.by_id("prev-page").get("href"))) == numbers[2:4]
    assert (
        found(get(client, "/cases?category=leak&sort=oldest&page=99")) == numbers[4:]
    )  # past the end: the last page


def test_a_wrong_date_is_pointed_out_and_ignored(client: FlaskClient, three: list[str]) -> None:
    login(client, "supervisor")
    page = get(client, "/cases?from=2026-13-45&department=repair")
    assert found(page) == [three[1]]
    assert page.has("err-from")


def test_departments_cannot_search_by_who_the_customer_is(client: FlaskClient, three: list[str]) -> None:
    """C7, M6: a department handler sees complainants masked, so may not find them by name, phone or
    address either; the other filters work for them."""
    login(client, "ops_handler")
    page = get(client, "/cases?customer=李&phone=5012&address=兴华")
    # The personal filters are not applied (they name the repair case); the operations case is the
    # only one routed to their department, so the only one they may open and find.
    assert found(page) == [three[0]]
    assert not page.has("s-customer") and not page.has("s-phone") and not page.has("s-address")
    assert "李娜" not in page.html and "0951-5012345" not in page.html
    assert found(get(client, "/cases?category=temperature")) == [three[0]]
    assert found(get(client, "/cases?category=leak")) == []


@pytest.mark.parametrize("username", ["operator", "supervisor", "admin"])
def test_roles_that_see_personal_data_have_the_personal_filters(
    client: FlaskClient, three: list[str], username: str
) -> None:
    login(client, username)
    page = get(client, "/cases?customer=王")
    assert page.has("s-customer") and page.has("s-phone") and page.has("s-address")
    assert found(page) == [three[2]]


def test_search_needs_a_sign_in(client: FlaskClient) -> None:
    assert client.get("/cases").status_code == 302


def test_the_procedure_list_holds_every_deployed_procedure(
    client: FlaskClient, deploy_process: Callable[[str], ProcessDefinition]
) -> None:
    deploy_process("repair")
    login(client, "supervisor")
    options = get(client, "/cases").doc.xpath("//select[@id='s-process']/option/@value")
    assert options == ["", "complaint", "repair"]
