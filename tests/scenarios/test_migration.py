"""engine.processes.migration on running cases of every procedure: the dry run says where each token lands, the
apply moves the cases that can move (their history records it, they go on running on the new version)
and leaves the others on their version with the reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.projection import ready_user_tasks
from engine.cases.runner import complete_task, start_case
from engine.cases.store import load_workflow
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessAudit, ProcessInstance
from engine.processes.deployment import deploy
from engine.processes.migration import apply_migration, plan_migration
from engine.processes.versions import deploy_version
from engine.reference.data import seed_reference_data
from engine.runtime import Actor, Runtime
from hotline.demo import _COMPLAINTS, create_demo_cases, create_demo_customers, create_demo_users
from tests.helpers import (
    OPERATOR,
    PROCESSES,
    deploy_routing,
    edited,
    events_of,
    linear,
    open_task,
    open_tasks,
    remove_element,
    script_task,
    set_attribute,
    set_text,
    timers_of,
    user_task,
)

KEYS = ("complaint", "repair", "consultation", "outage", "connection", "liaison")
OWNER = Actor("owner", frozenset({"process_owner"}))


@pytest.fixture
def running_cases(
    sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[int]]:
    """The demo's running cases: three complaints at different steps and one case of every other procedure."""
    monkeypatch.setattr("engine.people.users.hash_password", lambda password: "!")  # nobody signs in here
    with sessions.begin() as session:
        seed_reference_data(session, runtime.clock)
        deploy_routing(session, runtime.clock.now())
        create_demo_users(session, runtime)
        create_demo_customers(session)
        for key in KEYS:
            deploy(session, runtime, (PROCESSES / f"{key}.bpmn").read_bytes(), f"{key}.bpmn", "test")
    create_demo_cases(sessions, runtime)
    # The demo sends its site orders at once (C2); one complaint here still waits for its site order.
    with sessions.begin() as session:
        start_case(
            session, runtime, "complaint", Actor("operator", frozenset({"operator"})), dict(_COMPLAINTS[2])
        )
    runtime.workflows.clear()
    with sessions() as session:
        cases: dict[str, list[int]] = {}
        for instance in session.scalars(select(ProcessInstance).where(ProcessInstance.status == "running")):
            cases.setdefault(instance.process_key, []).append(instance.id)
    assert sorted(cases) == sorted(KEYS)
    return cases


def _renamed_open_tasks(session: Session, key: str, ids: list[int]) -> bytes:
    """The shipped diagram with every task the cases wait at renamed: a change that keeps every token."""
    elements = sorted({t.element_id for i in ids for t in open_tasks(session, i)})
    return edited(
        PROCESSES / f"{key}.bpmn",
        *(set_attribute(f"//bpmn:userTask[@id='{e}']", "name", f"{e} v2") for e in elements),
    )


@pytest.mark.parametrize("key", KEYS)
def test_dry_run_and_apply_move_running_cases_of_every_procedure(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    running_cases: dict[str, list[int]],
    key: str,
) -> None:
    ids = running_cases[key]
    with sessions.begin() as session:
        before = {i: [(t.element_id, t.task_guid) for t in open_tasks(session, i)] for i in ids}
        timers_before = {
            i: [(t.element_id, t.due_at) for t in timers_of(session, i) if t.status == "waiting"] for i in ids
        }
        deploy_version(session, runtime, _renamed_open_tasks(session, key, ids), "owner", "tasks renamed")
    clock.advance(timedelta(minutes=1))

    with sessions() as session:
        plans = plan_migration(session, runtime, key, 1, 2)
        assert sorted(p.instance_id for p in plans) == sorted(ids)
        for plan in plans:
            assert plan.mappable, plan.reasons
            assert {(t.element_id, t.target_id) for t in plan.tokens if t.state == "ready"} == {
                (e, e) for e, _guid in before[plan.instance_id]
            }
            assert all(t.target_id == t.element_id for t in plan.tokens)
        # the dry run wrote nothing
        assert {session.get(ProcessInstance, i).definition.version for i in ids} == {1}

    with sessions.begin() as session:
        result = apply_migration(session, runtime, plans, OWNER, "rename")
    assert sorted(result.migrated) == sorted(p.case_number for p in plans) and result.skipped == []

    restarted = Runtime(clock=clock)  # nothing cached: the migrated state must load on its own
    with sessions() as session:
        for i in ids:
            instance = session.get(ProcessInstance, i)
            assert instance.definition.version == 2
            migrated = events_of(session, i)[-1]
            assert (migrated.kind, migrated.actor, migrated.at, migrated.changes["process_version"]) == (
                "case_migrated",
                "owner",
                clock.now(),
                [1, 2],
            )
            rows = open_tasks(session, i)
            assert [(t.element_id, t.task_guid) for t in rows] == before[i]
            assert [t.name for t in rows] == [f"{t.element_id} v2" for t in rows]
            assert [
                (t.element_id, t.due_at) for t in timers_of(session, i) if t.status == "waiting"
            ] == timers_before[i]
            workflow, parsed = load_workflow(restarted, instance)
            assert parsed.content_hash == instance.definition.content_hash
            assert sorted(str(t.id) for t in ready_user_tasks(workflow)) == sorted(g for _e, g in before[i])
        (audit,) = session.scalars(select(ProcessAudit).where(ProcessAudit.action == "migrate")).all()
        assert (
            audit.actor,
            audit.process_key,
            audit.from_version,
            audit.version,
            audit.details["skipped"],
        ) == ("owner", key, 1, 2, [])


