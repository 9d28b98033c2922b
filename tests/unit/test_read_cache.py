"""The runtime's read cache of the live webhook subscriptions: kept for its time to live on the
monotonic clock, then read again; cleared at once by a change made in the same process."""

from __future__ import annotations

from engine.runtime import ReadCache


def test_a_value_is_kept_for_its_time_to_live_then_read_again() -> None:
    now = [100.0]
    cache = ReadCache(ttl=30.0, monotonic=lambda: now[0])
    assert cache.get() is None
    cache.put(())
    assert cache.get() == ()  # an empty list of subscriptions is a value, not a miss
    now[0] += 30.0
    assert cache.get() == ()
    now[0] += 0.5
    assert cache.get() is None


def test_clearing_forgets_the_value_at_once() -> None:
    cache = ReadCache(ttl=30.0, monotonic=lambda: 0.0)
    cache.put(((1, "https://x.example", "case.opened", None),))
    cache.clear()
    assert cache.get() is None
