"""One case per intake form: the form carries a one-time key, and sending it again (a double click, a
browser resubmitting after a slow answer) shows the case the first submission opened instead of
opening a second one, also when both submissions arrive at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import engine.work.use_cases
from engine.db.models import IntakeKey, ProcessInstance
from tests.helpers import intake_form
from tests.web.support import Page, get, login, post


def case_numbers(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(ProcessInstance.case_number).order_by(ProcessInstance.id)))


def intake_page(client: FlaskClient) -> tuple[str, str]:
    """(csrf token, intake key) of a freshly opened complaint intake."""
    page = get(client, "/cases/new/complaint")
    return page.csrf_token(), page.by_id("intake-key").get("value")


def send(client: FlaskClient, token: str, key: str, follow: bool = False) -> Page:
    return post(client, "/cases/new/complaint", {**intake_form(), "intake_key": key}, token, follow=follow)


def test_the_same_form_sent_twice_opens_one_case_and_the_second_answer_shows_it(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    token, key = intake_page(client)
    first = send(client, token, key)
    (number,) = case_numbers(sessions)
    assert first.response.headers["Location"] == f"/cases/{number}"

    again = send(client, token, key, follow=True)
    assert case_numbers(sessions) == [number]
    assert again.response.request.path == f"/cases/{number}"
    assert again.flashes()[-1:] == [
        f"此表单已提交过：已据此登记工单 {number}，未重复建单。请将此编号告知来电人。"
    ]
    with sessions() as session:
        assert session.scalar(select(IntakeKey.instance_id).where(IntakeKey.key == key)) == session.scalar(
            select(ProcessInstance.id)
        )


def test_each_opened_form_has_its_own_key_and_opens_its_own_case(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    token, first_key = intake_page(client)
    _token, second_key = intake_page(client)
    assert first_key != second_key and len(first_key) >= 16
    send(client, token, first_key)
    send(client, token, second_key)
    assert len(case_numbers(sessions)) == 2


def test_a_form_with_errors_and_a_switched_kind_keep_the_key(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    deploy_process("repair")
    login(client, "operator")
    token, key = intake_page(client)
    refused = post(
        client, "/cases/new/complaint", {**intake_form(customer_phone="12"), "intake_key": key}, token
    )
    assert refused.status == 400 and refused.by_id("intake-key").get("value") == key
    switched = post(client, "/cases/new/repair/switch", {**intake_form(), "intake_key": key}, token)
    assert switched.by_id("intake-key").get("value") == key
    assert case_numbers(sessions) == []


@pytest.mark.real_commits
def test_two_submissions_of_one_form_at_once_open_one_case(
    app: Flask, sessions: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests find no case for the key before either commits; the database lets one record it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writing transaction at a time: the two requests cannot overlap")
    clients = [app.test_client(), app.test_client()]
    tokens = []
    for client in clients:
        login(client, "operator")
        tokens.append(intake_page(client))
    key = tokens[0][1]
    both_looked = threading.Barrier(2, timeout=20)
    looked = threading.local()
    original = engine.work.use_cases.case_of_intake_key

    def look_then_wait(session: Session, wanted: str) -> Any:
        found = original(session, wanted)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait()
        return found

    monkeypatch.setattr(engine.work.use_cases, "case_of_intake_key", look_then_wait)
    answers: list[Page] = []

    def submit_form(client: FlaskClient, token: str) -> None:
        answers.append(send(client, token, key, follow=True))

    threads = [
        threading.Thread(target=submit_form, args=(c, t)) for c, (t, _k) in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    (number,) = case_numbers(sessions)
    assert sorted(a.response.request.path for a in answers) == [f"/cases/{number}"] * 2
    assert sorted(len(a.flashes()) for a in answers) == [1, 1]
    assert any("未重复建单" in a.flashes()[0] for a in answers)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(IntakeKey)) == 1


OUTAGE = {
    "service": "heating",
    "outage_type": "fault",
    "district": "金明区",
    "building": "3号楼",
    "unit": "1单元",
    "cause": "管道爆裂",
    "starts_at": "2026-11-23T08:30",
    "estimated_restore_at": "2026-11-23T17:00",
}


def test_a_procedure_without_a_caller_does_not_ask_to_tell_one_the_number(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """An outage is registered by staff: nobody called, so the number is not for a caller."""
    deploy_process("outage")
    login(client, "dispatcher")
    page = get(client, "/cases/new/outage")
    key = page.by_id("intake-key").get("value")
    first = post(client, "/cases/new/outage", {**OUTAGE, "intake_key": key}, page.csrf_token(), follow=True)
    (number,) = case_numbers(sessions)
    # Besides it, only the warning that no SMS gateway is set up (the announcement's messages wait).
    assert f"工单 {number} 已登记。" in first.flashes()
    assert not [f for f in first.flashes() if "告知来电人" in f]
    again = post(client, "/cases/new/outage", {**OUTAGE, "intake_key": key}, page.csrf_token(), follow=True)
    assert f"此表单已提交过：已据此登记工单 {number}，未重复建单。" in again.flashes()
    assert not [f for f in again.flashes() if "告知来电人" in f]
    assert case_numbers(sessions) == [number]
