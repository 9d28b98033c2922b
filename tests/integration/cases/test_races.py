"""Races on one case (issue 14, item 5): several people completing the same task at once, and a claim
against a completion. Exactly one wins; every other gets a Conflict that says who was quicker; the
history has one completion; nothing fails with a database error.

On PostgreSQL every racer is held until all of them have read the task as open, so each try really
overlaps (the transactions then write at the same moment). SQLite runs one writing transaction at a
time (BEGIN IMMEDIATE); the racers start together and the later ones must find the task closed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.db.models import Event, HumanTask, ProcessDefinition
from engine.errors import Conflict
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import claims
from engine.work.use_cases import claim_task, complete_task
from tests.helpers import OPERATOR, intake_form, open_task

RESOLVED = {"investigation": "检查了管网", "outcome": "resolved", "result": "已修复"}
HANDLERS = [Actor(f"ops_{n}", frozenset({"operations"})) for n in range(6)]
TRIES = 3


def _new_task(sessions: sessionmaker[Session], runtime: Runtime) -> tuple[int, int]:
    with UnitOfWork(sessions, runtime) as uow:
        case = runner.start_case(uow.session, runtime, "complaint", OPERATOR, intake_form())
        task_id = open_task(uow.session, case.id, "department_handling").id
        uow.commit()
        return case.id, task_id


@pytest.fixture
def all_read_first(db_engine: SqlEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """all_read_first(n): on PostgreSQL, hold each of the next n racers right after it read the task
    (completing: the open task; claiming: the task row) until all n have, so their writes overlap."""
    barrier: list[threading.Barrier] = []

    def hold() -> None:
        if barrier:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier[0].wait()

    real_workable, real_by_id = runner.workable_task, claims.task_by_id

    def workable(session: Session, task_id: int, actor: Actor) -> HumanTask:
        row = real_workable(session, task_id, actor)
        hold()
        return row

    def by_id(session: Session, task_id: int) -> HumanTask:
        row = real_by_id(session, task_id)
        hold()
        return row

    if db_engine.dialect.name == "postgresql":
        monkeypatch.setattr(runner, "workable_task", workable)
        monkeypatch.setattr(claims, "task_by_id", by_id)

    def arm(count: int) -> None:
        barrier[:] = [threading.Barrier(count, timeout=20)]

    yield arm


def _race(jobs: list[Callable[[], str]]) -> list[str]:
    """Run the jobs in threads started together; each answers 'won' or the reason of its Conflict
    (any other exception is kept as its type and message, so the test shows it)."""
    start = threading.Barrier(len(jobs), timeout=20)
    outcomes: list[str] = [""] * len(jobs)

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = jobs[index]()
        except Conflict as conflict:
            outcomes[index] = f"conflict:{conflict.reason}:{conflict.params.get('by', '')}"
        except Exception as err:  # noqa: BLE001 - shown in the assertion
            outcomes[index] = f"error:{type(err).__name__}: {err}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def _completer(
    sessions: sessionmaker[Session], runtime: Runtime, task_id: int, actor: Actor
) -> Callable[[], str]:
    def job() -> str:
        with UnitOfWork(sessions, runtime) as uow:
            complete_task(uow, task_id, actor, RESOLVED)
            uow.commit()
        return f"won:{actor.username}"

    return job


def _claimer(
    sessions: sessionmaker[Session], runtime: Runtime, task_id: int, actor: Actor
) -> Callable[[], str]:
    def job() -> str:
        with UnitOfWork(sessions, runtime) as uow:
            claim_task(uow, task_id, actor)
            uow.commit()
        return f"claimed:{actor.username}"

    return job


def _history(sessions: sessionmaker[Session], case_id: int) -> list[tuple[str, str | None, str]]:
    with sessions() as session:
        return [
            (kind, element_id, actor)
            for kind, element_id, actor in session.execute(
                select(Event.kind, Event.element_id, Event.actor)
                .where(
                    Event.instance_id == case_id,
                    Event.kind.in_(("task_completed", "task_claimed")),
                    Event.element_id == "department_handling",
                )
                .order_by(Event.id)
            ).all()
        ]


def _tasks(sessions: sessionmaker[Session], case_id: int) -> list[tuple[str, str, str | None, str | None]]:
    with sessions() as session:
        return [
            (t.element_id, t.status, t.completed_by, t.assignee)
            for t in session.scalars(
                select(HumanTask).where(HumanTask.instance_id == case_id).order_by(HumanTask.id)
            )
        ]


@pytest.mark.real_commits
def test_people_completing_the_same_task_at_once_one_wins_the_others_are_told_who(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    all_read_first: Callable[[int], None],
) -> None:
    """Item 5: of six people completing one task at the same moment, one completes it; the five others
    get a Conflict naming the winner (409 in the web), never a database error (a 500)."""
    for _try in range(TRIES):
        case_id, task_id = _new_task(sessions, runtime)
        all_read_first(len(HANDLERS))
        outcomes = _race([_completer(sessions, runtime, task_id, actor) for actor in HANDLERS])
        winners = [o for o in outcomes if o.startswith("won:")]
        assert len(winners) == 1, outcomes
        winner = winners[0].removeprefix("won:")
        assert sorted(o for o in outcomes if not o.startswith("won:")) == [
            f"conflict:task_closed:{winner}"
        ] * (len(HANDLERS) - 1), outcomes
        assert _history(sessions, case_id) == [("task_completed", "department_handling", winner)]
        assert _tasks(sessions, case_id) == [
            ("department_handling", "completed", winner, winner),  # completing claimed it
            ("callback", "open", None, None),
        ]


@pytest.mark.real_commits
def test_a_claim_against_a_completion_only_one_of_them_happens(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    all_read_first: Callable[[int], None],
) -> None:
    """Item 5: one person completes the (unclaimed) task while another claims it. Either the completion
    stands and the claim is refused as too late, or the claim stands and the completion is refused as
    claimed by someone else: never "you claimed it" for a task another person completed."""
    completer, claimer = HANDLERS[0], HANDLERS[1]
    for _try in range(TRIES):
        case_id, task_id = _new_task(sessions, runtime)
        all_read_first(2)
        outcomes = _race(
            [_completer(sessions, runtime, task_id, completer), _claimer(sessions, runtime, task_id, claimer)]
        )
        assert outcomes in (
            ["won:ops_0", "conflict:task_closed:ops_0"],
            ["conflict:task_claimed:ops_1", "claimed:ops_1"],
        ), outcomes
        if outcomes[0] == "won:ops_0":
            assert _history(sessions, case_id) == [("task_completed", "department_handling", "ops_0")]
            assert _tasks(sessions, case_id)[0] == ("department_handling", "completed", "ops_0", "ops_0")
        else:
            assert _history(sessions, case_id) == [("task_claimed", "department_handling", "ops_1")]
            assert _tasks(sessions, case_id) == [("department_handling", "open", None, "ops_1")]