def test_a_migrated_complaint_goes_on_to_its_next_step(
    sessions: sessionmaker[Session], runtime: Runtime, running_cases: dict[str, list[int]]
) -> None:
    with sessions.begin() as session:
        at_department = next(
            i
            for i in running_cases["complaint"]
            if [t.element_id for t in open_tasks(session, i)] == ["department_handling"]
        )
        deploy_version(
            session,
            runtime,
            _renamed_open_tasks(session, "complaint", running_cases["complaint"]),
            "owner",
            "renamed",
        )
        apply_migration(session, runtime, plan_migration(session, runtime, "complaint", 1, 2), OWNER)
    runtime.workflows.clear()
    with sessions.begin() as session:
        task = open_task(session, at_department, "department_handling")
        handler = Actor("h", frozenset(task.candidate_groups.split(",")))
        complete_task(
            session,
            runtime,
            task.id,
            handler,
            {"investigation": "查明原因:阀门故障", "outcome": "resolved", "result": "已更换阀门"},
        )
    with sessions() as session:
        assert [t.element_id for t in open_tasks(session, at_department)] == ["callback"]
        assert session.get(ProcessInstance, at_department).definition.version == 2


def test_a_case_whose_open_form_lost_a_field_stays_on_its_version(
    sessions: sessionmaker[Session], runtime: Runtime, running_cases: dict[str, list[int]]
) -> None:
    with sessions.begin() as session:
        v2 = edited(PROCESSES / "complaint.bpmn", remove_element("//camunda:formField[@id='visit_window']"))
        deploy_version(session, runtime, v2, "owner", "visit window dropped")
        plans = {p.instance_id: p for p in plan_migration(session, runtime, "complaint", 1, 2)}
        at_site_order = next(
            i for i, p in plans.items() if any(t.element_id == "dispatch_site_order" for t in p.tokens)
        )
        assert [r.message for r in plans[at_site_order].reasons] == [
            "the form of '派发现场工单' changed in version 2 (visit_window removed); whoever works on it may "
            "have typed into the old one"
        ]
        assert sum(p.mappable for p in plans.values()) == len(plans) - 1
        version_before = session.get(ProcessInstance, at_site_order).version
        result = apply_migration(session, runtime, list(plans.values()), OWNER)
    assert [number for number, _reasons in result.skipped] == [plans[at_site_order].case_number]
    assert len(result.migrated) == len(plans) - 1
    with sessions() as session:
        stayed = session.get(ProcessInstance, at_site_order)
        assert (stayed.definition.version, stayed.version) == (1, version_before)
        assert "case_migrated" not in [e.kind for e in events_of(session, at_site_order)]


def _small_cases(sessions: sessionmaker[Session], runtime: Runtime, v2: bytes) -> tuple[int, int]:
    """Two cases of a two-task process, one at each task, and a version 2 deployed."""
    with sessions.begin() as session:
        deploy(session, runtime, linear(user_task("first"), user_task("second")), "small.bpmn", "test")
        at_first = start_case(session, runtime, "small", OPERATOR).id
        at_second = start_case(session, runtime, "small", OPERATOR)
        complete_task(session, runtime, open_task(session, at_second.id, "first").id, OPERATOR, {})
        deploy(session, runtime, v2, "small.bpmn", "test")
    runtime.workflows.clear()
    return at_first, at_second.id


def _reasons(plans: list[Any]) -> dict[int, list[tuple[str, str]]]:
    return {p.instance_id: [(r.code, r.message) for r in p.reasons] for p in plans}


