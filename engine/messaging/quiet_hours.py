"""Customers' quiet hours: no SMS at night except an outage or a restoration; the rest waits till morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# Told at once whatever the hour: the water or heat stops, or is back.
URGENT_KINDS = frozenset({"outage", "restoration"})


def in_quiet_hours(local: time, quiet_from: time, quiet_until: time) -> bool:
    if quiet_from <= quiet_until:
        return quiet_from <= local < quiet_until
    return local >= quiet_from or local < quiet_until


def held_until(now: datetime, zone: ZoneInfo, quiet_from: time, quiet_until: time) -> datetime | None:
    """The end of the quiet hours `now` falls in (a UTC moment), or None outside them."""
    local = now.astimezone(zone)
    if not in_quiet_hours(local.time(), quiet_from, quiet_until):
        return None
    morning = datetime.combine(local.date(), quiet_until, tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), quiet_until, tzinfo=zone)
    return morning.astimezone(now.tzinfo)


def customer_sms_not_before(
    kind: str, now: datetime, zone: ZoneInfo, quiet_from: time, quiet_until: time
) -> datetime | None:
    return None if kind in URGENT_KINDS else held_until(now, zone, quiet_from, quiet_until)
