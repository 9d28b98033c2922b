"""Whether a unit refreshes a case's timers before its own step (engine.cases.projection.timers_may_fire):
only when a waiting timer is due, or its due time is unknown, or a subprocess waits. A join or a message
catch that waits is not looked at by a refresh, so it does not make a unit run the engine once more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.cases.projection import timers_may_fire
from engine.cases.store import load_workflow
from engine.clock import SettableClock
from engine.db import ProcessInstance
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, linear, user_task
from tests.integration.cases.test_messages_and_signals import BOUNDARY, MESSAGE_BOUNDARY


def _may_fire_after(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    xml: bytes,
    key: str,
    later: timedelta,
) -> bool:
    with sessions.begin() as session:
        deploy(session, runtime, xml, f"{key}.bpmn", "test")
        instance_id = runner.start_case(session, runtime, key, OPERATOR).id
    clock.advance(later)
    runtime.workflows.clear()
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        workflow, _ = load_workflow(runtime, instance)
    return timers_may_fire(workflow, clock.now())


def test_a_case_waiting_at_a_task_and_its_end_join_refreshes_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    xml = linear(user_task("answer"))
    assert not _may_fire_after(sessions, runtime, clock, xml, "small", timedelta(days=30))


def test_a_message_boundary_event_that_waits_refreshes_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    xml = MESSAGE_BOUNDARY.encode()
    assert not _may_fire_after(sessions, runtime, clock, xml, "message_boundary", timedelta(days=30))


def test_a_deadline_refreshes_once_it_is_due(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    xml = BOUNDARY.encode()
    assert not _may_fire_after(sessions, runtime, clock, xml, "runs_boundary_timer", timedelta(hours=1))
    clock.advance(timedelta(hours=1, minutes=1))
    with sessions() as session:
        instance = session.query(ProcessInstance).filter_by(process_key="runs_boundary_timer").one()
        workflow, _ = load_workflow(runtime, instance)
    assert timers_may_fire(workflow, clock.now())
