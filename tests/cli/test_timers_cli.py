"""`hotline timers` says that a timer postponed after transient database errors is retrying (issue 14)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from engine.cases.due_timers import postpone_timer
from engine.clock import SystemClock
from engine.db.models import Timer
from hotline.cli import main
from hotline.settings import DEFAULT_TIME_ZONE
from tests.cli.conftest import Demo


def test_a_postponed_timer_is_listed_as_retrying_with_its_next_try_and_last_error(demo: Demo) -> None:
    now = SystemClock().now()
    with Session(create_engine(demo.url)) as session:
        timer = session.scalars(select(Timer).where(Timer.status == "waiting").order_by(Timer.id)).first()
        assert timer is not None
        timer.due_at = now - timedelta(minutes=2)
        postpone_timer(
            session, timer.id, "w", now - timedelta(minutes=1), "OperationalError: database is locked"
        )
        postpone_timer(
            session, timer.id, "w", now - timedelta(seconds=30), "OperationalError: database is locked"
        )
        timer_id, not_before = timer.id, timer.not_before
        session.commit()
    assert not_before is not None

    result = CliRunner().invoke(main, ["timers"])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip().startswith(f"#{timer_id} ")]
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    last = (now - timedelta(seconds=30)).astimezone(zone).strftime("%H:%M:%S")
    assert (
        f"retrying (2), next try at {not_before.astimezone(zone):%Y-%m-%d %H:%M:%S}, "
        f"last error {last}: OperationalError: database is locked"
    ) in line
    assert result.output.index(line) < result.output.index("failed (")  # listed among the overdue
