"""APScheduler jobs that fire due timers, each timer in its own transaction."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import EngineError
from engine.runner import due_timer_ids, fire_timer
from engine.runtime import Engine

log = logging.getLogger(__name__)


def fire_due_timers(engine: Engine, factory: sessionmaker[Session]) -> int:
    with factory() as session:
        ids = due_timer_ids(session, engine.clock.now())
    fired = 0
    for timer_id in ids:
        try:
            with factory.begin() as session:
                if fire_timer(session, engine, timer_id) is not None:
                    fired += 1
        except EngineError as err:
            log.warning("timer %s failed: %s", timer_id, err)
    if fired:
        log.info("fired %d due timer(s)", fired)
    return fired


def start_background_scheduler(engine: Engine, factory: sessionmaker[Session], interval: float = 5.0) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(fire_due_timers, "interval", seconds=interval, args=(engine, factory),
                      id="fire_due_timers", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(engine: Engine, factory: sessionmaker[Session], interval: float) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(fire_due_timers, "interval", seconds=interval, args=(engine, factory),
                      id="fire_due_timers", max_instances=1, coalesce=True)
    scheduler.start()
