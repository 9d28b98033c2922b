"""External tasks through the API (issue 21): a worker with the external:work scope fetches and locks
the tasks of its topic with the case's variables, completes one with variables (the case goes on),
reports failures until an incident that a supervisor retries from the incidents page; another worker's
lock or a lock that ran out answers 409; bad input answers 422; without the scope 403."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.clock import SettableClock
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT
from tests.web.api.support import Api
from tests.web.support import login, submit

DIAGRAM = PROJECT_ROOT / "tests" / "fixtures" / "constructs" / "runs_service_external.bpmn"
FETCH = {"workerId": "w1", "maxTasks": 5, "topics": [{"topicName": "billing", "lockDuration": 60_000}]}


@pytest.fixture
def case_number(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> str:
    with sessions.begin() as session:
        deploy(session, runtime, DIAGRAM.read_bytes(), "external.bpmn", "test")
    with sessions.begin() as session:
        case = runner.start_case(
            session, runtime, "runs_service_external", OPERATOR, initial_data={"account": "A1", "note": "x"}
        )
        return case.case_number


def _worker(api_as: Callable[..., Api]) -> Api:
    return api_as("operator", scopes=("external:work",))


def test_a_worker_fetches_locks_and_completes_and_the_case_goes_on(
    api_as: Callable[..., Api], case_number: str, client: FlaskClient
) -> None:
    worker = _worker(api_as)
    fetched = worker.post("/external-tasks/fetch-and-lock", FETCH)
    assert fetched.status_code == 200, fetched.json
    [task] = fetched.json
    assert task["topicName"] == "billing" and task["activityId"] == "Step"
    assert task["caseNumber"] == case_number and task["variables"]["account"] == "A1"
    only = {**FETCH, "workerId": "w2", "topics": [{**FETCH["topics"][0], "variables": ["account"]}]}
    assert worker.post("/external-tasks/fetch-and-lock", only).json == []  # locked by w1
    stolen = worker.post(f"/external-tasks/{task['id']}/complete", {"workerId": "w2"})
    assert stolen.status_code == 409 and stolen.json["code"] == "external_task_not_locked"
    bad = worker.post(f"/external-tasks/{task['id']}/complete", {"workerId": "w1", "variables": {"a": [1]}})
    assert bad.status_code == 422
    done = worker.post(
        f"/external-tasks/{task['id']}/complete", {"workerId": "w1", "variables": {"paid": True}}
    )
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed" and done.json["caseStatus"] == "completed"
    again = worker.post(f"/external-tasks/{task['id']}/complete", {"workerId": "w1"})
    assert again.status_code == 409
    assert worker.post("/external-tasks/99999/complete", {"workerId": "w1"}).status_code == 404
    assert worker.post("/external-tasks/fetch-and-lock", {"workerId": "w1"}).status_code == 422


def test_the_external_scope_is_needed(api_as: Callable[..., Api], case_number: str) -> None:
    other = api_as("operator", scopes=("tasks:work",))
    assert other.post("/external-tasks/fetch-and-lock", FETCH).status_code == 403


def test_failures_back_off_then_an_incident_that_a_supervisor_retries(
    api_as: Callable[..., Api], case_number: str, client: FlaskClient, clock: SettableClock
) -> None:
    """The first failure keeps the retry cycle's pause (R2/PT5M); the worker's own retries and timeout
    win when given; at 0 retries the case and the incidents page show it, and a supervisor retries it."""
    worker = _worker(api_as)
    [task] = worker.post("/external-tasks/fetch-and-lock", FETCH).json
    failed = worker.post(
        f"/external-tasks/{task['id']}/failure", {"workerId": "w1", "errorMessage": "billing is down"}
    )
    assert failed.status_code == 200 and failed.json["retries"] == 1
    assert worker.post("/external-tasks/fetch-and-lock", FETCH).json == []
    clock.set(clock.now() + timedelta(minutes=5))
    [task] = worker.post("/external-tasks/fetch-and-lock", FETCH).json
    extended = worker.post(
        f"/external-tasks/{task['id']}/extend-lock", {"workerId": "w1", "newDuration": 120_000}
    )
    assert extended.status_code == 200
    failed = worker.post(
        f"/external-tasks/{task['id']}/failure",
        {"workerId": "w1", "errorMessage": "账户不存在", "retries": 0, "retryTimeout": 0},
    )
    assert failed.json["status"] == "incident"
    assert worker.post("/external-tasks/fetch-and-lock", FETCH).json == []
    login(client, "supervisor")
    page = client.get("/incidents").get_data(as_text=True)
    assert "账户不存在" in page and case_number in page
    case_page = client.get(f"/cases/{case_number}").get_data(as_text=True)
    assert "billing" in case_page and "账户不存在" in case_page
    retried = submit(client, "/incidents", {}, post_url=f"/incidents/external/{task['id']}/retry")
    assert retried.status == 302
    assert [t["id"] for t in worker.post("/external-tasks/fetch-and-lock", FETCH).json] == [task["id"]]
