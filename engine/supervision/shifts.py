"""The hotline's shifts: the local times at which one shift hands over to the next (M7).

The hotline is staffed in shifts (003 ch.6); the times come from HOTLINE_SHIFT_CHANGES, e.g.
"08:00,20:00" for two twelve-hour shifts, the default.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_SHIFT_CHANGES = "08:00,20:00"


def parse_shift_changes(text: str) -> tuple[time, ...]:
    """'08:00,20:00' -> (08:00, 20:00), sorted; a clear ValueError for anything else."""
    changes = []
    for part in text.split(","):
        part = part.strip()
        try:
            changes.append(time.fromisoformat(part))
        except ValueError:
            raise ValueError(f"shift change {part!r} is not a time of day like 08:00") from None
    if not changes or len(set(changes)) != len(changes):
        raise ValueError(f"shift changes {text!r}: give one or more different times, e.g. 08:00,20:00")
    return tuple(sorted(changes))


def _changes_on(day: date, changes: tuple[time, ...], zone: ZoneInfo) -> list[datetime]:
    return [datetime.combine(day, change, zone) for change in changes]


def latest_shift_change(now: datetime, changes: tuple[time, ...], zone: ZoneInfo) -> datetime:
    """The most recent shift change at or before `now`."""
    today = now.astimezone(zone).date()
    candidates = _changes_on(today - timedelta(days=1), changes, zone) + _changes_on(today, changes, zone)
    return max(moment for moment in candidates if moment <= now)


def shift_before(change: datetime, changes: tuple[time, ...], zone: ZoneInfo) -> datetime:
    """When the shift that ends at `change` began: the shift change before it."""
    return latest_shift_change(change - timedelta(microseconds=1), changes, zone)
