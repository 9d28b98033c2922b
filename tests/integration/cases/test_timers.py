"""Durable timers: claimed with a lease, fired exactly once, across restarts and racing workers; a
failing timer becomes an incident that does not block the others and can be retried."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.due_timers import (
    claim_due_timers,
    recently_fired,
    record_incident,
    retry_timer,
    timers_by_state,
)
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import Event, Timer
from engine.db.session import make_engine, make_session_factory
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import OPERATOR, deadline_diagram, open_cases

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def fired_events(sessions: sessionmaker[Session]) -> dict[int, int]:
    with sessions() as session:
        rows = session.execute(
            select(Event.instance_id, func.count())
            .where(Event.kind == "timer_fired")
            .group_by(Event.instance_id)
        ).all()
    return dict(rows)


def test_a_timer_that_fell_due_while_nothing_ran_fires_once_at_start(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    (case_id,) = open_cases(sessions, runtime, 1)
    # everything stops; the deadline passes; a new process (a fresh engine) starts
    clock.advance(timedelta(hours=3))
    restarted = Runtime(clock=clock)
    assert fire_due_timers(restarted, sessions, "worker-a") == 1
    assert fire_due_timers(restarted, sessions, "worker-a") == 0
    assert fire_due_timers(Runtime(clock=clock), sessions, "worker-b") == 0
    assert fired_events(sessions) == {case_id: 1}
    with sessions() as session:
        (recent,) = recently_fired(session)
        assert recent.lateness == timedelta(hours=2, minutes=50)
        (timer,) = session.scalars(select(Timer)).all()
        assert (timer.status, timer.fired_at - timer.due_at) == (
            "fired",
            timedelta(hours=2, minutes=50),
        )  # lateness


def test_claims_are_exclusive_until_their_lease_runs_out(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """A worker that died after claiming leaves its timers to another once the lease expires."""
    open_cases(sessions, runtime, 3)
    clock.advance(timedelta(minutes=11))
    with sessions.begin() as session:
        taken = claim_due_timers(session, "crashed", clock.now(), lease=timedelta(seconds=60))
    assert len(taken) == 3
    with sessions.begin() as session:
        assert claim_due_timers(session, "other", clock.now()) == []
    assert fire_due_timers(runtime, sessions, "other") == 0  # still leased to the crashed worker
    clock.advance(timedelta(seconds=61))
    assert fire_due_timers(runtime, sessions, "other") == 3
    assert sorted(fired_events(sessions).values()) == [1, 1, 1]


def test_a_failing_timer_becomes_an_incident_and_the_others_still_fire(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    good = open_cases(sessions, runtime, 2)
    bad = open_cases(sessions, runtime, 1, deadline_diagram("chased = 1 / 0", key="broken"), key="broken")
    clock.advance(timedelta(minutes=11))
    assert fire_due_timers(runtime, sessions, "w") == 2
    assert fired_events(sessions) == {good[0]: 1, good[1]: 1}
    with sessions() as session:
        state = timers_by_state(session, clock.now())
        assert [(t.case_number[:2], t.element_id, t.attempts) for t in state["failed"]] == [
            ("BR", "deadline", 1)
        ]
        assert "chase" in (state["failed"][0].error or "") and "division by zero" in (
            state["failed"][0].error or ""
        )
        kinds = session.scalars(
            select(Event.kind).where(Event.instance_id == bad[0]).order_by(Event.id)
        ).all()
        assert kinds[-1] == "incident_raised"
    assert fire_due_timers(runtime, sessions, "w") == 0  # not retried by itself

    with sessions.begin() as session:
        failed_id = session.scalars(select(Timer.id).where(Timer.status == "failed")).one()
        assert retry_timer(session, failed_id, "sup1", clock.now())
    assert fire_due_timers(runtime, sessions, "w") == 0  # still broken: a second attempt is recorded
    with sessions() as session:
        assert session.get(Timer, failed_id).attempts == 2  # type: ignore[union-attr]


def test_an_incident_is_not_recorded_over_a_fired_timer(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    open_cases(sessions, runtime, 1)
    clock.advance(timedelta(minutes=11))
    fire_due_timers(runtime, sessions, "w")
    with sessions.begin() as session:
        timer_id = session.scalars(select(Timer.id)).one()
        record_incident(session, timer_id, "late news", clock.now())
    with sessions() as session:
        assert session.get(Timer, timer_id).status == "fired"  # type: ignore[union-attr]


def _race(url: str, worker: str, now: datetime, rounds: int) -> int:
    factory = make_session_factory(make_engine(url))
    engine = Runtime(clock=SettableClock(now))
    return sum(fire_due_timers(engine, factory, worker, batch=5) for _ in range(rounds))


@pytest.mark.real_commits
def test_two_worker_processes_fire_every_timer_exactly_once(
    database_url: str, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("racing worker processes need PostgreSQL (SQLite is one process's database)")
    ids = open_cases(sessions, runtime, 40)
    due = clock.now() + timedelta(minutes=11)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        fired = pool.starmap(_race, [(database_url, "w1", due, 3), (database_url, "w2", due, 3)])
    assert sum(fired) == 40
    assert fired_events(sessions) == {case_id: 1 for case_id in ids}
    with sessions() as session:
        assert session.scalars(select(Timer.status).distinct()).all() == ["fired"]


@pytest.mark.real_commits
def test_hotline_timers_lists_and_retries(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    open_cases(sessions, runtime, 1, deadline_diagram("chased = 1 / 0", key="broken"), key="broken")
    open_cases(sessions, runtime, 1, deadline_diagram(minutes=60 * 24 * 365, key="later"), key="later")
    clock.advance(timedelta(minutes=11))
    fire_due_timers(runtime, sessions, "w")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    listed = CliRunner().invoke(main, ["timers"])
    assert listed.exit_code == 0, listed.output
    assert "failed (1)" in listed.output and "division by zero" in listed.output
    assert "pending (1)" in listed.output and "LA-" in listed.output
    assert "fired, latest first (0)" in listed.output
    with sessions() as session:
        failed_id = session.scalars(select(Timer.id).where(Timer.status == "failed")).one()
    retried = CliRunner().invoke(main, ["timers", "--retry", str(failed_id)])
    assert retried.exit_code == 0 and "next round" in retried.output
    again = CliRunner().invoke(main, ["timers", "--retry", str(failed_id)])
    assert again.exit_code == 1 and "is not a failed timer" in again.output


def test_a_passed_deadline_chases_the_supervisors_of_that_department_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """C4 督办: the deadline of a department's task passes: that department's supervisors are told in
    the app; a department with no supervisor of its own is chased by every supervisor."""
    from engine.db.models import Notification, User, UserRole
    from tests.helpers import boundary_timer, diagram, end_event, flow, script_task, start_event, user_task

    with sessions.begin() as session:
        session.add(
            User(
                username="ops_supervisor",
                display_name="ops",
                password_hash="!",
                active=True,
                created_at=clock.now(),
                roles=[UserRole(role="supervisor"), UserRole(role="operations")],
            )
        )
    xml = diagram(
        start_event(),
        user_task("handle", groups="${department}", name="调查处理"),
        end_event(),
        boundary_timer("deadline", "handle", "timeDuration", "PT1H"),
        script_task("chase", "late = True"),
        end_event("end_chase"),
        flow("start", "handle"),
        flow("handle", "end"),
        flow("deadline", "chase"),
        flow("chase", "end_chase"),
        user_task("intake", fields='<camunda:formField id="department" label="d" type="string"/>'),
        key="dept",
    )
    xml = xml.replace(
        b'<bpmn:sequenceFlow id="flow_start_handle" sourceRef="start" targetRef="handle">',
        b'<bpmn:sequenceFlow id="flow_start_intake" sourceRef="start" targetRef="intake"></bpmn:sequenceFlow>'
        b'<bpmn:sequenceFlow id="flow_intake_handle" sourceRef="intake" targetRef="handle">',
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "dept.bpmn", "test")
    for department in ("operations", "billing"):
        with sessions.begin() as session:
            start_case(session, runtime, "dept", OPERATOR, {"department": department})
    clock.advance(timedelta(hours=2))
    assert fire_due_timers(runtime, sessions, "w") == 2
    with sessions() as session:
        rows = session.execute(
            select(Notification.recipient, Notification.kind, Notification.message).order_by(Notification.id)
        ).all()
    assert [(r, k) for r, k, _m in rows] == [
        ("ops_supervisor", "chase"),
        ("ops_supervisor", "chase"),
        ("sup1", "chase"),
    ]
    assert rows[0][2].startswith("督办：工单 DE-20261123-0001「调查处理」已超过时限（2026-11-23 10:00）")
