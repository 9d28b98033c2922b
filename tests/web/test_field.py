"""Field work (R3, R4): a repair worker's jobs with address, phone and map link, one tap to record the
arrival time, and the on-site report form one tap away; each full view of a customer's data is logged."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.models import PersonalDataAccess, ProcessInstance
from engine.runner import complete_task, start_case
from engine.runtime import Actor, Engine

from ..helpers import open_task
from .support import get, login, submit

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))


def dispatched_repair(sessions: sessionmaker[Session], runtime: Engine) -> tuple[str, int]:
    with sessions.begin() as session:
        case = start_case(session, runtime, "repair", DISPATCHER, {
            "customer_name": "马强", "customer_phone": "13912345678", "address": "金明区5号楼2单元602",
            "description": "厨房水管爆裂", "category": "burst"})
        number, case_id = case.case_number, case.id
    with sessions.begin() as session:
        complete_task(session, runtime, open_task(session, case_id, "dispatch").id, DISPATCHER,
                      {"worker": "吴师傅", "expected_arrival": "2026-11-23T09:25", "arrival_told": "on"})
    return number, case_id


def test_a_worker_records_arrival_with_one_tap_r3(client: FlaskClient, sessions: sessionmaker[Session],
                                                  runtime: Engine, deploy_process: Any) -> None:
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
        assert session.scalars(select(PersonalDataAccess.view).where(PersonalDataAccess.instance_id == case_id)).all() == ["field"]

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
