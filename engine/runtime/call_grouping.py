"""How calls are grouped: the window in which open cases are proposed as duplicates of a new call,
and when calls from one building make a group alert (群体性诉求)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class CallGrouping:
    # Open cases opened this long before a call are proposed as its likely duplicates.
    duplicate_window: timedelta = timedelta(hours=72)
    # This many calls from one building within `alert_window` alert supervisors and operations.
    alert_calls: int = 5
    alert_window: timedelta = timedelta(hours=2)
