"""A repair opened on the repair procedure as it was before the routing table (its steps asked the
reference data for the on-site minutes) and moved to the version routed by processes/routing.dmn: the
new version's later steps read onsite_limit_minutes, which the old one never set. The move fills it
from the routing table, and the case runs to its end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance
from engine.processes.deployment import deploy
from engine.processes.migration import apply_migration, plan_migration
from engine.runtime import Actor, Runtime
from tests.helpers import PROJECT_ROOT, events_of, open_task
from tests.scenarios.test_repair import DISPATCHER, REPORT, WORKER, local, repair_form

OLD_REPAIR = PROJECT_ROOT / "tests" / "fixtures" / "repair_before_routing_table.bpmn"
OWNER = Actor("owner", frozenset({"process_owner"}))


def _complete(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    instance_id: int,
    element: str,
    actor: Actor,
    form: dict,
) -> None:
    runtime.workflows.clear()  # every step from the saved state
    with sessions.begin() as session:
        complete_task(session, runtime, open_task(session, instance_id, element).id, actor, form)


def test_a_repair_moved_to_the_routed_version_gets_its_on_site_minutes_and_ends(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, OLD_REPAIR.read_bytes(), "repair.bpmn", "test")
        instance_id = start_case(
            session, runtime, "repair", DISPATCHER, repair_form(category="meter_fault")
        ).id
    with sessions() as session:
        case = session.get(ProcessInstance, instance_id)
        assert case is not None and "onsite_limit_minutes" not in case.data
    assert deploy_process("repair").version == 2
    with sessions.begin() as session:
        plans = plan_migration(session, runtime, "repair", 1, 2)
        assert [p.reasons for p in plans] == [()]
        result = apply_migration(session, runtime, plans, OWNER)
        assert result.migrated == [plans[0].case_number]
    with sessions() as session:
        case = session.get(ProcessInstance, instance_id)
        assert case is not None and case.definition.version == 2
        # The routing table's minutes for a meter fault (3 hours), and its department, in the case.
        assert case.data["onsite_limit_minutes"] == 180
        assert case.data["routed_department"] == "repair"
        filled = [e for e in events_of(session, instance_id) if e.kind == "case_migrated"]
        assert filled[-1].changes["onsite_limit_minutes"] == [None, 180]
    now = clock.now()
    arrival = local((now + timedelta(minutes=20)).replace(second=0))
    _complete(
        sessions,
        runtime,
        instance_id,
        "dispatch",
        DISPATCHER,
        {
            "worker": "维修一班 王师傅",
            "expected_arrival": arrival[:16],
            "arrival_told": "on",
            "dispatch_note": "",
        },
    )
    with sessions() as session:
        case = session.get(ProcessInstance, instance_id)
        assert case is not None and case.data["onsite_due"] == local(now + timedelta(minutes=180))
    clock.advance(timedelta(minutes=20))
    _complete(
        sessions, runtime, instance_id, "arrive_on_site", WORKER, {"arrived_at": local(clock.now())[:16]}
    )
    _complete(sessions, runtime, instance_id, "onsite_report", WORKER, REPORT)
    _complete(
        sessions,
        runtime,
        instance_id,
        "callback",
        DISPATCHER,
        {"satisfied": "yes", "callback_note": "客户表示满意"},
    )
    with sessions() as session:
        case = session.get(ProcessInstance, instance_id)
        assert case is not None and case.status == "completed"
