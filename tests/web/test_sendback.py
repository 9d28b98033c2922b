"""Send-back and review through web requests only (退单/改派, C4): the department (a complaint's handler,
a repair's worker on site) says "not ours" with a reason and attached evidence, the dispatcher reviews it
on the task page and re-dispatches or rejects, and the supervisors' KPI page counts it per department."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessInstance
from engine.runtime import Runtime
from tests.web.support import Page, get, login, post, record_case, submit, switch_user, task_of
from tests.web.test_field import dispatched_repair

PDF = b"%PDF-1.4\n% evidence of the billing department's responsibility\n"
REASON = "该户为欠费停供,属收费部门职责。"
NOT_OURS = {
    "investigation": "现场核实为欠费停供。",
    "outcome": "not_ours",
    "sendback_reason": REASON,
    "suggested_department": "billing",
}


def attach(client: FlaskClient, task_id: int) -> None:
    token = get(client, f"/tasks/{task_id}").csrf_token()
    response = client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(PDF), "欠费证明.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def send_back(client: FlaskClient, sessions: sessionmaker[Session], case_id: int) -> None:
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    # the missing file and a missing field are said together, what was typed kept
    refused = submit(client, f"/tasks/{task_id}", {**NOT_OURS, "investigation": ""})
    assert refused.status == 400
    assert "依据文件" in (refused.error("sendback_reason") or "")
    assert "重新选择" in (refused.error("sendback_reason") or "")  # a chosen file must be chosen again
    assert refused.error("investigation") is not None
    assert refused.field_value("sendback_reason") == REASON
    refused = submit(client, f"/tasks/{task_id}", NOT_OURS)
    assert refused.status != 302
    assert "依据文件" in (refused.error("sendback_reason") or "")
    assert refused.field_value("sendback_reason") == REASON  # what was typed is kept
    attach(client, task_id)
    page = submit(client, f"/tasks/{task_id}", NOT_OURS)
    assert page.status == 302, page.html


def review_page(client: FlaskClient, sessions: sessionmaker[Session], case_id: int) -> tuple[int, Page]:
    switch_user(client, "dispatcher")
    task_id = task_of(sessions, case_id, "review_sendback")
    page = get(client, f"/tasks/{task_id}")
    assert page.status == 200 and page.has("task-form")
    assert REASON in page.html and "欠费证明.pdf" in page.html  # the reason and the evidence
    return task_id, page


def test_send_back_with_evidence_approved_reaches_the_new_department_and_the_kpi_page_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    number, case_id = record_case(sessions, runtime, department="operations")
    clock.advance(timedelta(hours=1))
    send_back(client, sessions, case_id)

    clock.advance(timedelta(hours=1))
    task_id, _page = review_page(client, sessions, case_id)
    refused = submit(client, f"/tasks/{task_id}", {"sendback_decision": "approve"})
    assert refused.status != 302 and refused.error("redispatch_department")
    same = submit(
        client, f"/tasks/{task_id}", {"sendback_decision": "approve", "redispatch_department": "operations"}
    )
    assert same.status != 302 and "责任部门" in (same.error("redispatch_department") or "")
    done = submit(
        client, f"/tasks/{task_id}", {"sendback_decision": "approve", "redispatch_department": "billing"}
    )
    assert done.status == 302, done.html
    with sessions() as session:
        case = session.get(ProcessInstance, case_id)
        assert case is not None and case.department == "billing"

    switch_user(client, "billing_handler")
    links = get(client, "/tasks").task_links()
    assert [(element, case) for element, _url, case in links] == [("department_handling", number)]

    switch_user(client, "supervisor")
    for language, title in (("zh", "各部门退单情况"), ("en", "Send-backs by department")):
        post(client, f"/lang/{language}", {"next": "/kpi"}, get(client, "/kpi").csrf_token())
        kpi = get(client, "/kpi")
        assert kpi.status == 200 and title in kpi.html
        row = kpi.doc.xpath("//section[@id='kpi-sendbacks']//tr[@data-row='operations']/td/text()")
        assert row[1:] == ["1", "1", "0", "0", "2.0"]


def test_send_back_rejected_stays_with_the_department_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    number, case_id = record_case(sessions, runtime, department="operations")
    send_back(client, sessions, case_id)
    task_id, _page = review_page(client, sessions, case_id)
    done = submit(
        client, f"/tasks/{task_id}", {"sendback_decision": "reject", "review_comment": "室温问题属生产运行"}
    )
    assert done.status == 302, done.html
    switch_user(client, "ops_handler")
    links = get(client, "/tasks").task_links()
    assert [(element, case) for element, _url, case in links] == [("department_handling", number)]


# --- repair.bpmn: the worker on site sends the order back (C4, R2) ----------------------------------------

REPAIR_REASON = "整栋楼温度普遍偏低,属二次管网调节,非户内维修事项。"


def test_a_repair_worker_sends_an_order_back_with_evidence_and_it_is_redispatched_c4_r2(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Any,
) -> None:
    deploy_process("repair")
    number, case_id = dispatched_repair(sessions, runtime)
    login(client, "worker")
    # the ordinary arrival is still one tap on the field page: the send-back is in the full form
    (job,) = get(client, "/field").doc.xpath("//li[contains(@class, 'job')]")
    assert job.xpath(".//button[starts-with(@id, 'now-')]")
    task_id = task_of(sessions, case_id, "arrive_on_site")
    form = get(client, f"/tasks/{task_id}")
    assert form.by_id("f-site_finding") is not None and form.by_id("f-sendback_reason") is not None
    not_ours = {
        "arrived_at": "2026-11-23T09:20",
        "site_finding": "not_ours",
        "sendback_reason": REPAIR_REASON,
        "suggested_department": "operations",
    }
    # neither the reason nor the file: both are said at once, not one now and the other on the next try
    bare = submit(client, f"/tasks/{task_id}", {**not_ours, "sendback_reason": ""})
    assert bare.status == 400
    said = bare.error("sendback_reason") or ""
    assert said.startswith("此项为必填项。") and "依据文件" in said and "。 " not in said, said
    refused = submit(client, f"/tasks/{task_id}", not_ours)
    assert refused.status == 400
    assert "依据文件" in (refused.error("sendback_reason") or "")
    assert "必填" not in (refused.error("sendback_reason") or "")
    assert refused.field_value("sendback_reason") == REPAIR_REASON  # what was typed is kept
    attach(client, task_id)
    assert submit(client, f"/tasks/{task_id}", not_ours).status == 302

    clock.advance(timedelta(hours=1))
    switch_user(client, "dispatcher")
    review = task_of(sessions, case_id, "review_sendback")
    page = get(client, f"/tasks/{review}")
    assert REPAIR_REASON in page.html and "欠费证明.pdf" in page.html  # the reason and the evidence
    same = submit(
        client, f"/tasks/{review}", {"sendback_decision": "approve", "redispatch_department": "repair"}
    )
    assert same.status == 400 and same.error("redispatch_department")
    done = submit(
        client, f"/tasks/{review}", {"sendback_decision": "approve", "redispatch_department": "operations"}
    )
    assert done.status == 302, done.html
    with sessions() as session:
        case = session.get(ProcessInstance, case_id)
        assert case is not None and case.department == "operations"
    links = get(client, "/tasks").task_links()
    assert ("dispatch", number) in [(element, case) for element, _url, case in links]  # dispatched again

    switch_user(client, "supervisor")
    kpi = get(client, "/kpi")
    row = kpi.doc.xpath("//section[@id='kpi-sendbacks']//tr[@data-row='repair']/td/text()")
    assert row[1:] == ["1", "1", "0", "0", "1.0"]  # for the department holding the order, not the workers


def test_a_repair_send_back_rejected_goes_back_to_the_worker_on_site_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    deploy_process("repair")
    _number, case_id = dispatched_repair(sessions, runtime)
    login(client, "worker")
    task_id = task_of(sessions, case_id, "arrive_on_site")
    attach(client, task_id)
    sent = submit(
        client,
        f"/tasks/{task_id}",
        {"arrived_at": "2026-11-23T09:20", "site_finding": "not_ours", "sendback_reason": REPAIR_REASON},
    )
    assert sent.status == 302
    switch_user(client, "dispatcher")
    review = task_of(sessions, case_id, "review_sendback")
    assert submit(client, f"/tasks/{review}", {"sendback_decision": "reject"}).status == 400
    done = submit(
        client, f"/tasks/{review}", {"sendback_decision": "reject", "review_comment": "户内暖气片不热"}
    )
    assert done.status == 302
    switch_user(client, "worker")
    links = get(client, "/tasks").task_links()
    assert [element for element, _url, _case in links] == ["onsite_report"]
