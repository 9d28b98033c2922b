"""The system's own health, for a load balancer and an operator: is the database reachable, is its schema
at the newest migration, has a timer worker made its round within the last minute.

Timer workers record a heartbeat (their name and the time) each round; nothing here names a person or
a case, so the answer may be given to anyone who asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.db import WorkerHeartbeat, migrations_behind
from engine.unit_of_work import UnitOfWork

# A worker rounds every few seconds (hotline worker --interval, 5 s by default): a minute without one
# means no worker runs, or it hangs.
WORKER_SILENCE = timedelta(minutes=1)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


@dataclass(frozen=True)
class Health:
    checks: dict[str, Check]

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks.values())

    @property
    def problems(self) -> list[str]:
        return [f"{name}: {check.detail}" for name, check in self.checks.items() if not check.ok]

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.healthy else "failing",
            "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in self.checks.items()},
        }


def record_worker_heartbeat(session: Session, worker: str, now: datetime) -> None:
    """Say that `worker` made its round at `now` (one row per worker, updated in place)."""
    row = session.get(WorkerHeartbeat, worker)
    if row is None:
        session.add(WorkerHeartbeat(worker=worker, seen_at=now))
    else:
        row.seen_at = now


def last_worker_round(session: Session) -> datetime | None:
    seen: datetime | None = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return seen


def worker_check(session: Session, now: datetime) -> Check:
    seen = last_worker_round(session)
    if seen is None:
        return Check(False, "no timer worker has run")
    ago = int((now - seen).total_seconds())
    if now - seen > WORKER_SILENCE:
        return Check(False, f"no timer worker seen for {ago} s")
    return Check(True, f"a timer worker was seen {max(ago, 0)} s ago")


def check_health(open_unit: Callable[[], UnitOfWork]) -> Health:
    """The three checks, in one read-only unit; a database that cannot be reached fails them all."""
    try:
        with open_unit() as uow:
            uow.session.execute(text("SELECT 1"))
            behind = migrations_behind(uow.session.connection())
            migrations = (
                Check(True, "the schema is current")
                if not behind
                else Check(
                    False, f"the schema lacks migrations up to {', '.join(behind)}: run hotline init-db"
                )
            )
            if behind:
                # The heartbeat table may not exist yet on an old schema.
                return Health(
                    {
                        "database": Check(True, "reachable"),
                        "migrations": migrations,
                        "worker": Check(False, "unknown until the schema is current"),
                    }
                )
            worker = worker_check(uow.session, uow.clock.now())
    except SQLAlchemyError as err:
        reason = f"unreachable ({type(err).__name__})"
        unknown = Check(False, "unknown: the database is unreachable")
        return Health({"database": Check(False, reason), "migrations": unknown, "worker": unknown})
    return Health({"database": Check(True, "reachable"), "migrations": migrations, "worker": worker})
