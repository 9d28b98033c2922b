"""External tasks (issue 21): a service task with camunda:type="external" waits as a row that workers
fetch and lock by topic, complete with variables (the case goes on in the same unit of work), or fail
with retries and back-off (camunda:failedJobRetryTimeCycle R2/PT5M) until an incident a supervisor
retries. A lock that runs out makes the task fetchable again. Each step is its own unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.cases.definitions import parsed_definition
from engine.cases.external_tasks import (
    extend_lock,
    external_incidents,
    fail_external_task,
    fetch_and_lock,
    retry_external_incident,
)
from engine.clock import SettableClock
from engine.db import ExternalTaskRow, ProcessInstance
from engine.errors import Conflict, FormInvalid
from engine.processes.deployment import deploy
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT, events_of

DIAGRAM = PROJECT_ROOT / "tests" / "fixtures" / "constructs" / "runs_service_external.bpmn"
WORKER = Actor("billing-client", frozenset({"operator"}))
LOCK = {"billing": timedelta(minutes=1)}


@pytest.fixture
def case_id(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> int:
    with sessions.begin() as session:
        deploy(session, runtime, DIAGRAM.read_bytes(), "external.bpmn", "test")
    with sessions.begin() as session:
        case = runner.start_case(
            session, runtime, "runs_service_external", OPERATOR, initial_data={"account": "A1"}
        )
        assert case.status == "running"
        return case.id


def _fetch(sessions: sessionmaker[Session], clock: SettableClock, worker: str = "w1") -> list[int]:
    with sessions.begin() as session:
        return [t.task.id for t in fetch_and_lock(session, worker, LOCK, clock.now(), max_tasks=5)]


def _fail(
    sessions: sessionmaker[Session], runtime: Runtime, task_id: int, worker: str = "w1"
) -> ExternalTaskRow:
    with sessions.begin() as session:
        row = session.get(ExternalTaskRow, task_id)
        assert row is not None
        instance = session.get(ProcessInstance, row.instance_id)
        assert instance is not None
        parsed = parsed_definition(runtime, instance.definition)
        failed = fail_external_task(session, task_id, worker, runtime.clock.now(), parsed, "billing is down")
        session.flush()
        session.expunge(failed)
        return failed


def test_a_worker_fetches_the_task_with_the_case_data_and_completing_it_ends_the_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, case_id: int
) -> None:
    with sessions.begin() as session:
        locked = fetch_and_lock(session, "w1", LOCK, clock.now(), max_tasks=5)
        assert [(t.task.topic, t.task.element_id, t.variables["account"]) for t in locked] == [
            ("billing", "Step", "A1")
        ]
        task_id = locked[0].task.id
    assert _fetch(sessions, clock, "w2") == []  # locked for w1
    with sessions.begin() as session, pytest.raises(Conflict):
        runner.complete_external_task(session, runtime, task_id, "w2", WORKER, {"amount": 3})
    with sessions.begin() as session, pytest.raises(FormInvalid):
        runner.complete_external_task(session, runtime, task_id, "w1", WORKER, {"__class__": 3})
    with sessions.begin() as session:
        case = runner.complete_external_task(session, runtime, task_id, "w1", WORKER, {"amount": 3})
        assert case.status == "completed" and case.data["amount"] == 3
    with sessions.begin() as session:
        kinds = [e.kind for e in events_of(session, case_id)]
        assert "external_task_waiting" in kinds and "external_task_completed" in kinds
        assert session.get(ExternalTaskRow, task_id).status == "completed"  # type: ignore[union-attr]
    with sessions.begin() as session, pytest.raises(Conflict):
        runner.complete_external_task(session, runtime, task_id, "w1", WORKER, {})


def test_a_lock_that_runs_out_makes_the_task_fetchable_again_and_can_be_extended(
    sessions: sessionmaker[Session], clock: SettableClock, case_id: int
) -> None:
    [task_id] = _fetch(sessions, clock)
    clock.set(clock.now() + timedelta(seconds=50))
    with sessions.begin() as session:
        extend_lock(session, task_id, "w1", timedelta(minutes=1), clock.now())
    clock.set(clock.now() + timedelta(seconds=50))
    assert _fetch(sessions, clock, "w2") == []  # still w1's, extended
    clock.set(clock.now() + timedelta(seconds=11))
    assert _fetch(sessions, clock, "w2") == [task_id]
    with sessions.begin() as session, pytest.raises(Conflict):
        extend_lock(session, task_id, "w1", timedelta(minutes=1), clock.now())


def test_failures_follow_the_retry_cycle_until_an_incident_a_supervisor_retries(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, case_id: int
) -> None:
    """R2/PT5M: the first failure leaves one retry after five minutes, the second is an incident."""
    [task_id] = _fetch(sessions, clock)
    failed = _fail(sessions, runtime, task_id)
    assert failed.retries == 1 and failed.next_retry_at == clock.now() + timedelta(minutes=5)
    assert _fetch(sessions, clock) == []  # backing off
    clock.set(clock.now() + timedelta(minutes=5))
    assert _fetch(sessions, clock) == [task_id]
    failed = _fail(sessions, runtime, task_id)
    assert failed.retries == 0 and failed.status == "incident"
    clock.set(clock.now() + timedelta(hours=1))
    assert _fetch(sessions, clock) == []
    with sessions.begin() as session:
        assert [(row.id, number) for row, number in external_incidents(session)] == [
            (task_id, session.get(ProcessInstance, case_id).case_number)  # type: ignore[union-attr]
        ]
        assert retry_external_incident(session, task_id, "supervisor", clock.now())
    assert _fetch(sessions, clock) == [task_id]
    with sessions.begin() as session:
        kinds = [e.kind for e in events_of(session, case_id)]
        assert kinds.count("external_task_failed") == 1
        assert "incident_raised" in kinds and "incident_retried" in kinds
        rows = session.scalars(select(ExternalTaskRow)).all()
        assert len(rows) == 1


def test_a_deadline_on_the_external_task_cancels_it_and_a_late_completion_is_refused(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """An interrupting timer on the external task closes it at its deadline: the row is cancelled, the
    worker that still holds the lock is told (409) and the case took the deadline's way."""
    xml = DIAGRAM.read_text(encoding="utf-8").replace(
        '    <bpmn:endEvent id="EndEvent_1"',
        """    <bpmn:boundaryEvent id="Deadline" name="时限" attachedToRef="Step">
      <bpmn:outgoing>Flow_late</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_1">
        <bpmn:timeDuration>PT2H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="End_late" name="超时">
      <bpmn:incoming>Flow_late</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_late" sourceRef="Deadline" targetRef="End_late" />
    <bpmn:endEvent id="EndEvent_1\"""",
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml.encode(), "external.bpmn", "test")
    with sessions.begin() as session:
        case_id = runner.start_case(session, runtime, "runs_service_external", OPERATOR).id
    clock.set(clock.now() + timedelta(hours=1, minutes=59))
    [task_id] = _fetch(sessions, clock)
    clock.set(clock.now() + timedelta(minutes=2))
    with sessions.begin() as session:
        [timer_id] = runner.due_timer_ids(session, clock.now())
        case = runner.fire_timer(session, runtime, timer_id)
        assert case is not None and case.status == "completed"
    with sessions.begin() as session:
        assert session.get(ExternalTaskRow, task_id).status == "cancelled"  # type: ignore[union-attr]
        assert "end_reached" in [e.kind for e in events_of(session, case_id)]
    with sessions.begin() as session, pytest.raises(Conflict):
        runner.complete_external_task(session, runtime, task_id, "w1", WORKER, {})
