"""Timers fired in groups (issue 15): one unit of work locks the cases of the timers a worker claimed,
reads their rows once for all of them and commits once; a case another transaction holds is left to a
later round at once; a firing that fails takes nothing of itself or of the others into the database or
the workflow cache, and the others still fire, each once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.due_timers import fire_due_timers
from engine.clock import SettableClock
from engine.db.models import Event, Notification, ProcessInstance, Timer
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from hotline import scheduling
from tests.helpers import deadline_diagram, open_cases
from tests.integration.cases.test_statements import statements


class CountedUnits:
    """Opens units of work like the scheduler does, and counts those that commit."""

    def __init__(self, sessions: sessionmaker[Session], runtime: Runtime) -> None:
        self.sessions, self.runtime, self.commits = sessions, runtime, 0

    def __call__(self) -> UnitOfWork:
        unit = UnitOfWork(self.sessions, self.runtime)
        commit = unit.commit

        def counted() -> None:
            commit()
            self.commits += 1

        unit.commit = counted  # type: ignore[method-assign]
        return unit


def _fired_per_case(sessions: sessionmaker[Session]) -> dict[int, int]:
    with sessions() as session:
        rows = session.execute(
            select(Event.instance_id, func.count())
            .where(Event.kind == "timer_fired")
            .group_by(Event.instance_id)
        ).all()
    return dict(rows)


def test_five_timers_fire_in_one_unit_that_reads_each_kind_of_row_once_c4(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    db_engine: SqlEngine,
    reference_data: None,
) -> None:
    """Five deadlines pass; each chases the supervisors (C4). One unit claims the five, one more fires
    them all: the cases locked and their timer and task rows read in one statement each, the
    supervisors once; then the firings' writes (timer, notification, case, history), each kind for all
    five in one statement."""
    ids = open_cases(sessions, runtime, 5)
    clock.advance(timedelta(minutes=11))
    units = CountedUnits(sessions, runtime)
    with statements(db_engine) as sent:
        assert fire_due_timers(units, "w") == 5
    assert units.commits == 2  # the claim, and the group of five
    assert _fired_per_case(sessions) == {case_id: 1 for case_id in ids}
    assert len([s for s in sent if "FROM user_role" in s or "JOIN user_role" in s]) == 1
    assert len([s for s in sent if s.startswith("SELECT") and "FROM human_task" in s]) == 1
    assert len([s for s in sent if "FROM message_template" in s]) == 1  # the chase's wording, once
    claim, group = sent[:2], sent[2:]
    # PostgreSQL: SET LOCAL synchronous_commit, UPDATE … RETURNING; SQLite: SELECT, UPDATE
    assert claim[1].startswith("UPDATE timer SET claimed_by"), claim
    # lock the cases, read their unfired timers and open tasks, the supervisors, the chase's wording;
    # then the five firings' writes, held back, one statement per table: the first chase's notification
    # alone went before the wording was read (a read sends what is held first)
    writes = [s.split(" (")[0].split(" SET")[0] for s in group if s.startswith(("INSERT", "UPDATE"))]
    assert sorted(writes) == [
        "INSERT INTO event",
        "INSERT INTO notification",
        "INSERT INTO notification",
        "UPDATE process_instance",
        "UPDATE timer",
    ], group
    assert len(group) == 5 + len(writes), group
    with sessions() as session:
        assert session.scalar(select(func.count(Notification.id))) == 5
        assert set(session.scalars(select(Timer.status))) == {"fired"}


def test_a_failing_firing_leaves_nothing_behind_and_the_others_fire_once(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """The broken case's timer is claimed between two good ones: the group's unit goes down with it,
    the broken timer becomes an incident on its own and the others fire in a new group. The workflow
    cache keeps, for each good case, the state its database row has — not the one rolled back."""
    good = open_cases(sessions, runtime, 1)
    broken = open_cases(sessions, runtime, 1, deadline_diagram("chased = 1 / 0", key="broken"), key="broken")
    good += open_cases(sessions, runtime, 1, deadline_diagram(key="good"), key="good")
    clock.advance(timedelta(minutes=11))
    units = CountedUnits(sessions, runtime)
    assert fire_due_timers(units, "w") == 2
    assert _fired_per_case(sessions) == {case_id: 1 for case_id in good}
    with sessions() as session:
        statuses = dict(session.execute(select(Timer.instance_id, Timer.status)).all())
        assert statuses == {good[0]: "fired", broken[0]: "failed", good[1]: "fired"}
        versions = dict(session.execute(select(ProcessInstance.id, ProcessInstance.version)).all())
    for case_id in good:
        assert runtime.workflows.take(case_id, versions[case_id]) is not None
    assert runtime.workflows.take(broken[0], versions[broken[0]] + 1) is None
    # the claim; the first group (rolled back); the incident; the second group
    assert units.commits == 3


@pytest.mark.real_commits
def test_a_case_held_by_another_transaction_is_left_to_the_next_round_at_once(
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    db_engine: SqlEngine,
) -> None:
    """A person's unit of work holds one of three cases: the group does not wait for it (it would hold
    the other cases meanwhile), fires the two others and gives the busy timer's claim back, so the next
    round fires it as soon as the case is free, not after the lease."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks next to each other need PostgreSQL (SQLite serialises writers)")
    first, held, last = open_cases(sessions, runtime, 3)
    clock.advance(timedelta(minutes=11))
    with db_engine.connect() as person:
        person.execute(text("SELECT id FROM process_instance WHERE id = :id FOR NO KEY UPDATE"), {"id": held})
        assert fire_due_timers(CountedUnits(sessions, runtime), "w") == 2
        with sessions() as session:
            timer = session.scalars(select(Timer).where(Timer.instance_id == held)).one()
            assert (timer.status, timer.claimed_by, timer.claimed_until) == ("waiting", None, None)
        person.rollback()
    assert fire_due_timers(CountedUnits(sessions, runtime), "w") == 1
    assert _fired_per_case(sessions) == {first: 1, held: 1, last: 1}


@pytest.mark.real_commits
def test_helper_threads_join_a_round_only_when_more_is_due_than_one_batch(
    database_url: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """On PostgreSQL a worker's round takes a helper thread (its own connection, its own claims) once a
    claim comes back full; with less due than a batch, it fires alone. Every timer fires once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("helper threads fire only on PostgreSQL (SQLite has one writer at a time)")
    few = open_cases(sessions, runtime, 3)
    clock.advance(timedelta(minutes=11))
    assert scheduling.fire_due_timers(runtime, sessions, "w", batch=5) == 3
    many = open_cases(sessions, runtime, 12, deadline_diagram(key="many"), key="many")
    clock.advance(timedelta(minutes=11))
    assert scheduling.fire_due_timers(runtime, sessions, "w", batch=5) == 12
    assert _fired_per_case(sessions) == {case_id: 1 for case_id in few + many}
    with sessions() as session:
        claimed = dict(session.execute(select(Timer.instance_id, Timer.claimed_by)).all())
    assert {claimed[case_id] for case_id in few} == {"w"}
    assert {claimed[case_id] for case_id in many} == {"w", "w+1"}
