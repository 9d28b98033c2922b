"""APScheduler jobs: firing due timers, in groups of one unit of work each; sending the outbox's SMS and
e-mail (where a gateway is configured); and the supervision duties
that fall due on the calendar — the weekly report and callback sample every Monday morning (M1, M2),
the monthly report on the 26th (M3), the handover record at each shift change (M7), a daily sweep
of attached files no case refers to, and every 15 minutes the deletion of ended sign-in sessions.

The jobs are thin: each opens units of work on the runtime and session factory the composition root
built (hotline.bootstrap) and calls the use case in the engine (engine.cases.due_timers,
engine.supervision.duties).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import deadline_steps, due_timers
from engine.messaging import Gateway, Round, Throttle, WebhookGateway, send_due_messages
from engine.people import SessionLimits, delete_ended_sessions
from engine.runtime import Runtime
from engine.supervision import (
    ShiftSettings,
    prepare_handover_record,
    record_worker_heartbeat,
    run_due_duties,
    sweep_attachment_files,
)
from engine.unit_of_work import UnitOfWork
from engine.work import PlatformGateway
from hotline.settings import Settings

log = logging.getLogger(__name__)
BATCH = 20  # timers a worker claims at a time
END_MARGIN = 0.2  # seconds
IDLE_PAUSE = 0.05  # seconds before a round that follows one which fired nothing though a timer was due
# On PostgreSQL, threads of one worker that fire side by side once more timers are due than one batch.
FIRING_THREADS = 2
# On PostgreSQL, threads of one worker sending the outbox side by side.
SENDING_THREADS = 4


@dataclass(frozen=True)
class OutboxJob:
    """What the outbox job sends through: a gateway per channel, their rates, seconds between rounds."""

    gateways: Mapping[str, Gateway]
    throttles: Mapping[str, Throttle] = field(default_factory=dict)
    interval: float = 2.0


def outbox_job(settings: Settings) -> OutboxJob:
    outbox = settings.outbox
    return OutboxJob(outbox.gateways(), outbox.throttles(), outbox.interval)


def outside_gateways(units: Callable[[], UnitOfWork]) -> dict[str, Gateway]:
    """The channels to other programs, which read their addresses from the database: webhooks and the
    replies to the platforms that forward cases."""
    return {"webhook": WebhookGateway(units), "platform": PlatformGateway(units)}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _units(engine: Runtime, factory: sessionmaker[Session]) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(factory, engine)


def fire_due_timers(
    engine: Runtime,
    factory: sessionmaker[Session],
    worker: str | None = None,
    batch: int = BATCH,
    threads: int | None = None,
) -> int:
    """One scheduler round (engine.cases.due_timers.fire_due_timers). Returns how many fired.

    When a claim comes back full (a backlog: a burst of deadlines, a restart after a stop), helper
    threads join the round, up to `threads` in all (default: FIRING_THREADS on PostgreSQL, one on
    SQLite, which has one writer at a time), each claiming and firing its own timers on its own
    connection under its own name: while one waits for the database, another works."""
    name = worker or worker_name()
    units = _units(engine, factory)
    helpers = (threads if threads is not None else _firing_threads(factory)) - 1
    if helpers <= 0:
        fired = due_timers.fire_due_timers(units, name, batch)
    else:
        with ThreadPoolExecutor(helpers, thread_name_prefix="timer-firing") as pool:
            joined: list[Future[int]] = []

            def call_helpers() -> None:
                if not joined:
                    joined.extend(
                        pool.submit(due_timers.fire_due_timers, units, f"{name}+{n}", batch)
                        for n in range(1, helpers + 1)
                    )

            fired = due_timers.fire_due_timers(units, name, batch, on_backlog=call_helpers)
            fired += sum(helper.result() for helper in joined)
    if fired:
        log.info("fired %d due timer(s)", fired)
    return fired


def _firing_threads(factory: sessionmaker[Session]) -> int:
    """Threads only where each gets a connection of its own from a pool and writers do not queue:
    PostgreSQL (not SQLite, nor sessions bound to one connection, as in the tests)."""
    bind = factory.kw.get("bind")
    return FIRING_THREADS if isinstance(bind, Engine) and bind.dialect.name == "postgresql" else 1


def record_heartbeat(engine: Runtime, factory: sessionmaker[Session], worker: str | None = None) -> None:
    """Say in the database that this worker makes its rounds (the health check looks for one)."""
    with UnitOfWork(factory, engine) as uow:
        record_worker_heartbeat(uow.session, worker or worker_name(), uow.clock.now())
        uow.commit()


def seconds_to_next_timer(engine: Runtime, factory: sessionmaker[Session]) -> float | None:
    """How long until the soonest timer this worker could take falls due (0 if one is due), or None."""
    with UnitOfWork(factory, engine, read_only=True) as uow:
        now = uow.clock.now()
        due = due_timers.next_due_at(uow.session, now)
    return None if due is None else max((due - now).total_seconds(), 0.0)


def fire_timers_on_time(
    engine: Runtime,
    factory: sessionmaker[Session],
    interval: float,
    worker: str | None = None,
    batch: int = BATCH,
    sleep: Callable[[float], None] = time.sleep,
    threads: int | None = None,
) -> int:
    """The timer job: rounds of fire_due_timers until the next scheduled run, `interval` seconds on.

    A round that finds work goes on at once (fire_due_timers claims again while its batches come back
    full). Between rounds the job looks up when the next timer falls due and, if that is before the next
    run, sleeps until then and fires it — so a timer fires moments after its due time, not up to a
    polling interval late, and an idle worker asks the database once per gap, not every few tenths of a
    second. Returns how many fired."""
    worker = worker or worker_name()
    record_heartbeat(engine, factory, worker)
    # Ends a little before the next run is due, so that run does not find this one still going.
    ends = time.monotonic() + interval - min(END_MARGIN, interval / 4)
    fired = 0
    while True:
        fired_now = fire_due_timers(engine, factory, worker, batch, threads)
        fired += fired_now
        left = ends - time.monotonic()
        if left <= 0:
            return fired
        wait = seconds_to_next_timer(engine, factory)
        if wait is None or wait >= left:
            return fired
        # A due timer the last round did not fire (its case was busy, a firing failed) is tried again
        # after a short pause rather than in a tight loop.
        sleep(max(wait, 0.0 if fired_now else IDLE_PAUSE))


def fire_deadline_steps(engine: Runtime, factory: sessionmaker[Session]) -> int:
    """Warn and chase at the graded deadlines' levels that fell due (engine.cases.deadline_steps)."""
    return deadline_steps.fire_due_steps(_units(engine, factory))


