"""The scheduler's timer job keeps a timer's minute: between its scheduled runs it sleeps until the next
timer falls due and fires it then, instead of leaving it to the next run a polling interval later."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.due_timers import claim_due_timers, next_due_at
from engine.clock import SettableClock
from engine.db.models import Timer
from engine.runtime import Runtime
from hotline.scheduling import fire_timers_on_time
from tests.helpers import open_cases


class SleepOnTheClock:
    """Stands for time.sleep: sleeping moves the business clock on, and is recorded."""

    def __init__(self, clock: SettableClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


def test_a_timer_due_before_the_next_run_fires_at_its_due_time(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    open_cases(sessions, runtime, 1)
    with sessions() as session:
        due = session.scalars(select(Timer.due_at)).one()
    clock.set(due - timedelta(seconds=2))  # 2 s before it falls due; the job runs every 5 s
    sleep = SleepOnTheClock(clock)
    assert fire_timers_on_time(runtime, sessions, 5.0, "w", sleep=sleep) == 1
    assert sleep.slept == [2.0]  # one look at the next due time, one sleep until it
    with sessions() as session:
        timer = session.scalars(select(Timer)).one()
        assert (timer.status, timer.fired_at) == ("fired", due)  # not late at all


def test_a_timer_due_after_the_next_run_is_left_to_that_run(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    open_cases(sessions, runtime, 2)
    with sessions() as session:
        due = min(session.scalars(select(Timer.due_at)))
    clock.set(due - timedelta(seconds=30))
    sleep = SleepOnTheClock(clock)
    assert fire_timers_on_time(runtime, sessions, 5.0, "w", sleep=sleep) == 0
    assert sleep.slept == []  # returns at once; the next run is sooner than the timer
    clock.set(due)
    assert fire_timers_on_time(runtime, sessions, 5.0, "w", sleep=sleep) == 2


def test_the_next_due_time_skips_timers_held_by_a_lease_or_paused(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    open_cases(sessions, runtime, 3)
    now = clock.now()
    with sessions.begin() as session:
        for minutes, timer_id in enumerate(session.scalars(select(Timer.id).order_by(Timer.id)), 10):
            session.execute(
                update(Timer).where(Timer.id == timer_id).values(due_at=now + timedelta(minutes=minutes))
            )
    with sessions() as session:
        first, second, third = session.execute(select(Timer.id, Timer.due_at).order_by(Timer.id)).all()
        assert next_due_at(session, now) == first.due_at
    clock.set(first.due_at)
    with sessions.begin() as session:
        # the first is claimed by a worker (live lease), the second postponed after a database error
        assert claim_due_timers(session, "other", first.due_at, limit=1) == [first.id]
        session.execute(
            update(Timer).where(Timer.id == second.id).values(not_before=now + timedelta(hours=1))
        )
    with sessions() as session:
        assert next_due_at(session, now) == third.due_at
        session.execute(update(Timer).values(status="fired", fired_at=now))
        assert next_due_at(session, now) is None


def test_the_scheduler_runs_the_timer_job_every_interval(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from engine.supervision import ShiftSettings, parse_shift_changes
    from hotline.scheduling import add_jobs

    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, runtime, sessions, 5.0, ShiftSettings(parse_shift_changes("08:00"), ZoneInfo("UTC")))
    job = scheduler.get_job("fire_due_timers")
    assert job is not None
    assert (job.func, job.args[2], job.trigger.interval.total_seconds()) == (fire_timers_on_time, 5.0, 5.0)
