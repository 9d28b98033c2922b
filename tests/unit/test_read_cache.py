"""The runtime's read cache of the live webhook subscriptions: kept with the database's stamp of them,
used only while a unit of work reads the same stamp; cleared at once by a change made in this process."""

from __future__ import annotations

from engine.runtime import ReadCache


def test_a_value_is_used_while_the_stamp_is_the_same_and_read_again_when_it_changed() -> None:
    cache = ReadCache()
    assert cache.get(3) is None
    cache.put(3, ())
    assert cache.get(3) == ()  # an empty list of subscriptions is a value, not a miss
    assert cache.get(4) is None  # a subscription or a client changed meanwhile, somewhere
    assert cache.get(2) is None


def test_clearing_forgets_the_value_at_once() -> None:
    cache = ReadCache()
    cache.put(1, ((1, "https://x.example", "case.opened", None),))
    cache.clear()
    assert cache.get(1) is None
