"""Messages and signals through the API (issue 21): POST /messages correlates by case number or by
correlation keys (404 when nothing waits, 409 when more than one step does, 422 for bad input), sets
the variables and the case goes on; the case page lists what it waits for; POST /signals reaches every
waiting case; without the messages:send scope 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT
from tests.web.api.support import Api
from tests.web.support import login

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"


@pytest.fixture
def numbers(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> list[str]:
    with sessions.begin() as session:
        for name in ("runs_receive_task", "runs_signal_catch"):
            deploy(session, runtime, (CORPUS / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", "test")
    opened = []
    for key, account in (("runs_receive_task", "A1"), ("runs_receive_task", "A2"), ("runs_signal_catch", "")):
        with sessions.begin() as session:
            case = runner.start_case(session, runtime, key, OPERATOR, initial_data={"account": account})
            opened.append(case.case_number)
    return opened


def test_a_message_is_correlated_by_key_or_number_and_signals_reach_every_waiting_case(
    api_as: Callable[..., Api], numbers: list[str], client: FlaskClient
) -> None:
    bridge = api_as("operator", scopes=("messages:send",))
    login(client, "supervisor")
    page = client.get(f"/cases/{numbers[0]}").get_data(as_text=True)
    assert 'id="waiting-events"' in page and "reply" in page
    both = bridge.post("/messages", {"messageName": "reply"})
    assert both.status_code == 409 and both.json["code"] == "message_ambiguous"
    assert (
        bridge.post("/messages", {"messageName": "reply", "correlationKeys": {"account": "A9"}}).status_code
        == 404
    )
    assert bridge.post("/messages", {"messageName": "reply", "variables": {"x": [1]}}).status_code == 422
    assert bridge.post("/messages", {"caseNumber": numbers[0]}).status_code == 422
    done = bridge.post(
        "/messages",
        {"messageName": "reply", "correlationKeys": {"account": "A1"}, "variables": {"paid": True}},
    )
    assert done.status_code == 200, done.json
    assert done.json == {"caseNumber": numbers[0], "caseStatus": "completed"}
    by_number = bridge.post("/messages", {"messageName": "reply", "caseNumber": numbers[1]})
    assert by_number.status_code == 200 and by_number.json["caseNumber"] == numbers[1]
    assert bridge.post("/messages", {"messageName": "reply", "caseNumber": numbers[1]}).status_code == 404
    signalled = bridge.post("/signals", {"name": "outage_over"})
    assert signalled.status_code == 200 and signalled.json == {"caseNumbers": [numbers[2]]}
    assert bridge.post("/signals", {"name": "outage_over"}).json == {"caseNumbers": []}
    other = api_as("operator", scopes=("cases:read",))
    assert other.post("/signals", {"name": "outage_over"}).status_code == 403
