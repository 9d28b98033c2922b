"""`earliest`, the script function a forwarded case's deadline is computed with (U1): the earlier of the
platform's deadline and our own, a missing one aside."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from engine.bpmn.sandbox.functions import calendar_functions
from engine.clock import SettableClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_earlier_of_two_deadlines_and_none_left_aside_u1() -> None:
    earliest = calendar_functions(SettableClock(datetime(2026, 11, 23, 1, tzinfo=UTC)), SHANGHAI)["earliest"]
    own = "2026-11-23T23:59:59+08:00"
    assert earliest(own, "2026-11-23T18:00:00+08:00") == "2026-11-23T18:00:00+08:00"
    assert earliest(own, "2026-11-27T12:00:00+08:00") == own
    assert earliest(own, None) == own and earliest(own, "") == own
    assert earliest(None, None) is None
    # a time without an offset is local; the answer keeps the earlier value's own offset
    assert earliest("2026-11-23T12:00", "2026-11-23T05:00:00+00:00") == "2026-11-23T12:00:00+08:00"
