"""Two workers racing for the same external tasks (issue 21): on PostgreSQL fetch-and-lock takes rows
FOR UPDATE SKIP LOCKED, so workers fetching at the same moment never lock the same task, and every task
is completed exactly once. (SQLite runs one writing transaction at a time, which gives the same; the
test runs on both.)"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.db import Event, ExternalTaskRow
from engine.errors import Conflict
from engine.processes.deployment import deploy
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import complete_external, fetch_and_lock_tasks
from tests.helpers import OPERATOR, PROJECT_ROOT

DIAGRAM = PROJECT_ROOT / "tests" / "fixtures" / "constructs" / "runs_service_external.bpmn"
CASES = 12
WORKERS = 2
CLIENT = Actor("billing-client", frozenset({"operator"}))


@pytest.mark.real_commits
def test_two_workers_fetching_at_once_each_complete_different_tasks_every_task_once(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, DIAGRAM.read_bytes(), "external.bpmn", "test")
    for n in range(CASES):
        with sessions.begin() as session:
            runner.start_case(session, runtime, "runs_service_external", OPERATOR, initial_data={"n": n})
    start = threading.Barrier(WORKERS, timeout=30)
    done: dict[str, list[int]] = {f"w{i}": [] for i in range(WORKERS)}
    failures: list[str] = []

    def work(worker: str) -> None:
        start.wait()
        while True:
            try:
                with UnitOfWork(sessions, runtime) as uow:
                    locked = fetch_and_lock_tasks(uow, worker, {"billing": timedelta(minutes=5)}, 2)
                    ids = [t.task.id for t in locked]
                    uow.commit()
                if not ids:
                    return
                for task_id in ids:
                    with UnitOfWork(sessions, runtime) as uow:
                        complete_external(uow, task_id, worker, CLIENT, {"by": worker})
                        uow.commit()
                    done[worker].append(task_id)
            except Conflict as err:  # a worker never loses a task it locked
                failures.append(f"{worker}: {err}")
                return
            except Exception as err:  # noqa: BLE001 - shown by the assertion below
                failures.append(f"{worker}: {type(err).__name__}: {err}")
                return

    threads = [threading.Thread(target=work, args=(w,)) for w in done]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    completed = [task_id for ids in done.values() for task_id in ids]
    assert len(completed) == CASES and len(set(completed)) == CASES
    with sessions() as session:
        rows = session.scalars(select(ExternalTaskRow)).all()
        assert {r.status for r in rows} == {"completed"} and len(rows) == CASES
        assert {r.completed_by for r in rows} <= set(done)
        kinds = session.scalars(select(Event.kind).where(Event.kind == "external_task_completed")).all()
        assert len(kinds) == CASES
