"""A complaint whose story has every state the case page marks: the intake completed, the department's
task past its deadline, and the deadline's automatic step failed (an incident). Shared by the web and
browser tests of the case page and the overdue board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Timer
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import COMPLAINT_BPMN
from tests.web.support import record_case

CHASE_SCRIPT = "<bpmn:script>overdue_chased = True</bpmn:script>"


@dataclass(frozen=True)
class LateCase:
    number: str
    instance_id: int
    timer_id: int


def deploy_broken_chase(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    """A version of the complaint procedure whose chase (C4) fails when the reply deadline passes."""
    xml = COMPLAINT_BPMN.read_text(encoding="utf-8")
    assert CHASE_SCRIPT in xml
    broken = xml.replace(CHASE_SCRIPT, "<bpmn:script>overdue_chased = 1 / 0</bpmn:script>")
    with sessions.begin() as session:
        deploy(session, runtime, broken.encode("utf-8"), "complaint.bpmn", "test")


def late_case_with_incident(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, **intake: object
) -> LateCase:
    """Recorded at 09:00; at 00:00:01 the next day the department's reply is overdue and its chase failed."""
    deploy_broken_chase(sessions, runtime)
    number, instance_id = record_case(sessions, runtime, **intake)
    clock.advance(timedelta(hours=15, seconds=2))
    fire_due_timers(runtime, sessions, "test-worker")
    with sessions() as session:
        timer_id = session.scalars(
            select(Timer.id).where(Timer.instance_id == instance_id, Timer.status == "failed")
        ).one()
    return LateCase(number, instance_id, timer_id)