def test_removed_elements_cannot_be_mapped(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    at_first, at_second = _small_cases(sessions, runtime, linear(user_task("second")))
    with sessions() as session:
        plans = plan_migration(session, runtime, "small", 1, 2)
    assert _reasons(plans) == {
        at_first: [("element-removed", "'first' (first), where the case is, is not in version 2")],
        at_second: [
            ("passed-element-removed", "the case has passed 'first' (first), which version 2 removed")
        ],
    }
    (token,) = next(p for p in plans if p.instance_id == at_first).tokens
    assert (token.element_id, token.state, token.target_id) == ("first", "ready", None)


def test_a_task_that_became_a_script_cannot_be_mapped(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    at_first, at_second = _small_cases(
        sessions, runtime, linear(user_task("first"), script_task("second", "x = 1"))
    )
    with sessions() as session:
        plans = plan_migration(session, runtime, "small", 1, 2)
    assert _reasons(plans) == {
        at_first: [],
        at_second: [("type-changed", "'second' is a ScriptTask in version 2, no longer a UserTask")],
    }


def test_only_the_chosen_cases_are_planned(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    at_first, at_second = _small_cases(
        sessions, runtime, linear(user_task("first"), user_task("second", name="Two"))
    )
    with sessions() as session:
        number = session.get(ProcessInstance, at_second).case_number
        assert [p.instance_id for p in plan_migration(session, runtime, "small", 1, 2, [number])] == [
            at_second
        ]
        assert [
            p.instance_id for p in plan_migration(session, runtime, "small", 1, 2, at_element="first")
        ] == [at_first]
        with pytest.raises(ValueError, match="two different versions"):
            plan_migration(session, runtime, "small", 1, 1)
    with sessions.begin() as session:
        apply_migration(session, runtime, plan_migration(session, runtime, "small", 1, 2), OPERATOR)
    with sessions() as session:
        assert [
            t.name
            for t in session.scalars(
                select(HumanTask).where(HumanTask.instance_id == at_second, HumanTask.status == "open")
            )
        ] == ["Two"]
        # back again: version 2 to 1 is a migration too
        assert [p.mappable for p in plan_migration(session, runtime, "small", 2, 1)] == [True, True]


def test_a_case_changed_while_moving_stays_and_the_others_move(
    sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.processes.migration
    from engine.errors import Conflict

    at_first, at_second = _small_cases(
        sessions, runtime, linear(user_task("first"), user_task("second", name="Two"))
    )
    real_save = engine.processes.migration.save_workflow

    def someone_was_quicker(
        session: Session, engine_: Runtime, instance: ProcessInstance, *args: Any
    ) -> None:
        if instance.id == at_first:
            raise Conflict("changed", "changed", case=instance.case_number)
        real_save(session, engine_, instance, *args)

    monkeypatch.setattr(engine.processes.migration, "save_workflow", someone_was_quicker)
    with sessions.begin() as session:
        plans = plan_migration(session, runtime, "small", 1, 2)
        result = apply_migration(session, runtime, plans, OPERATOR)
    ((skipped_number, (reason,)),) = result.skipped
    assert reason.code == "changed-meanwhile"
    with sessions() as session:
        assert skipped_number == session.get(ProcessInstance, at_first).case_number
        assert session.get(ProcessInstance, at_first).definition.version == 1
        assert session.get(ProcessInstance, at_second).definition.version == 2
        assert [e.kind for e in events_of(session, at_first)][-1] != "case_migrated"


def test_a_changed_timer_counts_again_from_the_migration_and_an_unchanged_one_keeps_its_due_time(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    running_cases: dict[str, list[int]],
) -> None:
    with sessions() as session:
        at_site_order = next(
            i
            for i in running_cases["complaint"]
            if [t.element_id for t in open_tasks(session, i)] == ["dispatch_site_order"]
        )
        others = [i for i in running_cases["complaint"] if i != at_site_order]
        kept = {
            i: [(t.element_id, t.due_at) for t in timers_of(session, i) if t.status == "waiting"]
            for i in others
        }
    assert any(kept.values())
    v2 = edited(
        PROCESSES / "complaint.bpmn",
        set_text("//bpmn:boundaryEvent[@id='dispatch_deadline']//bpmn:timeDuration", "PT5M"),
    )
    with sessions.begin() as session:
        deploy_version(session, runtime, v2, "owner", "5 minutes for the site order")
    clock.advance(timedelta(minutes=2))
    with sessions.begin() as session:
        result = apply_migration(session, runtime, plan_migration(session, runtime, "complaint", 1, 2), OWNER)
    assert len(result.migrated) == len(running_cases["complaint"])
    with sessions() as session:
        (timer,) = [t for t in timers_of(session, at_site_order) if t.status == "waiting"]
        assert (timer.element_id, timer.due_at) == ("dispatch_deadline", clock.now() + timedelta(minutes=5))
        assert {
            i: [(t.element_id, t.due_at) for t in timers_of(session, i) if t.status == "waiting"]
            for i in others
        } == kept
