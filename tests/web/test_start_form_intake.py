"""A procedure whose start event has a form (camunda:formData, as Camunda Modeler writes it): the intake
page shows that form, checks it on the server like a task's form, and the case starts with its values;
the first user task then waits in its group's tasklist (issue 21)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.db.models import HumanTask, ProcessInstance
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR
from tests.integration.processes.test_foreign_constructs import CORPUS
from tests.web.support import get, login, normalise, submit

INTAKE = "/cases/new/runs_start_form"


@pytest.fixture
def start_form_deployed(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with sessions.begin() as session:
        xml = (CORPUS / "runs_start_form.bpmn").read_bytes()
        deploy(session, runtime, xml, "runs_start_form.bpmn", "test")


def test_the_intake_page_is_the_start_event_form_and_opens_the_case_with_its_values(
    client: FlaskClient, sessions: sessionmaker[Session], start_form_deployed: None
) -> None:
    login(client, "operator")
    page = get(client, INTAKE)
    assert page.status == 200
    assert page.has("f-caller") and page.has("f-floors") and not page.has("f-result")

    refused = submit(client, INTAKE, {"caller": "", "floors": "0"})
    assert refused.status == 400
    assert refused.error("caller") and refused.error("floors")
    with sessions() as session:
        assert session.scalars(select(ProcessInstance)).all() == []

    recorded = submit(client, INTAKE, {"caller": "张三", "floors": "3"}, follow=True)
    assert recorded.status == 200
    with sessions() as session:
        (case,) = session.scalars(select(ProcessInstance)).all()
        assert case.data == {"caller": "张三", "floors": 3, "greeting": "来电:张三"}
        (task,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == case.id)).all()
        assert (task.element_id, task.candidate_groups, task.assignee) == ("Step", "operator", None)


def test_only_the_first_tasks_group_may_open_the_intake(
    client: FlaskClient, start_form_deployed: None
) -> None:
    login(client, "billing_handler")
    assert get(client, INTAKE).status == 403


def test_starters_and_not_startable_procedures_decide_the_new_case_choice_and_the_intake(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A person named as a candidate starter finds the procedure under New case and may open its intake;
    a procedure only the system opens is offered to nobody and its intake answers 403."""
    with sessions.begin() as session:
        for name in ("runs_starter_groups", "runs_not_startable"):
            # The web tests' accounts are the demo's: the starter named is a repair handler here.
            xml = (CORPUS / f"{name}.bpmn").read_bytes().replace(b'"repair_head"', b'"repair_handler"')
            deploy(session, runtime, xml, f"{name}.bpmn", "test")
    login(client, "repair_handler")
    assert get(client, "/cases/new/runs_starter_groups").status == 200
    choice = get(client, "/cases/new", follow_redirects=True)
    assert "/cases/new/runs_starter_groups" in choice.html
    login(client, "operator")
    assert get(client, "/cases/new/runs_not_startable").status == 403
    assert "/cases/new/runs_not_startable" not in get(client, "/cases/new", follow_redirects=True).html
    login(client, "billing_handler")
    assert get(client, "/cases/new/runs_starter_groups").status == 403


def test_the_tasklist_shows_a_tasks_priority_and_follow_up_date(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:
        for name in ("runs_priority", "runs_follow_up_date"):
            deploy(session, runtime, (CORPUS / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", "test")
    for name in ("runs_follow_up_date", "runs_priority"):
        with sessions.begin() as session:
            start_case(session, runtime, name, OPERATOR)
    login(client, "operator")
    page = get(client, "/tasks?tab=group")
    rows = page.doc.xpath("//*[@id='tasklist']/tbody/tr")
    assert [r.xpath(".//a[contains(@class,'task-link')]/@href")[0] for r in rows] == [
        link for _element, link, _case in page.task_links()
    ]
    first, second = rows[0], rows[1]
    assert [normalise(b.text_content()) for b in first.xpath(".//span[contains(@class,'priority')]")] == [
        "优先级 80"
    ]
    assert second.xpath(".//span[contains(@class,'priority')]") == []
    assert normalise(second.xpath(".//span[contains(@class,'follow-up')]")[0].text_content()).startswith(
        "跟进 "
    )
