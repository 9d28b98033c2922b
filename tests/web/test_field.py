"""Field work (R3, R4): a repair worker's jobs with address, phone and map link, one tap to record the
arrival time, and the on-site report form one tap away; each full view of a customer's data is logged."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.db.models import Attachment, Event, HumanTask, PersonalDataAccess, ProcessInstance
from engine.runtime import Actor, Runtime
from tests.helpers import open_task
from tests.web.support import get, login, submit

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))


def dispatched_repair(sessions: sessionmaker[Session], runtime: Runtime) -> tuple[str, int]:
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
                "category": "burst",
            },
        )
        number, case_id = case.case_number, case.id
    with sessions.begin() as session:
        complete_task(
            session,
            runtime,
            open_task(session, case_id, "dispatch").id,
            DISPATCHER,
            {"worker": "吴师傅", "expected_arrival": "2026-11-23T09:25", "arrival_told": "on"},
        )
    return number, case_id


def test_a_worker_records_arrival_with_one_tap_r3(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    """R3: the arrival time is recorded with one tap; R4: the on-site report opens from the same page."""
    deploy_process("repair")
    number, case_id = dispatched_repair(sessions, runtime)
    login(client, "worker")
    page = get(client, "/field")
    (job,) = page.doc.xpath("//li[contains(@class, 'job')]")
    assert job.get("data-case") == number and job.get("data-element") == "arrive_on_site"
    assert "金明区5号楼2单元602" in job.text_content() and "13912345678" in job.text_content()
    assert job.xpath(".//a[@class='map']/@href")[0].startswith("https://uri.amap.com/search?keyword=")
    assert "剩余 30 分钟" in job.text_content()  # burst pipe: on site within 30 minutes
    with sessions() as session:
        assert session.scalars(
            select(PersonalDataAccess.view).where(PersonalDataAccess.instance_id == case_id)
        ).all() == ["field"]

    task_id = int(job.xpath(".//button/@id")[0].split("-")[1])
    done = submit(client, "/field", {}, post_url=f"/field/{task_id}/now", follow=True)
    assert done.flashes() == [f"工单 {number} 的「到达现场」已记录于 09:00。"]
    with sessions() as session:
        instance = session.get(ProcessInstance, case_id)
        assert instance.data["arrived_at"] == "2026-11-23T09:00:00+08:00"  # type: ignore[union-attr]
    (job,) = done.doc.xpath("//li[contains(@class, 'job')]")
    assert job.get("data-element") == "onsite_report" and job.xpath(".//a[starts-with(@id, 'open-')]")


def test_the_field_page_is_for_repair_workers(client: FlaskClient) -> None:
    login(client, "operator")
    assert get(client, "/field").status == 403


def signature_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


SIGNATURE_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(120))
ONSITE_REPORT = {
    "diagnosis": "管道爆裂",
    "work_done": "更换一段管道",
    "steps_explained": True,
    "customer_signed": True,
    "signer_name": "马强",
    "outcome": "resolved",
}


def arrived_repair(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> tuple[str, int, int]:
    """A repair whose worker is on site; the worker is signed in. Returns (case number, case id, report task id)."""
    number, case_id = dispatched_repair(sessions, runtime)
    login(client, "worker")
    (button,) = get(client, "/field").doc.xpath("//li[contains(@class, 'job')]//button/@id")
    submit(client, "/field", {}, post_url=f"/field/{button.split('-')[1]}/now")
    with sessions() as session:
        return number, case_id, open_task(session, case_id, "onsite_report").id


def test_the_on_site_report_keeps_a_drawn_signature_as_an_image_r4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    """R4: the report's form has a signature pad (a canvas writing into a hidden field, a clear button, a
    label); a signature that is not a PNG is refused and the rest of the input kept; a PNG is stored as
    the case's attachment by its checksum and shown on the case with a thumbnail."""
    deploy_process("repair")
    number, case_id, task_id = arrived_repair(client, sessions, runtime)
    form = get(client, f"/tasks/{task_id}")
    (pad,) = form.doc.xpath("//canvas[@data-signature-for='f-customer_signature']")
    assert (
        pad.get("aria-labelledby") == "label-customer_signature"
        and form.text("label-customer_signature") == "客户手写签名"
    )
    assert form.by_id("f-customer_signature").get("type") == "hidden"
    assert form.by_id("clear-customer_signature").get("data-signature-clear") == "f-customer_signature"
    assert form.doc.xpath("//script[contains(@src, 'vendor/hotline-signature.js')]")

    bad = "data:image/png;base64," + base64.b64encode(b"<svg onload=alert(1)>").decode()
    refused = submit(client, f"/tasks/{task_id}", {**ONSITE_REPORT, "customer_signature": bad})
    assert refused.status == 400
    assert refused.error("customer_signature") == "无法读取签名，请清除后重新签名。"
    assert (refused.field_value("diagnosis"), refused.field_value("signer_name")) == ("管道爆裂", "马强")
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []

    done = submit(
        client,
        f"/tasks/{task_id}",
        {**ONSITE_REPORT, "customer_signature": signature_url(SIGNATURE_PNG)},
        follow=True,
    )
    assert done.flashes() == [f"工单 {number} 的任务“现场维修并回单”已完成。"]
    with sessions() as session:
        (attachment,) = session.scalars(select(Attachment)).all()
        instance = session.get(ProcessInstance, case_id)
        assert instance is not None and instance.data["customer_signature"] == attachment.id
        assert instance.data["signer_name"] == "马强"
    assert (attachment.file_name, attachment.sha256, attachment.task_id) == (
        "customer_signature.png",
        hashlib.sha256(SIGNATURE_PNG).hexdigest(),
        task_id,
    )
    assert client.get(f"/attachments/{attachment.id}").data == SIGNATURE_PNG
    login(client, "dispatcher")
    case_page = get(client, f"/cases/{number}")
    assert case_page.doc.xpath("//ul[@id='attachments']//a/text()") == ["customer_signature.png"]
    assert case_page.doc.xpath("//ul[@id='attachments']//img[@class='thumb']/@src") == [
        f"/attachments/{attachment.id}"
    ]
    assert case_page.doc.xpath("//dd[@data-field='customer_signature']/text()") == ["手写签名（见附件）"]


