"""engine.clock: time comes from an injected clock; the settable clock stands still until moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.clock import SettableClock, SystemClock


def test_system_clock_gives_aware_utc_now() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_settable_clock_stands_still_until_moved() -> None:
    clock = SettableClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_settable_clock_default_start_is_monday_morning_in_shanghai() -> None:
    assert SettableClock().now() == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_settable_clock_normalises_other_zones_to_utc() -> None:
    shanghai_nine = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    clock = SettableClock(shanghai_nine)
    assert clock.now() == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    clock.set(datetime(2026, 11, 24, 0, 30, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_advance_moves_and_returns_the_new_time() -> None:
    clock = SettableClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    assert clock.advance(timedelta(minutes=3)) == datetime(2026, 11, 23, 1, 3, tzinfo=UTC)
    assert clock.now() == datetime(2026, 11, 23, 1, 3, tzinfo=UTC)


@pytest.mark.parametrize("action", ["start", "set"])
def test_naive_times_are_refused(action: str) -> None:
    naive = datetime(2026, 11, 23, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        if action == "start":
            SettableClock(naive)
        else:
            SettableClock().set(naive)
