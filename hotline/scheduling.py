"""APScheduler jobs: firing due timers, each timer in its own transaction; and the supervision duties
that fall due on the calendar — the weekly report and callback sample every Monday morning (M1, M2)
and the monthly report on the 26th (M3)."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.due_timers import claim_due_timers, fire_claimed_timer, record_incident, release_claim
from engine.errors import Conflict
from engine.runtime import Runtime
from engine.supervision.handover import ShiftSettings, prepare_due_handover
from engine.supervision.reports.store import generate_due_reports
from engine.supervision.sampling import draw_weekly_sample, latest_due_week
from engine.work.attachments import sweep_orphans

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def fire_due_timers(
    engine: Runtime, factory: sessionmaker[Session], worker: str | None = None, batch: int = 20
) -> int:
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


def _fire_one(engine: Runtime, factory: sessionmaker[Session], timer_id: int, worker: str) -> int:
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


def run_supervision_duties(
    engine: Runtime, factory: sessionmaker[Session], actor: str = "scheduler"
) -> list[str]:
    """Make the reports that are due and missing (M2 on Monday 07:00, M3 on the 26th 07:00) and draw
    last week's callback sample (M1, Monday 07:00), each in its own transaction.

    Safe to run often and from several worker processes at once: there is one report per period and one
    draw per week (unique constraints), so a second run finds them made and does nothing. Returns what
    was made."""
    made = []
    with factory.begin() as session:
        for report in generate_due_reports(session, engine, actor):
            made.append(f"{report.kind} report {report.period_start}…{report.period_end}")
    with factory.begin() as session:
        result = draw_weekly_sample(session, engine, latest_due_week(engine.clock.now(), engine.zone), actor)
        if result.created:
            made.append(
                f"callback sample {result.sample.week_start}: {result.sample.sample_size} of "
                f"{result.sample.population_size}"
            )
    for line in made:
        log.info("made %s", line)
    return made


def _run_duties_logged(engine: Runtime, factory: sessionmaker[Session]) -> None:
    try:
        run_supervision_duties(engine, factory)
    except Exception as err:  # noqa: BLE001 - logged; the next round tries again
        log.warning("supervision duties failed: %s: %s", type(err).__name__, err)


def _add_timer_job(
    scheduler: BaseScheduler, engine: Runtime, factory: sessionmaker[Session], interval: float
) -> None:
    # The first round runs at once: timers that fell due while nothing ran fire at start.
    scheduler.add_job(
        fire_due_timers,
        "interval",
        seconds=interval,
        args=(engine, factory),
        id="fire_due_timers",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def _add_duties_job(
    scheduler: BaseScheduler, engine: Runtime, factory: sessionmaker[Session], duties_interval: float = 300.0
) -> None:
    # Reports and samples: checked every few minutes, so they are made on time (and, after a stop, as
    # soon as a scheduler runs again); made once whatever the number of workers.
    scheduler.add_job(
        _run_duties_logged,
        "interval",
        seconds=duties_interval,
        args=(engine, factory),
        id="supervision_duties",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def prepare_handover(engine: Runtime, factory: sessionmaker[Session], shifts: ShiftSettings) -> None:
    """M7: the handover record of the latest shift change, prepared once whichever worker gets there first."""
    with factory.begin() as session:
        prepare_due_handover(session, engine.clock.now(), shifts)


def _add_handover_job(
    scheduler: BaseScheduler, engine: Runtime, factory: sessionmaker[Session], shifts: ShiftSettings
) -> None:
    scheduler.add_job(
        prepare_handover,
        "interval",
        seconds=60,
        args=(engine, factory, shifts),
        id="prepare_handover",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def sweep_attachments(engine: Runtime, factory: sessionmaker[Session]) -> list[str]:
    """Delete attached files no case refers to, past the grace period (engine/attachments.py)."""
    if engine.attachment_folder is None:
        return []
    with factory() as session:
        removed = sweep_orphans(session, engine.attachment_folder, engine.clock.now())
    for path in removed:
        log.info("removed unreferenced attachment file %s", path)
    return [str(path) for path in removed]


def _sweep_logged(engine: Runtime, factory: sessionmaker[Session]) -> None:
    try:
        sweep_attachments(engine, factory)
    except Exception as err:  # noqa: BLE001 - logged; tomorrow's round tries again
        log.warning("attachment sweep failed: %s: %s", type(err).__name__, err)


def _add_sweep_job(scheduler: BaseScheduler, engine: Runtime, factory: sessionmaker[Session]) -> None:
    # Once a day; several workers sweeping the same folder only find each other's work done.
    scheduler.add_job(
        _sweep_logged,
        "interval",
        hours=24,
        args=(engine, factory),
        id="sweep_attachments",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def add_jobs(
    scheduler: BaseScheduler,
    engine: Runtime,
    factory: sessionmaker[Session],
    interval: float,
    shifts: ShiftSettings,
) -> None:
    """Everything a scheduler process does: fire timers, make reports and samples, prepare handovers, and
    (where the engine knows the attachment folder) sweep unreferenced attached files once a day."""
    _add_timer_job(scheduler, engine, factory, interval)
    _add_duties_job(scheduler, engine, factory)
    _add_handover_job(scheduler, engine, factory, shifts)
    if engine.attachment_folder is not None:
        _add_sweep_job(scheduler, engine, factory)


def start_background_scheduler(
    engine: Runtime, factory: sessionmaker[Session], shifts: ShiftSettings, interval: float = 5.0
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, engine, factory, interval, shifts)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(
    engine: Runtime, factory: sessionmaker[Session], shifts: ShiftSettings, interval: float
) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(scheduler, engine, factory, interval, shifts)
    scheduler.start()
