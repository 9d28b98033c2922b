"""APScheduler jobs that fire due timers, each timer in its own transaction."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import Conflict
from engine.handover import ShiftSettings, prepare_due_handover
from engine.runtime import Engine
from engine.timers import claim_due_timers, fire_claimed_timer, record_incident, release_claim

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def fire_due_timers(engine: Engine, factory: sessionmaker[Session], worker: str | None = None, batch: int = 20) -> int:
    """One scheduler round: claim due timers, fire each in its own transaction, keep failures as
    incidents. Returns how many fired."""
    worker = worker or worker_name()
    fired = 0
    while True:
        with factory.begin() as session:
            ids = claim_due_timers(session, worker, engine.clock.now(), batch)
        for timer_id in ids:
            fired += _fire_one(engine, factory, timer_id, worker)
        if len(ids) < batch:
            break
    if fired:
        log.info("fired %d due timer(s)", fired)
    return fired


def _fire_one(engine: Engine, factory: sessionmaker[Session], timer_id: int, worker: str) -> int:
    try:
        with factory.begin() as session:
            return 1 if fire_claimed_timer(session, engine, timer_id, worker) is not None else 0
    except Conflict:
        # The case changed under us (a person completed a step): the next round fires it from the new state.
        with factory.begin() as session:
            release_claim(session, timer_id, worker)
    except Exception as err:  # noqa: BLE001 - any failure becomes an incident; the other timers go on
        log.warning("timer %s failed: %s", timer_id, err)
        with factory.begin() as session:
            record_incident(session, timer_id, f"{type(err).__name__}: {err}", engine.clock.now())
    return 0


def _add_timer_job(scheduler: BaseScheduler, engine: Engine, factory: sessionmaker[Session], interval: float) -> None:
    # The first round runs at once: timers that fell due while nothing ran fire at start.
    scheduler.add_job(fire_due_timers, "interval", seconds=interval, args=(engine, factory),
                      id="fire_due_timers", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))


def prepare_handover(engine: Engine, factory: sessionmaker[Session], shifts: ShiftSettings) -> None:
    """M7: the handover record of the latest shift change, prepared once whichever worker gets there first."""
    with factory.begin() as session:
        prepare_due_handover(session, engine.clock.now(), shifts)


def _add_handover_job(scheduler: BaseScheduler, engine: Engine, factory: sessionmaker[Session],
                      shifts: ShiftSettings) -> None:
    scheduler.add_job(prepare_handover, "interval", seconds=60, args=(engine, factory, shifts),
                      id="prepare_handover", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))


def _add_jobs(scheduler: BaseScheduler, engine: Engine, factory: sessionmaker[Session], interval: float,
              shifts: ShiftSettings) -> None:
    _add_timer_job(scheduler, engine, factory, interval)
    _add_handover_job(scheduler, engine, factory, shifts)


def start_background_scheduler(engine: Engine, factory: sessionmaker[Session], shifts: ShiftSettings,
                               interval: float = 5.0) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, engine, factory, interval, shifts)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(engine: Engine, factory: sessionmaker[Session], shifts: ShiftSettings,
                           interval: float) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, engine, factory, interval, shifts)
    scheduler.start()
