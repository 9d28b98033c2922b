"""Multi-instance user tasks drawn as Camunda Modeler writes them (issue 21): one task per item of a list
in the case data, each its own task with its own candidate groups and form values, parallel or
sequential, with a completion condition; a deadline on the step is each instance's deadline. Every step
is its own unit of work and the case is reloaded from the database before the next one (driver.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import HumanTask
from engine.errors import ScriptFailed
from engine.runtime import Runtime
from tests.helpers import OPERATOR, SUPERVISOR, department_handler, row_counts
from tests.scenarios.driver import CLOSED, CaseDriver, completed, created, end, script, timer_fired
from tests.scenarios.test_camunda_constructs import deploy_corpus

BILLING, TECHNICAL = department_handler("billing"), department_handler("technical")


@pytest.fixture
def multi_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> CaseDriver:
    deploy_corpus(sessions, runtime, "runs_multi_instance")
    return CaseDriver(sessions, runtime, clock, "runs_multi_instance", {"Step": "处理", "Review": "复核"})


def test_one_task_per_item_each_with_its_group_and_its_values_then_a_sequence_until_approved(
    multi_case: CaseDriver,
) -> None:
    case = multi_case
    case.open_with(
        OPERATOR,
        {},
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            script("Prepare", {"items": [None, ["billing", "technical"]]}),
            created("Step", "billing"),
            created("Step", "technical"),
        ],
        open_now=[("Step", "billing"), ("Step", "technical")],
    )
    due = case.task("Step", "billing").due_at
    assert due == case.task("Step", "technical").due_at == case.clock.now() + timedelta(hours=1)
    case.clock.advance(timedelta(minutes=10))
    first = {"result": "账已核", "item": "technical"}
    case.complete(
        "Step",
        TECHNICAL,
        {"result": "账已核"},
        groups="technical",
        results=[first],
        events=[completed(TECHNICAL, "Step", {"result": [None, "账已核"]})],
        open_now=[("Step", "billing")],
    )
    case.clock.advance(timedelta(hours=1))
    # The step's deadline passes while one instance is open: the deadline fires once, the instance stays.
    case.fire_due_timers(events=[timer_fired("Deadline"), end("LateEnd")], open_now=[("Step", "billing")])
    second = {"result": "已退费", "item": "billing"}
    case.complete(
        "Step",
        BILLING,
        {"result": "已退费"},
        results=[first, second],
        events=[
            completed(BILLING, "Step", {"result": [None, "已退费"]}),
            created("Review", "supervisor"),
        ],
        open_now=[("Review", "supervisor")],
    )
    with case.sessions() as session:
        assert case.instance(session).data["Step_results"] == [first, second]
    # Sequential, at most three, until one approves.
    case.complete(
        "Review",
        SUPERVISOR,
        {"approved": False},
        results=[{"approved": False}],
        events=[
            completed(SUPERVISOR, "Review", {"approved": [None, False]}),
            created("Review", "supervisor"),
        ],
        open_now=[("Review", "supervisor")],
    )
    case.complete(
        "Review",
        SUPERVISOR,
        {"approved": True},
        results=[{"approved": False}, {"approved": True}],
        events=[completed(SUPERVISOR, "Review", {"approved": [None, True]}), end("EndEvent_1"), CLOSED],
        open_now=[],
    )


def test_a_completion_condition_withdraws_the_instances_still_open(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """completionCondition ${nrOfCompletedInstances >= 2} (JUEL, run as Python with Camunda's counters):
    once two of three departments have answered, the third's task is withdrawn and the case goes on."""
    deploy_corpus(sessions, runtime, "runs_multi_instance_condition")
    case = CaseDriver(
        sessions, runtime, clock, "runs_multi_instance_condition", {"Step": "处理", "Review": "复核"}
    )
    case.open_with(
        OPERATOR,
        {},
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            script("Prepare", {"items": [None, ["billing", "technical", "repair"]]}),
            created("Step", "billing"),
            created("Step", "technical"),
            created("Step", "repair"),
        ],
        open_now=[("Step", "billing"), ("Step", "technical"), ("Step", "repair")],
    )
    first = {"result": "已核", "item": "repair"}
    case.complete(
        "Step",
        department_handler("repair"),
        {"result": "已核"},
        groups="repair",
        results=[first],
        events=[completed(department_handler("repair"), "Step", {"result": [None, "已核"]})],
        open_now=[("Step", "billing"), ("Step", "technical")],
    )
    second = {"result": "已退费", "item": "billing"}
    case.complete(
        "Step",
        BILLING,
        {"result": "已退费"},
        groups="billing",
        results=[first, second],
        events=[completed(BILLING, "Step", {"result": [None, "已退费"]}), created("Review", "supervisor")],
        open_now=[("Review", "supervisor")],
    )
    with sessions() as session:
        statuses = {
            t.candidate_groups: t.status
            for t in session.scalars(select(HumanTask).where(HumanTask.element_id == "Step"))
        }
    assert statuses == {"repair": "completed", "billing": "completed", "technical": "cancelled"}


def test_a_collection_the_case_data_lacks_fails_the_step_naming_it_and_nothing_is_saved(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    deploy_corpus(sessions, runtime, "refused_multi_instance_unknown_list")
    with sessions() as session:
        before = row_counts(session)
    with pytest.raises(ScriptFailed) as failed, sessions.begin() as session:
        start_case(session, runtime, "refused_multi_instance_unknown_list", OPERATOR)
    assert failed.value.element_id == "Step"
    assert "runs once per item of 'items', which the case data does not hold" in failed.value.detail
    with sessions() as session:
        assert row_counts(session) == before


def test_an_empty_list_makes_no_instance_and_the_case_goes_on(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    deploy_corpus(sessions, runtime, "refused_multi_instance_unknown_list")
    with sessions.begin() as session:
        case = start_case(
            session, runtime, "refused_multi_instance_unknown_list", OPERATOR, initial_data={"items": []}
        )
        assert case.status == "completed"


def test_a_collection_that_is_not_a_list_fails_the_step_naming_what_it_holds(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    deploy_corpus(sessions, runtime, "refused_multi_instance_unknown_list")
    with pytest.raises(ScriptFailed) as failed, sessions.begin() as session:
        start_case(
            session,
            runtime,
            "refused_multi_instance_unknown_list",
            OPERATOR,
            initial_data={"items": "billing"},
        )
    assert "which holds str 'billing', not a list" in failed.value.detail