def run_supervision_duties(
    engine: Runtime, factory: sessionmaker[Session], actor: str = "scheduler"
) -> list[str]:
    """Make the reports that are due and missing and draw last week's callback sample, each in its own
    unit of work; made once whatever the number of workers. Returns what was made."""
    made = run_due_duties(_units(engine, factory), actor)
    for line in made:
        log.info("made %s", line)
    return made


def prepare_handover(engine: Runtime, factory: sessionmaker[Session], shifts: ShiftSettings) -> None:
    """M7: the handover record of the latest shift change, prepared once whichever worker gets there first."""
    with UnitOfWork(factory, engine) as uow:
        prepare_handover_record(uow, shifts)
        uow.commit()


def sweep_attachments(engine: Runtime, factory: sessionmaker[Session]) -> list[str]:
    """Delete attached files no case refers to, past the grace period."""
    if engine.attachment_folder is None:
        return []
    with UnitOfWork(factory, engine, read_only=True) as uow:
        removed = sweep_attachment_files(uow)
    for path in removed:
        log.info("removed unreferenced attachment file %s", path)
    return [str(path) for path in removed]


def delete_old_sessions(engine: Runtime, factory: sessionmaker[Session], limits: SessionLimits) -> int:
    """Delete sign-in sessions that can no longer sign anyone in (signed out, idle, past their lifetime)
    and failed sign-ins past their keeping time. Returns how many sessions went."""
    with UnitOfWork(factory, engine) as uow:
        deleted = delete_ended_sessions(uow.session, uow.clock, limits)
        uow.commit()
    if deleted:
        log.info("deleted %d ended sign-in session(s)", deleted)
    return deleted


