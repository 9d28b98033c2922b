"""Who may open a case's files: whoever may open the case (engine.cases.may_read_case: supervisors, the
roles that see personal data, and the people with a part in the case: a group of one of its tasks, open
or done, who claimed or completed one, its department, its opener); for others the file does not exist.
Opening a customer's drawn signature (R4) is recorded as an access to personal data (M6)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Attachment, HumanTask, PersonalDataAccess
from engine.runtime import Runtime
from tests.web.support import get, login, record_case, submit, switch_user, task_of
from tests.web.test_attachments import PNG, upload
from tests.web.test_field import ONSITE_REPORT, SIGNATURE_PNG, arrived_repair, signature_url


def signed_repair(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> tuple[str, int, int]:
    """A repair whose worker sent the on-site report with the customer's signature: (number, case id, attachment id)."""
    number, case_id, task_id = arrived_repair(client, sessions, runtime)
    submit(client, f"/tasks/{task_id}", {**ONSITE_REPORT, "customer_signature": signature_url(SIGNATURE_PNG)})
    with sessions() as session:
        (attachment_id,) = session.scalars(select(Attachment.id)).all()
    return number, case_id, attachment_id


def attachment_reads(sessions: sessionmaker[Session]) -> list[tuple[str, int | None]]:
    with sessions() as session:
        return [
            (a.username, a.instance_id)
            for a in session.scalars(
                select(PersonalDataAccess)
                .where(PersonalDataAccess.view == "attachment")
                .order_by(PersonalDataAccess.id)
            )
        ]


@pytest.mark.parametrize("username", ["worker", "dispatcher", "operator", "supervisor", "admin"])
def test_the_signature_opens_for_who_works_on_the_case_and_is_recorded_r4_m6(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any, username: str
) -> None:
    deploy_process("repair")
    _number, case_id, attachment_id = signed_repair(client, sessions, runtime)
    switch_user(client, username)
    response = client.get(f"/attachments/{attachment_id}")
    assert (response.status_code, response.data) == (200, SIGNATURE_PNG)
    assert attachment_reads(sessions) == [(username, case_id)]


@pytest.mark.parametrize("username", ["billing_handler", "ops_handler", "liaison", "owner", "tech_handler"])
def test_the_signature_and_the_case_are_not_found_for_others(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any, username: str
) -> None:
    deploy_process("repair")
    number, _case_id, attachment_id = signed_repair(client, sessions, runtime)
    switch_user(client, username)
    assert client.get(f"/attachments/{attachment_id}").status_code == 404
    assert attachment_reads(sessions) == []
    case_page = get(client, f"/cases/{number}")
    assert case_page.status == 404
    assert f"/attachments/{attachment_id}" not in case_page.html


def test_a_photo_opens_for_the_tasks_group_and_who_claimed_a_task_without_a_record(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A site photo is not a customer's personal data: reading it is allowed by the same rule, not logged."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    upload(client, task_id, PNG, "现场.png")
    with sessions() as session:
        (attachment_id,) = session.scalars(select(Attachment.id)).all()
    assert client.get(f"/attachments/{attachment_id}").data == PNG
    switch_user(client, "billing_handler")
    assert client.get(f"/attachments/{attachment_id}").status_code == 404
    with sessions.begin() as session:  # reassigned to billing by a supervisor: now working on the case
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(assignee="billing_handler"))
    assert client.get(f"/attachments/{attachment_id}").status_code == 200
    assert attachment_reads(sessions) == []


def test_an_unknown_attachment_is_not_found(client: FlaskClient) -> None:
    login(client, "supervisor")
    assert client.get("/attachments/999999").status_code == 404
