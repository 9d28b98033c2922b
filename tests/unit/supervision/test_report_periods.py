"""engine.supervision.periods: the week (Monday start, M1, M2) and the 26th-to-25th month (M3), at their edges:
the 25th/26th, Sunday/Monday, across a year end and across the Spring Festival."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from engine.supervision.periods import (
    Period,
    last_month_period,
    last_week,
    month_period_ending_in,
    month_period_of,
    parse_period,
    week_of,
)
from engine.supervision.reports.store import latest_due_period, next_due
from engine.supervision.sampling import latest_due_week

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 29)),  # a Monday starts its week
        (date(2026, 11, 29), date(2026, 11, 23), date(2026, 11, 29)),  # a Sunday ends it
        (date(2026, 11, 30), date(2026, 11, 30), date(2026, 12, 6)),
        (date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 3)),  # across the year end
        (date(2026, 2, 17), date(2026, 2, 16), date(2026, 2, 22)),  # Spring Festival 2026: a week of holidays
    ],
)
def test_a_week_runs_from_monday_to_sunday(day: date, first: date, last: date) -> None:
    """M2: the week starts on Monday, whatever the holidays."""
    week = week_of(day)
    assert (week.kind, week.first, week.last, week.days) == ("week", first, last, 7)
    assert week.first.weekday() == 0


def test_last_week_is_the_week_before_and_its_label_is_the_iso_week() -> None:
    """M2: the Monday report covers the previous Monday to Sunday; across a year end too."""
    assert last_week(date(2026, 11, 23)) == Period("week", date(2026, 11, 16), date(2026, 11, 22))
    assert last_week(date(2026, 11, 29)) == Period("week", date(2026, 11, 16), date(2026, 11, 22))
    assert last_week(date(2027, 1, 4)) == Period("week", date(2026, 12, 28), date(2027, 1, 3))
    assert last_week(date(2027, 1, 4)).label == "2026-W53"
    assert week_of(date(2027, 1, 4)).label == "2027-W01"


@pytest.mark.parametrize(
    ("day", "first", "last", "label"),
    [
        (date(2026, 11, 25), date(2026, 10, 26), date(2026, 11, 25), "2026-11"),  # the 25th ends a period
        (date(2026, 11, 26), date(2026, 11, 26), date(2026, 12, 25), "2026-12"),  # the 26th starts the next
        (date(2026, 12, 26), date(2026, 12, 26), date(2027, 1, 25), "2027-01"),  # across the year end
        (date(2027, 1, 1), date(2026, 12, 26), date(2027, 1, 25), "2027-01"),
        (date(2027, 1, 25), date(2026, 12, 26), date(2027, 1, 25), "2027-01"),
        (date(2026, 2, 17), date(2026, 1, 26), date(2026, 2, 25), "2026-02"),  # across the Spring Festival
        (date(2026, 3, 1), date(2026, 2, 26), date(2026, 3, 25), "2026-03"),  # a February with 28 days
    ],
)
def test_the_month_runs_from_the_26th_to_the_25th(day: date, first: date, last: date, label: str) -> None:
    """M3: statistics from the 26th of last month to the 25th of this month."""
    period = month_period_of(day)
    assert (period.kind, period.first, period.last, period.label) == ("month", first, last, label)
    assert month_period_ending_in(last.year, last.month) == period


def test_days_and_working_days_across_the_spring_festival() -> None:
    """The period is calendar days; the official calendar only says how many of them are working days:
    Spring Festival 2026 is 15-23 February, Saturday 14 and Saturday 28 February are make-up working days."""
    festival = month_period_of(date(2026, 2, 1))
    assert (festival.days, festival.working_days) == (31, 18)
    assert (week_of(date(2026, 2, 17)).days, week_of(date(2026, 2, 17)).working_days) == (7, 0)
    assert week_of(date(2026, 2, 10)).working_days == 6  # Monday to Saturday, the 14th made up
    year_end = month_period_of(date(2027, 1, 1))
    assert year_end.days == 31 and year_end.working_days > 0  # 2027 not yet published: Monday to Friday


def test_bounds_are_local_midnights() -> None:
    """A period is [00:00 of its first day, 00:00 after its last day) in Shanghai: 16:00 UTC the day before."""
    start, end = month_period_of(date(2027, 1, 1)).bounds(SHANGHAI)
    assert start.astimezone(UTC) == datetime(2026, 12, 25, 16, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 1, 25, 16, 0, tzinfo=UTC)
    period = month_period_of(date(2026, 11, 25))
    assert period.contains(datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC), SHANGHAI)  # 23:59:59 on the 25th
    assert not period.contains(datetime(2026, 11, 25, 16, 0, tzinfo=UTC), SHANGHAI)  # 00:00 on the 26th


def test_previous_periods() -> None:
    assert month_period_of(date(2027, 1, 10)).previous() == Period(
        "month", date(2026, 11, 26), date(2026, 12, 25)
    )
    assert last_month_period(date(2026, 11, 26)) == Period("month", date(2026, 10, 26), date(2026, 11, 25))
    assert last_month_period(date(2026, 11, 25)) == Period("month", date(2026, 9, 26), date(2026, 10, 25))
    assert Period("custom", date(2026, 11, 1), date(2026, 11, 10)).previous() == Period(
        "custom", date(2026, 10, 22), date(2026, 10, 31)
    )


def test_parse_period_takes_only_a_first_day() -> None:
    assert parse_period("week", "2026-11-23") == week_of(date(2026, 11, 23))
    assert parse_period("month", "2026-12-26").label == "2027-01"
    with pytest.raises(ValueError):
        parse_period("week", "2026-11-24")
    with pytest.raises(ValueError):
        parse_period("month", "2026-12-25")
    with pytest.raises(ValueError):
        Period("custom", date(2026, 11, 2), date(2026, 11, 1))


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_when_reports_and_samples_fall_due() -> None:
    """M2 and M1 on Monday 07:00 for last week; M3 on the 25th itself (003 art.18), at 16:00 by default,
    for the period ending that day."""
    assert latest_due_period("weekly", shanghai(2026, 11, 30, 6, 59), SHANGHAI).first == date(2026, 11, 16)
    assert latest_due_period("weekly", shanghai(2026, 11, 30, 7, 0), SHANGHAI).first == date(2026, 11, 23)
    assert latest_due_week(shanghai(2026, 11, 30, 7, 0), SHANGHAI).first == date(2026, 11, 23)
    assert latest_due_week(shanghai(2026, 11, 30, 6, 0), SHANGHAI).first == date(2026, 11, 16)
    assert latest_due_period("monthly", shanghai(2026, 12, 25, 15, 59), SHANGHAI).label == "2026-11"
    assert latest_due_period("monthly", shanghai(2026, 12, 25, 16, 0), SHANGHAI).label == "2026-12"
    assert latest_due_period("monthly", shanghai(2026, 12, 26, 0, 30), SHANGHAI).label == "2026-12"
    assert latest_due_period("monthly", shanghai(2027, 1, 26, 8, 0), SHANGHAI) == Period(
        "month", date(2026, 12, 26), date(2027, 1, 25)
    )
    assert next_due("weekly", shanghai(2026, 11, 30, 6, 0), SHANGHAI) == shanghai(2026, 11, 30, 7, 0)
    assert next_due("weekly", shanghai(2026, 11, 30, 7, 0), SHANGHAI) == shanghai(2026, 12, 7, 7, 0)
    assert next_due("monthly", shanghai(2026, 12, 25, 16, 0), SHANGHAI) == shanghai(2027, 1, 25, 16, 0)
    assert next_due("monthly", shanghai(2026, 12, 20, 7, 0), SHANGHAI) == shanghai(2026, 12, 25, 16, 0)
    # across the year end: the period ending on 2027-01-25 is due that day
    assert next_due("monthly", shanghai(2026, 12, 31, 7, 0), SHANGHAI) == shanghai(2027, 1, 25, 16, 0)


def test_the_monthly_summary_is_due_on_the_25th_even_a_sunday_at_the_hour_set() -> None:
    """003 art.18 says the 25th: 2026-10-25 and 2027-04-25 are Sundays and it is still due then, at the
    hour the settings give (HOTLINE_MONTHLY_REPORT_AT)."""
    assert date(2026, 10, 25).weekday() == 6
    assert latest_due_period("monthly", shanghai(2026, 10, 25, 15, 59), SHANGHAI).label == "2026-09"
    assert latest_due_period("monthly", shanghai(2026, 10, 25, 16, 0), SHANGHAI).label == "2026-10"
    assert next_due("monthly", shanghai(2026, 10, 24, 9, 0), SHANGHAI) == shanghai(2026, 10, 25, 16, 0)
    at_nine = time(9, 0)
    assert date(2027, 4, 25).weekday() == 6
    assert latest_due_period("monthly", shanghai(2027, 4, 25, 8, 59), SHANGHAI, at_nine).label == "2027-03"
    assert latest_due_period("monthly", shanghai(2027, 4, 25, 9, 0), SHANGHAI, at_nine).label == "2027-04"
    assert next_due("monthly", shanghai(2027, 4, 25, 9, 0), SHANGHAI, at_nine) == shanghai(2027, 5, 25, 9, 0)
