"""Messages and signals from outside (issue 21): a receive task, a message catch event and a message
boundary event wait for a message correlated by case number or by correlation keys from the case data
(none waiting: NotFound; more than one: Conflict), its variables set in the case; a signal reaches every
case waiting for it. Each step is its own unit of work."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.cases.event_subscriptions import subscriptions_of
from engine.errors import Conflict, NotFound
from engine.processes.deployment import deploy
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT, events_of, open_task
from tests.integration.cases.test_statements import statements

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"
BRIDGE = Actor("api:bridge", frozenset({"operator"}))


def _deploy(sessions: sessionmaker[Session], runtime: Runtime, name: str, xml: bytes | None = None) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, xml or (CORPUS / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", "test")


def _open(sessions: sessionmaker[Session], runtime: Runtime, key: str, **data: object) -> tuple[int, str]:
    with sessions.begin() as session:
        case = runner.start_case(session, runtime, key, OPERATOR, initial_data=dict(data))
        return case.id, case.case_number


@pytest.mark.parametrize("key", ["runs_receive_task", "runs_message_catch"])
def test_a_message_by_correlation_key_reaches_its_case_and_sets_its_variables(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, key: str
) -> None:
    _deploy(sessions, runtime, key)
    first, _ = _open(sessions, runtime, key, account="A1")
    second, second_number = _open(sessions, runtime, key, account="A2")
    with sessions.begin() as session, pytest.raises(Conflict):
        runner.correlate_message(session, runtime, BRIDGE, "reply", None, {}, {})  # two cases wait
    with sessions.begin() as session, pytest.raises(NotFound):
        runner.correlate_message(session, runtime, BRIDGE, "reply", None, {"account": "A9"}, {})
    with sessions.begin() as session, pytest.raises(NotFound):
        runner.correlate_message(session, runtime, BRIDGE, "other", second_number, {}, {})
    with sessions.begin() as session:
        case = runner.correlate_message(
            session, runtime, BRIDGE, "reply", None, {"account": "A1"}, {"paid": 5}
        )
        assert case.id == first and case.status == "completed" and case.data["paid"] == 5
    with sessions.begin() as session:
        assert subscriptions_of(session, first) == []
        assert "message_received" in [e.kind for e in events_of(session, first)]
        case = runner.correlate_message(session, runtime, BRIDGE, "reply", second_number, {}, {})
        assert case.id == second and case.status == "completed"
    with sessions.begin() as session, pytest.raises(NotFound):  # nothing waits any more
        runner.correlate_message(session, runtime, BRIDGE, "reply", second_number, {}, {})


def test_a_signal_reaches_every_case_waiting_for_it(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    _deploy(sessions, runtime, "runs_signal_catch")
    ids = [_open(sessions, runtime, "runs_signal_catch")[0] for _ in range(3)]
    with sessions.begin() as session:
        assert runner.broadcast_signal(session, runtime, BRIDGE, "other") == []
        reached = runner.broadcast_signal(session, runtime, BRIDGE, "outage_over")
        assert len(reached) == 3
    with sessions.begin() as session:
        for case_id in ids:
            assert subscriptions_of(session, case_id) == []
            assert "signal_received" in [e.kind for e in events_of(session, case_id)]


BOUNDARY = (CORPUS / "runs_boundary_timer.bpmn").read_text(encoding="utf-8")
# The same user task with an interrupting message boundary event ("withdrawn") in place of the timer.
MESSAGE_BOUNDARY = (
    BOUNDARY.replace("runs_boundary_timer", "message_boundary")
    .replace(
        """      <bpmn:timerEventDefinition id="TimerEventDefinition_1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>""",
        '      <bpmn:messageEventDefinition id="Msg_def" messageRef="Message_cancel" />',
    )
    .replace(
        '  <bpmn:process id="message_boundary"',
        '  <bpmn:message id="Message_cancel" name="withdrawn" />\n  <bpmn:process id="message_boundary"',
    )
)


def test_a_message_boundary_event_closes_the_open_task_and_takes_its_way(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """An interrupting message boundary event on a user task: the message closes the task."""
    _deploy(sessions, runtime, "message_boundary", MESSAGE_BOUNDARY.encode())
    case_id, number = _open(sessions, runtime, "message_boundary")
    with sessions.begin() as session:
        assert open_task(session, case_id, "Step") is not None
        assert [s.event_name for s in subscriptions_of(session, case_id)] == ["withdrawn"]
    with sessions.begin() as session:
        case = runner.correlate_message(session, runtime, BRIDGE, "withdrawn", number, {}, {"reason": "x"})
        assert case.status == "completed" and case.data["reason"] == "x"
    with sessions.begin() as session:
        ends = [e.element_id for e in events_of(session, case_id) if e.kind == "end_reached"]
        assert ends == ["End_late"]
        assert subscriptions_of(session, case_id) == []


def test_a_completion_that_leaves_a_message_wait_drops_its_subscription_without_reading_it(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, db_engine: SqlEngine
) -> None:
    """The task with a message boundary event completes: the boundary event stops waiting, and its row
    goes, known from the workflow as loaded (the rows follow the workflow with every save)."""
    _deploy(sessions, runtime, "message_boundary", MESSAGE_BOUNDARY.encode())
    case_id, number = _open(sessions, runtime, "message_boundary")
    with sessions.begin() as session:
        task_id = open_task(session, case_id, "Step").id
        assert [s.event_name for s in subscriptions_of(session, case_id)] == ["withdrawn"]
    with statements(db_engine) as sent, sessions.begin() as session:
        runner.complete_task(session, runtime, task_id, OPERATOR, {})
    assert [s for s in sent if s.startswith("SELECT") and "FROM event_subscription" in s] == []
    assert [s for s in sent if s.startswith("DELETE FROM event_subscription")] != []
    with sessions.begin() as session:
        assert subscriptions_of(session, case_id) == []
    with sessions.begin() as session, pytest.raises(NotFound):
        runner.correlate_message(session, runtime, BRIDGE, "withdrawn", number, {}, {})