def test_the_on_site_report_goes_without_a_signature_r4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    """R4: without JavaScript the signature field stays empty; the report is sent all the same, and a draft
    never keeps a signature."""
    deploy_process("repair")
    _number, case_id, task_id = arrived_repair(client, sessions, runtime)
    submit(
        client,
        f"/tasks/{task_id}",
        {**ONSITE_REPORT, "customer_signature": signature_url(SIGNATURE_PNG)},
        post_url=f"/tasks/{task_id}/draft",
    )
    with sessions() as session:
        assert "customer_signature" not in session.get(HumanTask, task_id).draft  # type: ignore[union-attr]
    assert submit(client, f"/tasks/{task_id}", ONSITE_REPORT).status == 302
    with sessions() as session:
        instance = session.get(ProcessInstance, case_id)
        assert instance is not None and instance.data["customer_signature"] is None
        assert session.scalars(select(Attachment)).all() == []


def test_the_job_a_worker_arrived_at_is_theirs_and_the_report_leads_back_to_the_jobs(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    """The arrival claims the on-site report for the worker who tapped it (a history entry says so); the
    report opened from the field page comes back to the jobs, from the tasklist to the tasklist."""
    deploy_process("repair")
    number, case_id, task_id = arrived_repair(client, sessions, runtime)
    with sessions() as session:
        assert session.get(HumanTask, task_id).assignee == "worker"  # type: ignore[union-attr]
        claims = session.scalars(
            select(Event.actor).where(Event.instance_id == case_id, Event.kind == "task_claimed")
        ).all()
        assert claims == ["worker"]
    jobs = get(client, "/field")
    (link,) = jobs.doc.xpath(f"//a[@id='open-{task_id}']/@href")
    assert link == f"/tasks/{task_id}?back=field"
    form = get(client, link)
    assert form.text("claim-state") == "由您认领。" and not form.has("claim")
    assert form.doc.xpath("//form[@id='task-form']//input[@name='back']/@value") == ["field"]
    saved = submit(client, link, {**ONSITE_REPORT, "back": "field"}, post_url=f"/tasks/{task_id}/draft")
    assert saved.response.headers["Location"] == link
    done = submit(client, link, {**ONSITE_REPORT, "back": "field"}, post_url=f"/tasks/{task_id}")
    assert done.status == 302 and done.response.headers["Location"] == "/field"
    with sessions() as session:
        instance = session.get(ProcessInstance, case_id)
        assert (
            instance is not None and "back" not in instance.data and instance.data["diagnosis"] == "管道爆裂"
        )


def test_a_report_sent_from_the_tasklist_returns_to_the_tasklist(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    deploy_process("repair")
    _number, _case_id, task_id = arrived_repair(client, sessions, runtime)
    done = submit(client, f"/tasks/{task_id}", {**ONSITE_REPORT, "back": "elsewhere"})
    assert done.status == 302 and done.response.headers["Location"] == "/tasks"
