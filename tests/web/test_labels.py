"""Staff pages speak the user's language, never the diagrams' internal names: script data by the
diagram's labels (label:/values: properties) or not at all, enum choices and chosen values in English
on the English UI, procedures and steps explained by the diagram's description and help (never its
developer documentation), step names in English on every list, and reference codes by their names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.html
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.processes.deployment import deploy
from engine.runtime import Actor, Runtime
from tests.helpers import linear, script_task, user_task
from tests.web.support import Page, get, login, post, record_case

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))
REPAIR = {
    "customer_name": "马强",
    "customer_phone": "13912345678",
    "address": "金明区5号楼2单元602",
    "description": "厨房水管爆裂",
    "category": "burst",
}


def english(client: FlaskClient) -> None:
    token = get(client, "/tasks").csrf_token()
    post(client, "/lang/en", {"next": "/tasks"}, token)


def case_data(page: Page) -> dict[str, str]:
    """The case data panel as {key: (label, value)}."""
    return {
        dd.get("data-field"): (dt.text_content().strip(), dd.text_content().strip())
        for dt, dd in zip(
            page.doc.xpath("//dl[@class='data']/dt"), page.doc.xpath("//dl[@class='data']/dd"), strict=True
        )
    }


def repair_case(sessions: sessionmaker[Session], runtime: Runtime) -> str:
    with sessions.begin() as session:
        return start_case(session, runtime, "repair", DISPATCHER, dict(REPAIR)).case_number


def test_script_data_shows_by_the_diagrams_labels_in_both_languages(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deploy_process: Callable[[str], Any],
) -> None:
    deploy_process("repair")
    number = repair_case(sessions, runtime)
    login(client, "dispatcher")
    shown = case_data(get(client, f"/cases/{number}"))
    assert shown["priority"] == ("优先级", "紧急") and shown["dispatch_count"] == ("派单次数", "0")
    history = get(client, f"/cases/{number}").history()
    assert any(entry.changes.get("优先级") == ("—", "紧急") for entry in history)

    english(client)
    page = get(client, f"/cases/{number}")
    shown = case_data(page)
    assert shown["priority"] == ("Priority", "Urgent") and shown["dispatch_count"] == (
        "Times dispatched",
        "0",
    )
    assert shown["category"][1] == "Burst pipe" or shown["category"][1] != "burst"
    assert any(entry.changes.get("Priority") == ("—", "Urgent") for entry in page.history())
    assert "priority" not in {label for label, _value in shown.values()}


def test_unlabelled_script_data_stays_off_the_panel_and_only_supervisors_see_it_in_the_history(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    xml = linear(
        script_task("tally", "scratch_total = 41 + 1"),
        user_task("look", fields='<camunda:formField id="note" label="备注" type="string" />'),
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "small.bpmn", "test")
    with sessions.begin() as session:
        number = start_case(session, runtime, "small", Actor("op1", frozenset({"operator"}))).case_number

    login(client, "operator")
    page = get(client, f"/cases/{number}")
    assert "scratch_total" not in case_data(page)
    assert not any("scratch_total" in entry.changes for entry in page.history())

    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    assert "scratch_total" not in case_data(page)
    assert any(entry.changes.get("scratch_total") == ("—", "42") for entry in page.history())


def test_choice_lists_and_chosen_values_are_english_on_the_english_ui(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    login(client, "operator")
    chinese = get(client, "/cases/new/complaint")
    assert "室内温度低" in [
        o.text_content().strip() for o in chinese.doc.xpath("//select[@id='f-category']//option")
    ] or any("温" in o.text_content() for o in chinese.doc.xpath("//select[@id='f-category']//option"))

    english(client)
    page = get(client, "/cases/new/complaint")
    categories = [
        o.text_content().strip() for o in page.doc.xpath("//select[@id='f-category']//option[@value!='']")
    ]
    departments = [
        o.text_content().strip() for o in page.doc.xpath("//select[@id='f-department']//option[@value!='']")
    ]
    assert categories and departments
    assert not any("\u4e00" <= ch <= "\u9fff" for name in categories + departments for ch in name)

    number, _case_id = record_case(sessions, runtime)
    shown = case_data(get(client, f"/cases/{number}"))
    assert shown["department"][1] == "Operations" and shown["category"][1] != "temperature"


def _without_hidden_values(html: str) -> str:
    """The page without its hidden inputs: a random token (CSRF, intake key) may contain "C1" by chance."""
    document = lxml.html.fromstring(html)
    for hidden in document.xpath("//input[@type='hidden']"):
        hidden.getparent().remove(hidden)
    return lxml.html.tostring(document, encoding="unicode")


def test_procedures_and_steps_are_explained_by_their_descriptions_not_the_documentation(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deploy_process: Callable[[str], Any],
) -> None:
    deploy_process("repair")  # two procedures: the operator chooses on the cards
    login(client, "operator")
    cards = get(client, "/cases/new")
    assert "客户投诉" in cards.text("start-complaint") and "PROCEDURES.md" not in cards.html
    intake = get(client, "/cases/new/complaint")
    shown = _without_hidden_values(intake.html)
    assert "向客户致歉" in shown and "PROCEDURES.md" not in shown and "C1" not in shown

    english(client)
    cards = get(client, "/cases/new")
    assert "A customer's complaint" in cards.text("start-complaint").replace("\u2019", "'")
    number, case_id = record_case(sessions, runtime)
    login(client, "ops_handler")
    english(client)
    task_url = get(client, "/tasks").task_links()[0][1]
    task = get(client, task_url)
    assert "Investigate, handle the case and reply today" in task.html and "PROCEDURES.md" not in task.html


def test_step_names_are_english_on_the_lists_and_in_the_history(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _case_id = record_case(sessions, runtime)
    login(client, "supervisor")
    assert (
        "调查处理并答复" in get(client, "/cases").html and "调查处理并答复" in get(client, "/handover").html
    )
    english(client)
    cases = get(client, "/cases")
    assert "Investigate, handle and reply" in cases.html and "调查处理并答复" not in cases.html
    assert "Complaint" in cases.html and "投诉处理" not in cases.html
    page = get(client, f"/cases/{number}")
    elements = [entry.element for entry in page.history()]
    assert "Investigate, handle and reply" in elements and "调查处理并答复" not in elements
    assert "Set same-day reply deadline" in elements and "设定当日答复时限" not in elements
    handover = get(client, "/handover").html
    assert "调查处理并答复" not in handover and "Investigate, handle and reply" in handover


def test_the_consultation_kind_is_named_in_english(
    client: FlaskClient, deploy_process: Callable[[str], Any]
) -> None:
    deploy_process("consultation")
    login(client, "operator")
    english(client)
    page = get(client, "/cases/new/complaint")
    assert page.text("kind-consultation") == "Consultation"


def test_a_sampled_callback_shows_its_category_and_department_by_name(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deploy_process: Callable[[str], Any],
) -> None:
    deploy_process("callback")
    deploy_process("repair")
    with sessions.begin() as session:
        number = start_case(
            session,
            runtime,
            "callback",
            Actor("system", frozenset()),
            initial_data={
                "callback_group": "operator",
                "sample_week": "2026-W47",
                "original_case": "BX-20261116-0001",
                "original_process": "repair",
                "original_summary": "IC卡水表无显示",
                "customer_name": "马强",
                "customer_phone": "13912345678",
                "address": "金明区5号楼",
                "category": "meter_no_display",
                "department": "repair",
            },
        ).case_number
    login(client, "operator")
    listing = get(client, "/cases")
    row = listing.doc.xpath(f"//tr[.//a[normalize-space()='{number}']]")[0].text_content()
    assert "无显无水" in row and "meter_no_display" not in row
    assert "repair" not in row.replace("repair_", "")
    task_row = get(client, "/tasks").doc.xpath(f"//*[@data-case='{number}'] | //tr[contains(., '{number}')]")
    assert task_row and all("meter_no_display" not in r.text_content() for r in task_row)
    english(client)
    row = get(client, "/cases").doc.xpath(f"//tr[.//a[normalize-space()='{number}']]")[0].text_content()
    assert "No display, no water" in row
    shown = case_data(get(client, f"/cases/{number}"))
    assert shown["category"][1] == "No display, no water" and shown["original_process"][1] == "Repair"
