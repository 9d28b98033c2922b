"""What people read about a case is said in their terms: people by their names, a form's fields in the
form's order, a notice and a notification told in words with links, no procedure rule ids on the pages
(the rules stay in the diagrams' documentation and the tests), and no word that means something else."""

from __future__ import annotations

import io
import re
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import FieldDef
from engine.db.models import Notification
from engine.runtime import Runtime
from tests.web.support import NAMES, get, login, post, record_case, submit, switch_user, task_of
from webforms.shown_values import named

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
# A procedure rule id (C1, R6, M4, …) standing as a word of its own.
RULE_ID = re.compile(r"(?<![A-Za-z0-9_])[CRLOQSMU][1-9][0-9]?(?![A-Za-z0-9_])")

URGENT_LIAISON = {
    "customer_name": "周老师",
    "customer_phone": "13700000088",
    "address": "金明区5号楼1单元301",
    "collection_method": "visit",
    "feedback": "楼道有燃气味,有爆炸的危险。",
    "category": "safety",
    "department": "operations",
    "urgency": "urgent",
}
OUTAGE = {
    "service": "heating",
    "outage_type": "fault",
    "district": "金明区",
    "building": "3号楼",
    "unit": "1单元",
    "cause": "一次网管道爆裂",
    "starts_at": "2026-11-23T08:00",
    "estimated_restore_at": "2026-11-23T18:00",
}


def visible_text(html: str) -> str:
    """What a reader sees: the page's text without scripts (the diagram's XML with its documentation)."""
    doc = lxml.html.fromstring(html)
    for hidden in doc.xpath("//script | //style | //template"):
        hidden.drop_tree()
    return " ".join(doc.text_content().split())


def _history_item(page: Any, kind_class: str) -> Any:
    found = page.doc.xpath(f"//ol[@id='history']/li[contains(@class, 'kind-{kind_class}')]")
    assert found, f"no {kind_class} event in the history"
    return found[-1]


