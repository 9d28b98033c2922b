"""M6 on the pages that list cases: the case search shows the customer's name in full to the roles that
see personal data (an operator recognises a caller among the results), and records each case so shown,
one row per case and page view, in one statement; masked roles leave no record and see no name. A
staff message naming a customer (L2) is recorded too."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Notification, PersonalDataAccess, ProcessInstance
from engine.runtime import Runtime
from tests.web.support import get, login, record_case, statements

NAMES = ("张伟", "李娜", "王芳")


def accesses(sessions: sessionmaker[Session], view: str) -> list[tuple[str, int | None]]:
    with sessions() as session:
        return [
            (a.username, a.instance_id)
            for a in session.scalars(
                select(PersonalDataAccess)
                .where(PersonalDataAccess.view == view)
                .order_by(PersonalDataAccess.id)
            )
        ]


@pytest.mark.parametrize("username", ["operator", "supervisor", "admin", "dispatcher"])
def test_each_case_shown_in_full_in_the_search_is_recorded_in_one_insert_m6(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, username: str
) -> None:
    cases = {name: record_case(sessions, runtime, customer_name=name)[1] for name in NAMES}
    login(client, username)
    with statements(app) as sent:
        page = get(client, "/cases")
    inserts = [sql for sql in sent if sql.lstrip().upper().startswith("INSERT INTO PERSONAL_DATA_ACCESS")]
    assert all(name in page.text("caselist") for name in NAMES)
    assert len(inserts) == 1
    assert sorted(accesses(sessions, "case_search")) == sorted(
        (username, case_id) for case_id in cases.values()
    )

    get(client, "/cases", query_string={"customer": "李娜"})  # another page view: its one result
    assert accesses(sessions, "case_search")[len(NAMES) :] == [(username, cases["李娜"])]


def test_a_case_without_a_customer_name_is_not_recorded_as_shown(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, named = record_case(sessions, runtime)
    _other, anonymous = record_case(sessions, runtime)
    with sessions.begin() as session:  # a caller who gave no name (the summary column the list shows)
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == anonymous).values(customer_name=None)
        )
    login(client, "operator")
    get(client, "/cases")
    assert accesses(sessions, "case_search") == [("operator", named)]


@pytest.mark.parametrize("username", ["ops_handler", "repair_handler", "liaison", "worker", "owner"])
def test_masked_roles_see_no_name_in_the_search_and_leave_no_record(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, username: str
) -> None:
    numbers = [record_case(sessions, runtime, customer_name=name)[0] for name in NAMES]
    login(client, username)
    page = get(client, "/cases")
    assert page.status == 200
    # The complaints are routed to operations: only its handler may open them, so only they find them.
    listed = page.text("caselist") if page.has("caselist") else ""
    assert all((number in listed) == (username == "ops_handler") for number in numbers)
    assert not any(name in page.html for name in NAMES)
    assert ("张*" in listed) == (username == "ops_handler")
    assert accesses(sessions, "case_search") == []


def test_a_message_naming_the_customer_is_recorded_when_shown_l2_m6(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """L2 sends the department head the customer's name and address, which a head does not otherwise see."""
    _number, named = record_case(sessions, runtime)
    _other, unnamed = record_case(sessions, runtime, customer_name="李娜")
    with sessions.begin() as session:
        for case_id, text in (
            (named, "紧急:张伟(金明小区3号楼2单元501)反映:停热"),
            (unnamed, "督办:工单已超过时限"),
        ):
            session.add(
                Notification(
                    recipient="ops_head",
                    instance_id=case_id,
                    element_id="notify_head",
                    message=text,
                    message_en="",
                    created_at=clock.now(),
                    read_at=None,
                )
            )
    login(client, "ops_head")
    assert "张伟" in get(client, "/notifications").text("messages")
    assert accesses(sessions, "notifications") == [("ops_head", named)]
