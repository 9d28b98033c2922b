"""Send-back and review through web requests only (退单/改派, C4): the department says "not ours" with a
reason and attached evidence, the dispatcher reviews it on the task page and re-dispatches or rejects,
and the supervisors' KPI page counts it per department."""

from __future__ import annotations

import io
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessInstance
from engine.runtime import Runtime
from tests.web.support import Page, get, login, post, record_case, submit, switch_user, task_of

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
