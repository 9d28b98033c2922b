"""The business calendar: official Chinese working days (holidays and make-up working days), the
heating season (S1), office hours and the heating season's 24-hour duty, and the deadlines built on
them that a diagram's timers may use (`working_days(2)`, `end_of_working_day()`).

Working days come from the `chinese-calendar` package, which follows the State Council's yearly
holiday notice. For a year the package does not know yet, Monday to Friday are working days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

# S1: heating from 15 November to 15 March (inclusive).
HEATING_SEASON_START = (11, 15)
HEATING_SEASON_END = (3, 15)


# A day's answer depends on the day and on chinese_calendar's tables alone (never on the clock), and the
# package reads its whole table for each answer: each day is asked once per process. Nothing in the
# engine edits those tables; whoever changes them at run time (a year's notice published before the
# package knows it) calls `forget_working_days` after.
@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the official notice has not been published for
        return day.weekday() < 5


def forget_working_days() -> None:
    """Ask chinese_calendar again: its tables were changed while the engine runs."""
    is_working_day.cache_clear()
    _office_hours.cache_clear()


@lru_cache(maxsize=4096)
def _office_hours(day: date, opens: time, closes: time, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if not is_working_day(day):
        return None
    return datetime.combine(day, opens, zone), datetime.combine(day, closes, zone)


def in_heating_season(day: date) -> bool:
    month_day = (day.month, day.day)
    return month_day >= HEATING_SEASON_START or month_day <= HEATING_SEASON_END


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    office_opens: time = time(8, 30)
    office_closes: time = time(17, 30)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        following = day + timedelta(days=1)
        while not is_working_day(following):
            following += timedelta(days=1)
        return following

    def closing_time(self, day: date) -> datetime:
        return datetime.combine(day, self.office_closes, self.zone)

    def working_days_after(self, moment: datetime, count: int) -> datetime:
        """Office closing time of the `count`-th working day after the day of `moment` (S2: '2 working
        days' from an acceptance on Friday is Tuesday's closing time, holidays skipped, make-up days counted)."""
        if count < 1:
            raise ValueError("count working days from 1")
        day = self.local(moment).date()
        for _ in range(count):
            day = self.next_working_day(day)
        return self.closing_time(day)

    def end_of_working_day(self, moment: datetime) -> datetime:
        """Closing time today if today is a working day and the office is still open, else the next
        working day's closing time."""
        local = self.local(moment)
        if is_working_day(local.date()) and local.timetz().replace(tzinfo=None) < self.office_closes:
            return self.closing_time(local.date())
        return self.closing_time(self.next_working_day(local.date()))

    def is_on_duty(self, moment: datetime) -> bool:
        """Is the hotline staffed? Round the clock in the heating season (S1), else office hours on
        working days."""
        local = self.local(moment)
        if in_heating_season(local.date()):
            return True
        clock_time = local.timetz().replace(tzinfo=None)
        return is_working_day(local.date()) and self.office_opens <= clock_time < self.office_closes

    def _office_hours(self, day: date) -> tuple[datetime, datetime] | None:
        return _office_hours(day, self.office_opens, self.office_closes, self.zone)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office hours on working days between two moments (zero when `end` is not after `start`)."""
        total = timedelta()
        day = self.local(start).date()
        while end > start and day <= self.local(end).date():
            hours = self._office_hours(day)
            if hours is not None:
                opens, closes = max(hours[0], start), min(hours[1], end)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total

    def add_working_time(self, moment: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of office hours on working days after `moment` (graded deadlines count
        their escalation hours, and a paused task its pause, in working time)."""
        left, day = amount, self.local(moment).date()
        if left <= timedelta():
            return moment
        for _ in range(3660):  # ten years of days: a bound, not a limit anyone reaches
            hours = self._office_hours(day)
            if hours is not None:
                opens = max(hours[0], moment)
                if hours[1] > opens:
                    if opens + left <= hours[1]:
                        return opens + left
                    left -= hours[1] - opens
            day += timedelta(days=1)
        raise ValueError("working time too long to place on the calendar")
