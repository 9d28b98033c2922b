"""What a diagram's scripts may call: a short list of builtins, the calendar and formatting helpers,
and the reference data lookups. Every helper returns JSON values (dates as ISO text) so case data stays
JSON."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from engine.bpmn.form_fields import parse_local_datetime
from engine.bpmn.sandbox.checks import OFFERED_BUILTINS, ScriptRejected
from engine.calendar import BusinessCalendar, in_heating_season, is_working_day
from engine.clock import Clock

MAX_RANGE = 100_000

# A script's functions take whatever the script passes; their own signatures say what they accept.
ScriptFunction = Callable[..., Any]


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ScriptRejected(f"range() of more than {MAX_RANGE} items is not allowed")
    return result


SAFE_BUILTINS: dict[str, object] = {name: getattr(builtins, name) for name in OFFERED_BUILTINS}
SAFE_BUILTINS["range"] = _safe_range


def calendar_functions(clock: Clock, zone: ZoneInfo) -> dict[str, ScriptFunction]:
    """The date helpers a diagram may call. They return ISO strings so case data stays JSON."""

    def now() -> str:
        return clock.now().astimezone(zone).isoformat()

    def today() -> str:
        return clock.now().astimezone(zone).date().isoformat()

    def end_of_day(day: str | date | None = None) -> str:
        """23:59:59 local time of the given day (default: today): the same-day reply deadline."""
        if day is None:
            local_day = clock.now().astimezone(zone).date()
        elif isinstance(day, date):
            local_day = day if not isinstance(day, datetime) else day.date()
        else:
            local_day = date.fromisoformat(str(day)[:10])
        return datetime.combine(local_day, dtime(23, 59, 59), zone).isoformat()

    def add_hours(hours: float) -> str:
        return (clock.now().astimezone(zone) + timedelta(hours=hours)).isoformat()

    def add_minutes(minutes: float) -> str:
        return (clock.now().astimezone(zone) + timedelta(minutes=minutes)).isoformat()

    def hours_between(start: str, end: str) -> float:
        """Hours from one ISO time to another (negative when `end` is earlier)."""
        return (_moment(end, zone) - _moment(start, zone)).total_seconds() / 3600

    def earliest(*moments: str | datetime | None) -> str | None:
        """The earliest of the given times, those left empty aside (a forwarded case works to the
        earlier of the platform's deadline and its own, U1); None when all are empty."""
        given = [_moment(m, zone) for m in moments if m not in (None, "")]
        return min(given).isoformat() if given else None

    business = BusinessCalendar(zone)

    def _day(day: str | date | None) -> date:
        if day is None:
            return clock.now().astimezone(zone).date()
        return (
            day
            if isinstance(day, date) and not isinstance(day, datetime)
            else date.fromisoformat(str(day)[:10])
        )

    def working_days(count: int) -> str:
        """Closing time of the count-th working day after today (official calendar, S2)."""
        return business.working_days_after(clock.now(), int(count)).isoformat()

    def end_of_working_day() -> str:
        return business.end_of_working_day(clock.now()).isoformat()

    def working_day(day: str | date | None = None) -> bool:
        return is_working_day(_day(day))

    def heating_season(day: str | date | None = None) -> bool:
        return in_heating_season(_day(day))

    def on_duty() -> bool:
        return business.is_on_duty(clock.now())

    return {
        "now": now,
        "today": today,
        "end_of_day": end_of_day,
        "add_hours": add_hours,
        "add_minutes": add_minutes,
        "hours_between": hours_between,
        "earliest": earliest,
        "working_days": working_days,
        "end_of_working_day": end_of_working_day,
        "is_working_day": working_day,
        "in_heating_season": heating_season,
        "is_on_duty": on_duty,
    }


def _moment(value: str | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value
    return parse_local_datetime(str(value), zone)


# The reference data lookups scripts may call (R3's on-site minutes, a category's department, whether
# a case source is a platform to reply to and whether its platform takes the reply by API, U1). The
# dialect names them; the runtime hands in what answers them (engine.reference), so the sandbox reads
# no database itself.
LOOKUP_NAMES = ("onsite_minutes", "department_of", "from_upstream_platform", "platform_reply_by_api")


def script_functions(
    clock: Clock, zone: ZoneInfo, lookups: Mapping[str, ScriptFunction]
) -> dict[str, ScriptFunction]:
    """Everything a script may call: the calendar helpers and the reference data lookups."""
    missing = sorted(set(LOOKUP_NAMES) - set(lookups))
    if missing:
        raise ValueError(f"the script functions need lookups for {', '.join(missing)}")
    return {**calendar_functions(clock, zone), **{name: lookups[name] for name in LOOKUP_NAMES}}


class FixedClock:
    """The moment a call to a sandbox process was made: its calendar helpers answer with it, so a
    script sees the time the injected clock gave the caller (a test's fake clock included)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class _NamesOnlyClock:
    """Stands in where only the functions' names are wanted: none of them is called."""

    def now(self) -> datetime:
        return datetime(2000, 1, 1, tzinfo=UTC)


CALENDAR_NAMES = frozenset(calendar_functions(_NamesOnlyClock(), ZoneInfo("UTC")))

# Names case data may not take: the functions every script sees.
RESERVED_NAMES = (
    frozenset(calendar_functions(_NamesOnlyClock(), ZoneInfo("UTC")))
    | frozenset(LOOKUP_NAMES)
    | frozenset(SAFE_BUILTINS)
)
