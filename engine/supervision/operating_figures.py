"""Figures an operator watches (read for /metrics at each scrape, so every web process reports the same
database): timers waiting, due and overdue, how late recent timers fired, incidents, open tasks by group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from engine.db import HumanTask, HumanTaskGroup, Timer

# A due timer still unfired after this long is overdue: the workers are behind, stopped, or failing.
OVERDUE_AFTER = timedelta(minutes=1)
# Timer lateness is measured over the timers fired this recently.
LATENESS_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class OperatingFigures:
    waiting_timers: int  # the queue: every timer not yet fired and not failed
    due_timers: int  # of those, due now
    overdue_timers: int  # due for longer than OVERDUE_AFTER
    incidents: int  # timers whose firing failed, waiting for a supervisor's retry
    timers_fired_recently: int
    worst_lateness_seconds: float  # of the timers fired within LATENESS_WINDOW; 0 when none
    open_tasks_by_group: dict[str, int]


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count(Timer.id)).where(*where)) or 0)


def operating_figures(session: Session, now: datetime) -> OperatingFigures:
    waiting = (Timer.fired_at.is_(None), Timer.status == "waiting")
    fired = session.execute(
        select(Timer.due_at, Timer.fired_at).where(Timer.fired_at >= now - LATENESS_WINDOW)
    ).all()
    lateness = [max((fired_at - due_at).total_seconds(), 0.0) for due_at, fired_at in fired if fired_at]
    groups = session.execute(
        select(HumanTaskGroup.group_name, func.count(HumanTask.id))
        .join(HumanTask, HumanTask.id == HumanTaskGroup.task_id)
        .where(HumanTask.status == "open")
        .group_by(HumanTaskGroup.group_name)
    ).all()
    return OperatingFigures(
        waiting_timers=_count(session, *waiting),
        due_timers=_count(session, *waiting, Timer.due_at <= now),
        overdue_timers=_count(session, *waiting, Timer.due_at <= now - OVERDUE_AFTER),
        incidents=_count(session, Timer.fired_at.is_(None), Timer.status == "failed"),
        timers_fired_recently=len(lateness),
        worst_lateness_seconds=max(lateness, default=0.0),
        open_tasks_by_group={name: int(count) for name, count in groups},
    )
