"""The fields a diagram declares personal (property `personal`) are masked on the case page and in its
history for roles that do not see personal data, and shown in full, and recorded, for those who do
(C7, M6): the repair report's signer_name, the consultation's contact."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import start_case
from engine.clock import SettableClock
from engine.db.models import Notification, PersonalDataAccess, ProcessInstance
from engine.runtime import Runtime
from tests.helpers import OPERATOR
from tests.web.support import Page, get, login, switch_user
from tests.web.test_attachment_access import signed_repair

CONTACT = "13912345678"
CONSULTATION = {
    "customer_name": "王芳",
    "customer_phone": "13900000004",
    "question": "明年供暖费标准是否调整?",
    "category": "billing",
    "answered_now": False,
    "promised_reply_at": "2026-11-24T10:00",
    "reply_channel": "phone",
    "contact": CONTACT,
}


def shown(page: Page, field_id: str) -> str:
    return str(page.doc.xpath("string(//dd[@data-field=$f])", f=field_id)).strip()


def history_values(page: Page, label: str) -> list[str]:
    return [change[1] for entry in page.history() for key, change in entry.changes.items() if key == label]


def case_views(sessions: sessionmaker[Session], instance_id: int) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(PersonalDataAccess.username).where(
                    PersonalDataAccess.instance_id == instance_id, PersonalDataAccess.view == "case"
                )
            )
        )


def test_the_signer_s_name_is_masked_for_the_repair_department_and_recorded_for_the_supervisor_r4_m6(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    deploy_process("repair")
    number, case_id, _file = signed_repair(client, sessions, runtime)
    switch_user(client, "repair_handler")
    page = get(client, f"/cases/{number}")
    assert page.status == 200
    assert shown(page, "signer_name") == "马*"
    assert history_values(page, "签字人姓名") == ["马*"]
    assert "马强" not in page.html
    assert case_views(sessions, case_id) == []

    switch_user(client, "supervisor")
    page = get(client, f"/cases/{number}")
    assert shown(page, "signer_name") == "马强"
    assert history_values(page, "签字人姓名") == ["马强"]
    assert case_views(sessions, case_id) == ["supervisor"]


@pytest.fixture
def consultation(sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any) -> tuple[str, int]:
    """A consultation promised a reply by phone; routed to billing (the case's department column), so
    billing's handler may open it."""
    deploy_process("consultation")
    with sessions.begin() as session:
        case = start_case(session, runtime, "consultation", OPERATOR, CONSULTATION)
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == case.id).values(department="billing")
        )
        return case.case_number, case.id


def test_the_consultation_s_contact_is_masked_for_a_department_q1_m6(
    client: FlaskClient, sessions: sessionmaker[Session], consultation: tuple[str, int]
) -> None:
    number, case_id = consultation
    login(client, "billing_handler")
    page = get(client, f"/cases/{number}")
    assert page.status == 200
    assert shown(page, "contact") == "139****5678"
    assert history_values(page, "答复联系方式（电话或邮箱）") == ["139****5678"]
    assert CONTACT not in page.html
    assert case_views(sessions, case_id) == []


@pytest.mark.parametrize("username", ["operator", "supervisor"])
def test_the_consultation_s_contact_is_shown_in_full_and_recorded_q1_m6(
    client: FlaskClient, sessions: sessionmaker[Session], consultation: tuple[str, int], username: str
) -> None:
    number, case_id = consultation
    login(client, username)
    page = get(client, f"/cases/{number}")
    assert shown(page, "contact") == CONTACT
    assert history_values(page, "答复联系方式（电话或邮箱）") == [CONTACT]
    assert case_views(sessions, case_id) == [username]


def test_a_message_naming_a_field_declared_personal_is_recorded_as_read_in_full_m6(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock, consultation: tuple[str, int]
) -> None:
    """Issue 14 follow-up: a message a diagram filled in with the reply contact (declared personal, not a
    customer column) is recorded like one naming the customer; a message naming nothing personal is not."""
    number, case_id = consultation
    with sessions.begin() as session:
        for text in (f"请回电 {CONTACT}", "请尽快答复"):
            session.add(
                Notification(
                    recipient="billing_handler",
                    instance_id=case_id,
                    element_id="notify",
                    message=text,
                    message_en=None,
                    created_at=clock.now(),
                    read_at=None,
                )
            )
    login(client, "billing_handler")
    page = get(client, "/notifications")
    assert CONTACT in page.text("messages")
    assert page.by_id("messages").xpath(".//a/text()") == [number, number]  # billing may open the case
    assert list_views(sessions, case_id) == ["billing_handler"]
    with sessions.begin() as session:
        session.execute(update(Notification).values(message="请尽快答复"))
    get(client, "/notifications")
    assert list_views(sessions, case_id) == ["billing_handler"]  # nothing personal named: no new record


def list_views(sessions: sessionmaker[Session], instance_id: int) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(PersonalDataAccess.username).where(
                    PersonalDataAccess.instance_id == instance_id, PersonalDataAccess.view == "notifications"
                )
            )
        )
