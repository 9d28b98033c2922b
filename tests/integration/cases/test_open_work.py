"""engine.cases.projection.open_work and ready_user_task: what a unit's save and a completion look up
in the workflow, found as `waiting_timers` and `ready_user_tasks` find it."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.cases.projection import open_work, ready_user_task, ready_user_tasks, waiting_timers
from engine.cases.store import load_workflow
from engine.db.models import ProcessInstance
from engine.runtime import Runtime
from tests.helpers import boundary_timer, diagram, end_event, flow, open_cases, start_event, user_task


def _parallel_with_deadlines() -> bytes:
    """Three user tasks side by side, two of them with a deadline of their own."""
    return diagram(
        start_event(),
        '<bpmn:parallelGateway id="split"/>',
        '<bpmn:parallelGateway id="join"/>',
        user_task("first"),
        user_task("second"),
        user_task("third"),
        boundary_timer("first_due", "first", "timeDuration", "PT1H"),
        boundary_timer("third_due", "third", "timeDuration", "PT2H"),
        end_event(),
        end_event("late_first"),
        end_event("late_third"),
        flow("start", "split"),
        *(flow("split", name) for name in ("first", "second", "third")),
        *(flow(name, "join") for name in ("first", "second", "third")),
        flow("join", "end"),
        flow("first_due", "late_first"),
        flow("third_due", "late_third"),
        key="parallel",
    )


def test_open_work_finds_the_timers_and_tasks_the_two_lookups_find_in_their_order(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    (case_id,) = open_cases(sessions, runtime, 1, _parallel_with_deadlines(), key="parallel")
    with sessions() as session:
        workflow, _parsed = load_workflow(runtime, session.get_one(ProcessInstance, case_id))
    timers, ready = open_work(workflow)
    assert [t.task_spec.bpmn_id for t in ready] == ["first", "second", "third"]
    assert len(timers) == 2
    assert (timers, ready) == (waiting_timers(workflow), ready_user_tasks(workflow))
    assert ready_user_task(workflow, str(ready[1].id)) is ready[1]
    assert ready_user_task(workflow, str(timers[0].id)) is None  # waiting, not a ready user task
    assert ready_user_task(workflow, str(workflow.task_tree.id)) is None  # the root, finished long ago