def send_messages(
    engine: Runtime,
    factory: sessionmaker[Session],
    gateways: Mapping[str, Gateway],
    throttles: Mapping[str, Throttle] | None = None,
    worker: str | None = None,
    threads: int | None = None,
) -> Round:
    """The outbox job: send every due SMS and e-mail (engine.messaging.sending); every worker runs it,
    and their claims keep them from sending a message twice. On PostgreSQL, SENDING_THREADS threads of
    the worker send side by side under names of their own (`threads`: how many), so one message's
    commit and another's network call overlap; a throttle holds for all of them together."""
    name = worker or worker_name()
    units = _units(engine, factory)
    gateways = {**outside_gateways(units), **gateways}
    count = threads if threads is not None else (SENDING_THREADS if _firing_threads(factory) > 1 else 1)
    if count <= 1:
        done = send_due_messages(units, gateways, name, throttles=throttles)
    else:
        with ThreadPoolExecutor(count, thread_name_prefix="outbox") as pool:
            rounds = [
                pool.submit(
                    send_due_messages, units, gateways, f"{name}+{n}" if n else name, throttles=throttles
                )
                for n in range(count)
            ]
            done = sum((r.result() for r in rounds), Round())
    if done.sent or done.failed or done.retrying or done.settled:
        log.info(
            "outbox: %d sent, %d to retry, %d failed, %d left by a stopped sender settled",
            done.sent,
            done.retrying,
            done.failed,
            done.settled,
        )
    return done


def _logged(job: Callable[..., object], what: str) -> Callable[..., None]:
    def run(*args: object) -> None:
        try:
            job(*args)
        except Exception as err:  # noqa: BLE001 - logged; the next round tries again
            log.warning("%s failed: %s: %s", what, type(err).__name__, err)

    return run


def _add_job(
    scheduler: BaseScheduler,
    job: Callable[..., object],
    job_id: str,
    args: tuple[object, ...],
    **every: float,
) -> None:
    # The first round runs at once: timers that fell due while nothing ran fire at start, and reports,
    # samples and handovers missed during a stop are made as soon as a scheduler runs. APScheduler keeps
    # its rounds on the system time (a business clock set in the past would make it skip this round as
    # missed); what is due is still decided on the engine's clock.
    scheduler.add_job(
        job,
        "interval",
        args=args,
        id=job_id,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
        **every,
    )


def add_jobs(
    scheduler: BaseScheduler,
    engine: Runtime,
    factory: sessionmaker[Session],
    interval: float,
    shifts: ShiftSettings,
    duties_interval: float = 300.0,
    session_limits: SessionLimits | None = None,
    outbox: OutboxJob | None = None,
) -> None:
    """Everything a scheduler process does: fire timers, make reports and samples, prepare handovers, and
    (where the runtime knows the attachment folder) sweep unreferenced attached files once a day."""
    # Each run lasts until the next one is due, firing every timer as it falls due (fire_timers_on_time).
    _add_job(scheduler, fire_timers_on_time, "fire_due_timers", (engine, factory, interval), seconds=interval)
    # Graded deadlines' warnings and escalations: due rows claimed by their index, as timers are.
    _add_job(
        scheduler,
        _logged(fire_deadline_steps, "graded deadlines"),
        "fire_deadline_steps",
        (engine, factory),
        seconds=max(interval, 5.0),
    )
    # Reports and samples: checked every few minutes, so they are made on time.
    _add_job(
        scheduler,
        _logged(run_supervision_duties, "supervision duties"),
        "supervision_duties",
        (engine, factory),
        seconds=duties_interval,
    )
    _add_job(scheduler, prepare_handover, "prepare_handover", (engine, factory, shifts), seconds=60)
    # Webhooks and platform replies need no setting: every worker with an outbox job sends.
    if outbox is not None:
        _add_job(
            scheduler,
            _logged(send_messages, "outbox"),
            "send_messages",
            (engine, factory, outbox.gateways, outbox.throttles),
            seconds=outbox.interval,
        )
    if engine.attachment_folder is not None:
        # Once a day; several workers sweeping the same folder only find each other's work done.
        _add_job(
            scheduler,
            _logged(sweep_attachments, "attachment sweep"),
            "sweep_attachments",
            (engine, factory),
            hours=24,
        )
    if session_limits is not None:
        # Sign-in sessions past their limits (they sign nobody in already) are deleted every 15 minutes.
        _add_job(
            scheduler,
            _logged(delete_old_sessions, "session clean-up"),
            "delete_old_sessions",
            (engine, factory, session_limits),
            minutes=15,
        )


def start_background_scheduler(
    engine: Runtime,
    factory: sessionmaker[Session],
    shifts: ShiftSettings,
    interval: float = 5.0,
    session_limits: SessionLimits | None = None,
    outbox: OutboxJob | None = None,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, engine, factory, interval, shifts, session_limits=session_limits, outbox=outbox)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(
    engine: Runtime,
    factory: sessionmaker[Session],
    shifts: ShiftSettings,
    interval: float,
    session_limits: SessionLimits | None = None,
    outbox: OutboxJob | None = None,
) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(scheduler, engine, factory, interval, shifts, session_limits=session_limits, outbox=outbox)
    scheduler.start()
