"""Dispatch (R2, R3): the dispatcher picks a repair worker or crew from a list that shows each one's open
jobs, the promised arrival is checked against the category's on-site limit (a later one needs a
reason), the chosen worker gets the job, and their job card shows the promise and the note."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.db.models import Event, HumanTask
from engine.runtime import Actor, Runtime
from tests.web.support import get, login, submit, switch_user, task_of

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))


def burst_pipe(sessions: sessionmaker[Session], runtime: Runtime) -> tuple[str, int]:
    with sessions.begin() as session:
        case = start_case(
            session,
            runtime,
            "repair",
            DISPATCHER,
            {
                "customer_name": "马强",
                "customer_phone": "13912345678",
                "address": "金明区5号楼2单元602",
                "description": "厨房水管爆裂",
                "category": "burst",  # R3: on site within 30 minutes
            },
        )
        return case.case_number, case.id


def test_the_dispatcher_picks_a_worker_and_a_late_promise_needs_a_reason_r2_r3(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    deploy_process("repair")
    number, case_id = burst_pipe(sessions, runtime)
    task_id = task_of(sessions, case_id, "dispatch")
    login(client, "dispatcher")
    page = get(client, f"/tasks/{task_id}")
    choices = page.by_id("f-worker").xpath(".//option")
    assert [o.get("value") for o in choices] == ["", "worker", "repair_worker"]  # a person, then the crew
    assert "未完成：0" in choices[1].text and "今日已完成：0" in choices[1].text
    assert "09:30" in page.text("onsite-limit")  # 09:00 now + 30 minutes

    typed = {"worker": "张三", "expected_arrival": "2026-11-23T09:20", "arrival_told": "on"}
    refused = submit(client, f"/tasks/{task_id}", typed)
    assert refused.status == 400 and refused.has("err-worker")  # nobody of that name in the list

    late = {
        "worker": "worker",
        "expected_arrival": "2026-11-23T10:30",
        "arrival_told": "on",
        "dispatch_note": "带上管钳",
    }
    refused = submit(client, f"/tasks/{task_id}", late)
    assert refused.status == 400
    assert "09:30" in refused.text("err-expected_arrival")
    assert refused.field_value("expected_arrival") == "2026-11-23T10:30"  # nothing typed is lost
    assert refused.by_id("f-worker").xpath(".//option[@selected]/@value") == ["worker"]

    sent = submit(client, f"/tasks/{task_id}", {**late, "late_arrival_reason": "暴雪封路"})
    assert sent.status == 302
    with sessions() as session:
        arrive = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == case_id, HumanTask.element_id == "arrive_on_site"
            )
        ).one()
        assert arrive.assignee == "worker"  # the chosen worker has the job
        handed = session.scalars(
            select(Event).where(Event.instance_id == case_id, Event.kind == "task_reassigned")
        ).one()
        assert (handed.actor, handed.changes) == ("dispatcher", {"assignee": [None, "worker"]})

    switch_user(client, "worker")
    (job,) = get(client, "/field").doc.xpath("//li[contains(@class, 'job')]")
    text = job.text_content()
    assert "10:30" in text and "带上管钳" in text  # the promise and the note on the job card

    switch_user(client, "dispatcher")
    case_page = get(client, f"/cases/{number}")
    assert "吴师傅" in case_page.html  # the worker by name, not by login

    # R2: at the next dispatch the worker shows as busy, and where their job is (who is nearest)
    _second, second_id = burst_pipe(sessions, runtime)
    page = get(client, f"/tasks/{task_of(sessions, second_id, 'dispatch')}")
    (busy,) = page.by_id("f-worker").xpath(".//option[@value='worker']")
    assert "未完成：1" in busy.text and "金明区5号楼2单元602" in busy.text


def test_a_promise_within_the_limit_needs_no_reason_and_a_crew_keeps_the_job_open_to_all(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    deploy_process("repair")
    _number, case_id = burst_pipe(sessions, runtime)
    task_id = task_of(sessions, case_id, "dispatch")
    login(client, "dispatcher")
    form = {"worker": "repair_worker", "expected_arrival": "2026-11-23T09:30", "arrival_told": "on"}
    assert submit(client, f"/tasks/{task_id}", form).status == 302
    with sessions() as session:
        arrive = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == case_id, HumanTask.element_id == "arrive_on_site"
            )
        ).one()
        assert arrive.assignee is None
