"""Lead and assisting departments through web requests only (主办/协办, issue 20 item 2; C2, C3): the
intake's multiple choice of assisting departments (checked on the server, typed values kept), each
assisting department's own task, and the lead department's form and the case page showing each part."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessInstance
from engine.runtime import Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import intake_form
from tests.web.support import Page, get, login, post, submit, switch_user

BILLING_ANSWER = "该户水费已结清,无欠费停供。"
TECHNICAL_ANSWER = "管网压力正常,建议检查户内阀门。"


def record(client: FlaskClient, assisting: list[str]) -> Page:
    page = get(client, "/cases/new/complaint")
    key = page.by_id("intake-key").get("value")
    return post(
        client,
        "/cases/new/complaint",
        {**intake_form(), "assisting_departments": assisting, "intake_key": key},
        page.csrf_token(),
    )


def assist_task(sessions: sessionmaker[Session], department: str) -> int:
    with sessions() as session:
        return session.scalars(
            select(HumanTask.id).where(
                HumanTask.element_id == "assist",
                HumanTask.candidate_groups == department,
                HumanTask.status == "open",
            )
        ).one()


def test_the_intake_offers_the_departments_and_refuses_the_lead_one_keeping_the_choice(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    boxes = page.doc.xpath("//fieldset[@id='f-assisting_departments']//input[@type='checkbox']/@value")
    assert {"operations", "billing", "technical", "repair"} <= set(boxes)
    refused = record(client, ["operations", "billing"])
    assert refused.status == 400
    assert refused.error("assisting_departments")
    ticked = refused.doc.xpath("//fieldset[@id='f-assisting_departments']//input[@checked]/@value")
    assert sorted(ticked) == ["billing", "operations"]  # what was chosen stays chosen
    unknown = record(client, ["billing", "nobody"])
    assert unknown.status == 400 and unknown.error("assisting_departments")
    with sessions() as session:
        assert session.scalars(select(ProcessInstance.id)).all() == []


def test_each_assisting_department_answers_and_the_lead_and_the_case_page_see_each_part(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    login(client, "operator")
    done = record(client, ["billing", "technical"])
    assert done.status == 302, done.html
    with sessions() as session:
        case = session.scalars(select(ProcessInstance)).one()
        number = case.case_number
    switch_user(client, "billing_handler")
    billing_task = assist_task(sessions, "billing")
    form = get(client, f"/tasks/{billing_task}")
    assert form.status == 200 and form.has("f-assist_opinion")
    empty = submit(client, f"/tasks/{billing_task}", {"assist_opinion": ""})
    assert empty.status == 400 and empty.error("assist_opinion")
    assert submit(client, f"/tasks/{billing_task}", {"assist_opinion": BILLING_ANSWER}).status == 302
    clock.advance(timedelta(hours=3))  # the technical department answers after its 2 hours
    switch_user(client, "tech_handler")
    technical_task = assist_task(sessions, "technical")
    assert submit(client, f"/tasks/{technical_task}", {"assist_opinion": TECHNICAL_ANSWER}).status == 302

    switch_user(client, "ops_handler")
    with sessions() as session:
        lead = session.scalars(
            select(HumanTask.id).where(
                HumanTask.element_id == "department_handling", HumanTask.status == "open"
            )
        ).one()
    page = get(client, f"/tasks/{lead}")
    assert page.status == 200 and page.has("parts-assist") and page.has("task-form")
    rows = page.all("part", within=page.by_id("parts-assist"))
    shown = {r.get("data-groups"): " ".join(r.text_content().split()) for r in rows}
    assert BILLING_ANSWER in shown["billing"] and "按时" in shown["billing"]
    assert TECHNICAL_ANSWER in shown["technical"] and "超时" in shown["technical"]
    assert not page.doc.xpath(
        "//*[@id='parts-assist']//input | //*[@id='parts-assist']//textarea"
    )  # read only

    switch_user(client, "supervisor")
    case_page = get(client, f"/cases/{number}")
    assert case_page.status == 200 and case_page.has("parts-assist")
    post(client, "/lang/en", {"next": f"/cases/{number}"}, case_page.csrf_token())
    english = get(client, f"/cases/{number}")
    assert english.lang == "en"
    parts = {
        r.get("data-groups"): r.text_content()
        for r in english.all("part", within=english.by_id("parts-assist"))
    }
    assert "on time" in parts["billing"] and "late" in parts["technical"]


def lead_task(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalars(
            select(HumanTask.id).where(
                HumanTask.element_id == "department_handling", HumanTask.status == "open"
            )
        ).one()


def test_the_lead_starts_at_once_waits_for_a_part_in_time_and_replies_without_an_overdue_one_c3_c4(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock, runtime: Runtime
) -> None:
    login(client, "operator")
    assert record(client, ["billing", "technical"]).status == 302
    with sessions() as session:
        number = session.scalars(select(ProcessInstance.case_number)).one()
    switch_user(client, "billing_handler")
    assert (
        submit(
            client, f"/tasks/{assist_task(sessions, 'billing')}", {"assist_opinion": BILLING_ANSWER}
        ).status
        == 302
    )

    # The lead department has the case from the start; its form says which part is still awaited.
    switch_user(client, "ops_handler")
    lead = lead_task(sessions)
    page = get(client, f"/tasks/{lead}")
    assert page.status == 200 and page.has("task-form")
    awaited = " ".join(page.text("parts-awaited-assist").split())
    assert "1/2" in awaited and "技术" in awaited and "收费" not in awaited
    reply = {"investigation": "结合收费部门意见现场检查", "outcome": "resolved", "result": "已调整户内阀门。"}
    refused = submit(client, f"/tasks/{lead}", reply)
    assert refused.status == 400 and "技术" in refused.error("outcome")
    assert refused.by_id("f-result").text_content().strip() == reply["result"]  # what was typed stays

    # C4: past its 2 hours the technical part is chased: late on the board and on the case page.
    clock.advance(timedelta(hours=2, minutes=5))
    fire_due_timers(runtime, sessions, "w")
    switch_user(client, "supervisor")
    board = get(client, "/board")
    late = board.doc.xpath(
        f"//tr[contains(@class, 'board-item')][@data-case='{number}'][@data-element='assist']"
    )
    assert len(late) == 1 and "overdue" in late[0].get("class")
    case_page = get(client, f"/cases/{number}")
    technical_row = next(r for r in case_page.all("part") if r.get("data-groups") == "technical")
    assert "overdue" in technical_row.get("class") and "超时" in technical_row.text_content()

    # The lead goes on without it: the overdue part is withdrawn, the billing answer stays.
    switch_user(client, "ops_handler")
    assert submit(client, f"/tasks/{lead}", reply).status == 302
    switch_user(client, "supervisor")
    case_page = get(client, f"/cases/{number}")
    shown = {r.get("data-groups"): r.text_content() for r in case_page.all("part")}
    assert "已撤回" in shown["technical"] and BILLING_ANSWER in shown["billing"]


def test_the_site_order_form_offers_assisting_departments_and_refuses_the_lead_one(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    key = page.by_id("intake-key").get("value")
    done = post(
        client,
        "/cases/new/complaint",
        {**intake_form(needs_site_visit=True), "assisting_departments": ["billing"], "intake_key": key},
        page.csrf_token(),
    )
    assert done.status == 302
    with sessions() as session:
        order = session.scalars(
            select(HumanTask.id).where(
                HumanTask.element_id == "dispatch_site_order", HumanTask.status == "open"
            )
        ).one()
    form = get(client, f"/tasks/{order}")
    boxes = form.doc.xpath("//fieldset[@id='f-assisting_departments']//input[@type='checkbox']/@value")
    assert {"billing", "technical"} <= set(boxes)
    ticked = form.doc.xpath("//fieldset[@id='f-assisting_departments']//input[@checked]/@value")
    assert ticked == ["billing"]  # the intake's choice, to add to or change
    values = {"site_order_note": "请运行部上门", "visit_window": "今天"}
    refused = submit(client, f"/tasks/{order}", {**values, "assisting_departments": ["operations"]})
    assert refused.status == 400 and refused.error("assisting_departments")
    assert (
        submit(
            client, f"/tasks/{order}", {**values, "assisting_departments": ["billing", "technical"]}
        ).status
        == 302
    )
    assert assist_task(sessions, "technical") and assist_task(sessions, "billing")
