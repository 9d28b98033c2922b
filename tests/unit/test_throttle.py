"""A sender's throttle: at most so many sends a second through a channel, its threads together."""

from __future__ import annotations

import pytest

from engine.messaging import Throttle


def test_sends_are_spaced_by_the_rate_and_a_late_caller_does_not_wait() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    throttle = Throttle(4, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(3):
        throttle.wait()
    assert slept == [0.25, 0.25]
    now[0] += 10
    throttle.wait()
    assert slept == [0.25, 0.25]


def test_no_rate_means_no_wait() -> None:
    throttle = Throttle(0, sleep=lambda s: pytest.fail("slept"), monotonic=lambda: 0.0)
    throttle.wait()
    throttle.wait()