def test_the_history_names_people_and_keeps_the_forms_order(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A claim and a file name the person by display name, never the login; a step's fields are listed
    in the order of its form, and so is the case data."""
    number, case_id = record_case(sessions, runtime, department="operations", category="temperature")
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    assert post(client, f"/tasks/{task_id}/claim", {}, token).status == 302
    token = get(client, f"/tasks/{task_id}").csrf_token()
    client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(PNG), "现场.png")},
        content_type="multipart/form-data",
    )
    switch_user(client, "supervisor")
    page = get(client, f"/cases/{number}")
    claim = " ".join(_history_item(page, "task_claimed").text_content().split())
    assert NAMES["ops_handler"] in claim and "ops_handler" not in claim
    files = page.text("attachments")
    assert NAMES["ops_handler"] in files and "ops_handler" not in files

    intake = next(e for e in page.history() if e.element == "登记投诉")
    labels = list(intake.changes)
    assert (
        labels.index("投诉人姓名")
        < labels.index("联系电话")
        < labels.index("地址")
        < labels.index("投诉内容")
    )
    shown = [dt.text_content().strip() for dt in page.doc.xpath("//dl[@class='data']/dt")]
    assert shown.index("投诉人姓名") < shown.index("联系电话") < shown.index("地址") < shown.index("投诉类别")


def test_the_summary_fields_keep_their_form_order(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C6's summary reads as its form asks: cause, improvement, then the reason for closing — not in the
    alphabetical order of the fields' internal names."""
    number, case_id = record_case(sessions, runtime, department="operations", category="temperature")
    login(client, "ops_handler")
    handling = task_of(sessions, case_id, "department_handling")
    handled = submit(
        client,
        f"/tasks/{handling}",
        {"investigation": "热力站循环泵故障。", "outcome": "resolved", "result": "已更换循环泵,室温恢复。"},
    )
    assert handled.status == 302, handled.html
    switch_user(client, "operator")
    callback = task_of(sessions, case_id, "callback")
    submit(
        client, f"/tasks/{callback}", {"customer_informed": True, "satisfied": "yes", "callback_note": "好"}
    )
    closing = task_of(sessions, case_id, "summarise_and_close")
    page = get(client, f"/tasks/{closing}")
    form_order = [
        name[2:] for name in page.doc.xpath("//form[@id='task-form']//*[starts-with(@id, 'f-')]/@id")
    ]
    submit(
        client,
        f"/tasks/{closing}",
        {"root_cause": "设备老化", "improvement": "加强巡检", "close_reason": "resolved"},
    )
    switch_user(client, "supervisor")
    page = get(client, f"/cases/{number}")
    summary = next(e for e in page.history() if e.kind == "任务已完成" and "设备老化" in str(e.changes))
    shown = [label for label, (_before, after) in summary.changes.items() if after != "—"]
    labels = {"root_cause": "原因分析", "improvement": "改进措施", "close_reason": "结案原因"}
    expected = [labels[f] for f in form_order if f in labels]
    assert shown == expected and expected[0] == "原因分析"


def test_an_urgent_report_tells_the_head_in_one_sentence_by_name_l2(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """L2: the urgent notice reads as one sentence (no doubled full stop after what the liaison typed),
    the history says whom it reached by name, and the liaison is not asked to tell a caller the number."""
    deploy_process("liaison")
    login(client, "liaison")
    page = submit(client, "/cases/new/liaison", URGENT_LIAISON)
    assert page.status == 302
    number = page.response.headers["Location"].rsplit("/", 1)[-1]
    flashes = " ".join(get(client, f"/cases/{number}").flashes())
    assert number in flashes and "来电人" not in flashes
    with sessions() as session:
        messages = list(
            session.scalars(select(Notification.message).where(Notification.recipient == "ops_head"))
        )
    assert messages and "危险。请立即" in messages[0] and "。。" not in messages[0]

    switch_user(client, "supervisor")
    page = get(client, f"/cases/{number}")
    told = " ".join(_history_item(page, "notification_sent").text_content().split())
    assert NAMES["ops_head"] in told and "ops_head" not in told


def test_a_published_notice_is_told_in_words_with_links_to_it_and_its_customers_o1(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """O1: the history says the notice was published and for how many customers, linking the public
    notice and the list of customers it goes to — no notice id, no bare count."""
    deploy_process("outage")
    login(client, "dispatcher")
    page = submit(client, "/cases/new/outage", OUTAGE)
    assert page.status == 302
    number = page.response.headers["Location"].rsplit("/", 1)[-1]
    switch_user(client, "supervisor")
    page = get(client, f"/cases/{number}")
    item = _history_item(page, "notice_published")
    words = " ".join(item.text_content().split())
    assert "已发布停水停热公告" in words and "2 户受影响用户" in words
    assert not item.xpath(".//table"), "the notice's id and count are not shown as data"
    notice_href = item.xpath(".//a[@class='notice-link']/@href")[0]
    assert notice_href.startswith("/notices#notice-")
    recipients = get(client, item.xpath(".//a[@class='recipients-link']/@href")[0])
    assert recipients.status == 200
    rows = recipients.by_id("notice-recipients").xpath(".//tbody/tr")
    assert [r[0].text_content() for r in rows] == ["JM-0301-101", "JM-0301-202"]
    assert "刘洋" in recipients.text("notice-recipients")

    switch_user(client, "ops_handler")  # the repair's department: the list, without the customers' names (M6)
    masked = get(client, item.xpath(".//a[@class='recipients-link']/@href")[0])
    assert masked.status == 200 and "刘洋" not in masked.html and "刘*" in masked.text("notice-recipients")

    switch_user(client, "tech_handler")  # no part in the case: neither the case nor its notice's customers
    assert get(client, item.xpath(".//a[@class='recipients-link']/@href")[0]).status == 404


def test_releasing_a_task_is_not_called_sending_it_back(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """“退回” means sending a case back to the department; giving up a claim says so in its own words."""
    _number, case_id = record_case(sessions, runtime, department="operations", category="temperature")
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    token = get(client, f"/tasks/{task_id}").csrf_token()
    post(client, f"/tasks/{task_id}/claim", {}, token)
    page = get(client, f"/tasks/{task_id}")
    assert page.text("release") == "取消认领"
    released = post(client, f"/tasks/{task_id}/release", {}, page.csrf_token(), follow=True)
    assert "退回" not in " ".join(released.flashes())


def test_no_page_shows_a_procedure_rule_id(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Rule ids (C3, R6, L4, M1-M4, …) belong to the documentation and the tests; the pages staff read
    say what is meant instead, in both languages."""
    number, case_id = record_case(sessions, runtime, department="operations", category="temperature")
    login(client, "admin")
    pages = [
        "/tasks",
        f"/tasks/{task_of(sessions, case_id, 'department_handling')}",
        f"/cases/{number}",
        "/cases",
        "/board",
        "/kpi",
        "/reports",
        "/handover",
        "/admin/reference",
        "/processes",
        "/notices",
        "/notifications",
    ]
    for language in ("zh_CN", "en"):
        post(client, f"/lang/{language}", {}, get(client, "/tasks").csrf_token())
        for url in pages:
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            found = RULE_ID.findall(visible_text(response.get_data(as_text=True)))
            assert not found, f"{url} ({language}) shows rule ids {found}"


def test_the_systems_data_names_groups_by_their_names_m1(app: Flask) -> None:
    """M1: a sampled callback's "called back by" is the group's name, not its id; a form's own field
    with the same name keeps its value."""
    with app.test_request_context("/"):
        assert named("callback_group", "operator", {}) == "热线接线员"
        assert named("candidate_groups", "operations,repair", {}) == "生产运行部、维修部"
        own = {"callback_group": FieldDef(id="callback_group", type="string", label="回访组")}
        assert named("callback_group", "operator", own) == "operator"
