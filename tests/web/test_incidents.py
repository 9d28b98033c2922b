"""Supervisors see failed timers (incidents) with their error and retry them."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import call_incidents
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import Timer
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import OPERATOR, PROJECT_ROOT, deadline_diagram, open_cases
from tests.web.support import get, login, submit, switch_user

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"


def test_a_supervisor_sees_an_incident_and_retries_it(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    open_cases(sessions, runtime, 1, deadline_diagram("chased = 1 / 0", key="broken"), key="broken")
    clock.advance(timedelta(minutes=11))
    fire_due_timers(runtime, sessions, "w")
    with sessions() as session:
        timer_id = session.scalars(select(Timer.id).where(Timer.status == "failed")).one()

    login(client, "operator")
    assert get(client, "/incidents").status == 403
    switch_user(client, "supervisor")
    page = get(client, "/incidents")
    assert page.status == 200
    assert "division by zero" in page.text(f"incident-{timer_id}")
    done = submit(client, "/incidents", {}, post_url=f"/incidents/{timer_id}/retry", follow=True)
    assert done.flashes() == ["该定时器将在调度器下一轮重新触发。"]
    assert not done.has(f"incident-{timer_id}")
    with sessions() as session:
        assert session.get(Timer, timer_id).status == "waiting"  # type: ignore[union-attr]


def test_a_call_whose_procedure_is_gone_is_listed_and_retried_once_it_is_deployed(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:  # the engine's deploy: no check of the procedure it calls
        deploy(session, runtime, (CORPUS / "runs_call_activity.bpmn").read_bytes(), "parent.bpmn", "test")
        number = start_case(session, runtime, "runs_call_activity", OPERATOR).case_number
    with sessions() as session:
        [(link, _number)] = call_incidents(session)
    login(client, "supervisor")
    page = get(client, "/incidents")
    assert page.has(f"call-incident-{link.id}")
    assert "procedure 'runs_user_task'" in page.text(f"call-incident-{link.id}")
    assert number in page.text(f"call-incident-{link.id}")
    again = submit(client, "/incidents", {}, post_url=f"/incidents/calls/{link.id}/retry", follow=True)
    assert again.flashes() == ["该流程仍未部署：请先部署，再重试。"] and again.has(f"call-incident-{link.id}")
    with sessions.begin() as session:
        deploy(session, runtime, (CORPUS / "runs_user_task.bpmn").read_bytes(), "child.bpmn", "test")
    done = submit(client, "/incidents", {}, post_url=f"/incidents/calls/{link.id}/retry", follow=True)
    assert done.flashes() == ["被调用的工单已开立。"] and not done.has(f"call-incident-{link.id}")
    gone = submit(client, "/incidents", {}, post_url=f"/incidents/calls/{link.id}/retry")
    assert gone.status == 404
