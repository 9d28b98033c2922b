"""Claiming, releasing and reassigning tasks: one winner of two claims, every change in the history."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import Event, HumanTask, ProcessDefinition
from engine.errors import Conflict, FormInvalid, NotAllowed
from engine.runtime import Actor, Runtime
from engine.work.claims import claim_task, hand_task_to_group, reassign_task, release_task, suitable_groups
from tests.helpers import OPERATOR, SUPERVISOR, intake_form

OPS_A = Actor("ops_a", frozenset({"operations"}))
OPS_B = Actor("ops_b", frozenset({"operations"}))
HANDLING = {"investigation": "阀门卡滞已处理", "outcome": "resolved", "result": "已恢复供热"}


@pytest.fixture
def task_id(sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition) -> int:
    with sessions.begin() as session:
        case = start_case(session, runtime, "complaint", OPERATOR, intake_form())
        return session.scalars(
            select(HumanTask.id).where(HumanTask.instance_id == case.id, HumanTask.status == "open")
        ).one()


def history(sessions: sessionmaker[Session], task_id: int) -> list[tuple[str, str, dict]]:
    with sessions() as session:
        instance_id = session.get(HumanTask, task_id).instance_id  # type: ignore[union-attr]
        return [
            (e.kind, e.actor, e.changes)
            for e in session.scalars(
                select(Event)
                .where(
                    Event.instance_id == instance_id,
                    Event.kind.like("task_%ed"),
                    Event.kind.not_in(("task_created", "task_completed")),
                )
                .order_by(Event.id)
            )
        ]


def test_claim_release_and_claim_again_are_recorded(
    sessions: sessionmaker[Session], clock: SettableClock, task_id: int
) -> None:
    with sessions.begin() as session:
        assert claim_task(session, task_id, OPS_A, clock.now()).assignee == "ops_a"
    with sessions.begin() as session:
        assert (
            claim_task(session, task_id, OPS_A, clock.now()).assignee == "ops_a"
        )  # claiming again changes nothing
    with sessions.begin() as session:
        release_task(session, task_id, OPS_A, clock.now())
    with sessions.begin() as session:
        claim_task(session, task_id, OPS_B, clock.now())
    assert history(sessions, task_id) == [
        ("task_claimed", "ops_a", {"assignee": [None, "ops_a"]}),
        ("task_released", "ops_a", {"assignee": ["ops_a", None]}),
        ("task_claimed", "ops_b", {"assignee": [None, "ops_b"]}),
    ]


def test_a_task_claimed_by_someone_else_cannot_be_claimed_released_or_completed(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, task_id: int
) -> None:
    with sessions.begin() as session:
        claim_task(session, task_id, OPS_A, clock.now())
    with pytest.raises(Conflict) as taken, sessions.begin() as session:
        claim_task(session, task_id, OPS_B, clock.now())
    assert (taken.value.reason, taken.value.params["by"]) == ("task_claimed", "ops_a")
    with pytest.raises(NotAllowed), sessions.begin() as session:
        release_task(session, task_id, OPS_B, clock.now())
    with pytest.raises(Conflict) as completing, sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS_B, HANDLING)
    assert completing.value.reason == "task_claimed"
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS_A, HANDLING)
    with pytest.raises(Conflict) as closed, sessions.begin() as session:
        claim_task(session, task_id, OPS_B, clock.now())
    assert closed.value.reason == "task_closed"


def test_only_the_groups_may_claim(
    sessions: sessionmaker[Session], clock: SettableClock, task_id: int
) -> None:
    with pytest.raises(NotAllowed), sessions.begin() as session:
        claim_task(session, task_id, Actor("bill", frozenset({"billing"})), clock.now())


@pytest.mark.real_commits
def test_two_people_claiming_at_once_one_wins(
    sessions: sessionmaker[Session], clock: SettableClock, task_id: int
) -> None:
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def claim(actor: Actor) -> None:
        barrier.wait()
        try:
            with sessions.begin() as session:
                claim_task(session, task_id, actor, clock.now())
            outcomes[actor.username] = "won"
        except Conflict as err:
            outcomes[actor.username] = err.reason

    threads = [threading.Thread(target=claim, args=(a,)) for a in (OPS_A, OPS_B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["task_claimed", "won"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    with sessions() as session:
        assert session.get(HumanTask, task_id).assignee == winner  # type: ignore[union-attr]
    assert [kind for kind, _a, _c in history(sessions, task_id)] == ["task_claimed"]


def test_a_supervisor_reassigns_with_a_reason(
    sessions: sessionmaker[Session], clock: SettableClock, task_id: int
) -> None:
    with sessions.begin() as session:
        claim_task(session, task_id, OPS_A, clock.now())
    with pytest.raises(NotAllowed), sessions.begin() as session:
        reassign_task(session, task_id, OPS_A, "operations_head", clock.now(), "休假")
    with pytest.raises(FormInvalid) as refused, sessions.begin() as session:
        reassign_task(session, task_id, SUPERVISOR, "operations_head", clock.now(), "  ")
    assert set(refused.value.errors) == {"handover_reason"}
    with pytest.raises(NotAllowed), sessions.begin() as session:
        reassign_task(session, task_id, SUPERVISOR, "nobody_such", clock.now(), "休假")
    with sessions.begin() as session:
        reassign_task(session, task_id, SUPERVISOR, "operations_head", clock.now(), "赵运行休假")
    assert history(sessions, task_id)[-1] == (
        "task_reassigned",
        "sup1",
        {"assignee": ["ops_a", "operations_head"], "handover_reason": [None, "赵运行休假"]},
    )


def test_a_task_handed_to_someone_outside_its_groups_is_theirs_to_complete(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, task_id: int
) -> None:
    """C4: nothing stays stuck; the supervisor hands the work to whoever can do it, with a reason."""
    with sessions.begin() as session:
        reassign_task(session, task_id, SUPERVISOR, "repair_head", clock.now(), "运行部无人值班")
    repair_head = Actor("repair_head", frozenset({"repair", "department_head"}))
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, repair_head, HANDLING)
    with sessions() as session:
        task = session.get(HumanTask, task_id)
        assert (task.status, task.completed_by) == ("completed", "repair_head")  # type: ignore[union-attr]


def test_a_supervisor_hands_a_task_to_another_group_with_members(
    sessions: sessionmaker[Session], clock: SettableClock, task_id: int
) -> None:
    """A task routed to a department nobody belongs to (customer_service) goes to one with people in it."""
    with sessions() as session:
        groups = suitable_groups(session)
    assert {"operations", "repair", "department_head"} <= set(groups)
    assert "customer_service" not in groups and "supervisor" not in groups
    with sessions.begin() as session:
        claim_task(session, task_id, OPS_A, clock.now())
    with pytest.raises(FormInvalid) as refused, sessions.begin() as session:
        hand_task_to_group(session, task_id, SUPERVISOR, "customer_service", clock.now(), "转客服")
    assert set(refused.value.errors) == {"group"}
    with pytest.raises(NotAllowed), sessions.begin() as session:
        hand_task_to_group(session, task_id, OPS_A, "repair", clock.now(), "转维修")
    with sessions.begin() as session:
        hand_task_to_group(session, task_id, SUPERVISOR, "repair", clock.now(), "属于管网维修")
    with sessions() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None
        assert (task.candidate_groups, task.assignee, [g.group_name for g in task.groups]) == (
            "repair",
            None,
            ["repair"],
        )
    assert history(sessions, task_id)[-1] == (
        "task_reassigned",
        "sup1",
        {
            "candidate_groups": ["operations", "repair"],
            "assignee": ["ops_a", None],
            "handover_reason": [None, "属于管网维修"],
        },
    )
    with pytest.raises(NotAllowed), sessions.begin() as session:  # operations is no longer its group
        claim_task(session, task_id, OPS_B, clock.now())


def test_completing_an_unclaimed_task_claims_it_for_the_completer_in_the_history(
    sessions: sessionmaker[Session], runtime: Runtime, task_id: int
) -> None:
    """Completing without claiming first claims the task in the same unit of work: the history says
    who took it, just before the completion, and the task row names them as its assignee."""
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS_A, HANDLING)
    with sessions() as session:
        row = session.get(HumanTask, task_id)
        assert row is not None and (row.assignee, row.completed_by) == ("ops_a", "ops_a")
        kinds = [
            (e.kind, e.actor, e.changes.get("assignee"))
            for e in session.scalars(
                select(Event)
                .where(
                    Event.instance_id == row.instance_id,
                    Event.element_id == row.element_id,
                    Event.kind != "task_created",
                )
                .order_by(Event.id)
            )
        ]
    assert kinds[:2] == [
        ("task_claimed_on_completion", "ops_a", [None, "ops_a"]),
        ("task_completed", "ops_a", None),
    ]


def test_completing_a_task_one_claimed_records_no_second_claim(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, task_id: int
) -> None:
    with sessions.begin() as session:
        claim_task(session, task_id, OPS_A, clock.now())
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS_A, HANDLING)
    assert [kind for kind, _a, _c in history(sessions, task_id)] == ["task_claimed"]
