"""A booted process takes what it built out of the collector's full passes, after collecting its garbage."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from hotline.boot_heap import freeze_boot_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_freezing_collects_the_boot_garbage_first_then_freezes_what_lives(unfrozen: None) -> None:
    kept = _Node()
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    gc.disable()  # nothing but freeze_boot_heap may collect here
    try:
        freeze_boot_heap()
    finally:
        gc.enable()
    assert gone() is None, "a cycle left from boot was frozen instead of freed"
    assert gc.get_freeze_count() > 0
    assert kept.me is kept
    assert not any(o is kept for o in gc.get_objects())  # frozen objects leave the generations
