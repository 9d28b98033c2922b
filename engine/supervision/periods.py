"""The periods the supervision rules report on, in the hotline's time zone (Asia/Shanghai by default).

- **Week** (M1, M2): Monday 00:00 to the next Monday 00:00. The weekly report is made on Monday for
  the week that has just ended; so is the weekly callback sample.
- **Month** (M3, 003 art.22): from the **26th** of one month 00:00 to the 26th of the next month
  00:00, i.e. the 26th of last month to the 25th of this month, both days included. It is named
  after the month it ends in: the period 2026-12-26 … 2027-01-25 is "2027-01". The monthly report is
  made on the 25th itself (003 art.18: the 12345 platform wants it that day), at the hour the settings
  give, and counts the cases received from the previous report's cut-off to its own, not the period's
  whole days (engine.supervision.reports.store.summary_span); the KPI and assessment pages count whole days.
- **Custom** (M4 KPIs): any run of whole days the supervisor picks, first and last day included.

A period is a run of calendar days: holidays (the Spring Festival, National Day) and make-up working
days change nothing about where it starts or ends; `working_days` tells how many working days of the
official calendar it holds, which reports show beside the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.calendar import is_working_day

MONTH_START_DAY = 26  # M3: the 26th of last month …
MONTH_END_DAY = 25  # … to the 25th of this month


@dataclass(frozen=True)
class Period:
    """Whole local days from `first` to `last`, both included."""

    kind: str  # week, month or custom
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period cannot end ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """'2026-W48' for a week (ISO week number), '2027-01' for the month period ending in January."""
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.last.year}-{self.last.month:02d}"
        return f"{self.first.isoformat()}…{self.last.isoformat()}"

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: 00:00 of the first day to 00:00 after the last day, local."""
        start = datetime.combine(self.first, time(0), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone)
        return start, end

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        start, end = self.bounds(zone)
        return start <= moment < end

    @property
    def working_days(self) -> int:
        """Working days of the official calendar in the period (holidays skipped, make-up days counted)."""
        return sum(1 for i in range(self.days) if is_working_day(self.first + timedelta(days=i)))

    def previous(self) -> Period:
        if self.kind == "week":
            return week_of(self.first - timedelta(days=1))
        if self.kind == "month":
            return month_period_of(self.first - timedelta(days=1))
        return Period("custom", self.first - timedelta(days=self.days), self.first - timedelta(days=1))


def week_of(day: date) -> Period:
    """The Monday-to-Sunday week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def last_week(today: date) -> Period:
    """The week before the one holding `today`: what Monday's weekly report and sample cover (M1, M2)."""
    return week_of(today).previous()


def _add_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_period_of(day: date) -> Period:
    """The 26th-to-25th period holding `day` (M3): the 26th of a month starts the next period."""
    if day.day >= MONTH_START_DAY:
        start_year, start_month = day.year, day.month
    else:
        start_year, start_month = _add_month(day.year, day.month, -1)
    end_year, end_month = _add_month(start_year, start_month, 1)
    return Period(
        "month", date(start_year, start_month, MONTH_START_DAY), date(end_year, end_month, MONTH_END_DAY)
    )


def month_period_ending_in(year: int, month: int) -> Period:
    """The period named 'year-month': the 26th of the month before to the 25th of this one."""
    return month_period_of(date(year, month, MONTH_END_DAY))


def last_month_period(today: date) -> Period:
    """The latest period that has ended by `today`: on the 26th it is the one ending yesterday."""
    return month_period_of(today).previous()


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def period_of_kind(kind: str, day: date) -> Period:
    """The week or month period holding `day`."""
    if kind == "week":
        return week_of(day)
    if kind == "month":
        return month_period_of(day)
    raise ValueError(f"unknown period kind '{kind}'")


def parse_period(kind: str, first: str) -> Period:
    """The week or month period whose first day is `first` (ISO date), as report URLs and the CLI give it."""
    day = date.fromisoformat(first)
    period = period_of_kind(kind, day)
    if period.first != day:
        raise ValueError(f"{first} does not start a {kind} period (that period starts {period.first})")
    return period
