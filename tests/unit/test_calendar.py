"""The business calendar (S1, S2): official working days with holidays and make-up working days, the
heating season's edges, office hours and 24-hour duty, and the deadline functions diagrams call."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.bpmn.sandbox import calendar_functions
from engine.calendar import BusinessCalendar, forget_working_days, in_heating_season, is_working_day
from engine.clock import SettableClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = BusinessCalendar(SHANGHAI)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # Saturday, a make-up working day
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 23), False),  # last day of the holiday, a Monday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 9, 20), True),  # Sunday, make-up working day before National Day
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2026, 10, 11), False),
        (date(2030, 7, 6), False),  # a year without an official notice yet: Monday to Friday
        (date(2030, 7, 8), True),
    ],
)
def test_official_working_days_s2(day: date, working: bool) -> None:
    """S2: working days follow the official Chinese calendar, make-up working days included."""
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (local(2026, 11, 20), local(2026, 11, 24, 17, 30)),  # Friday -> Tuesday
        (local(2026, 2, 13), local(2026, 2, 24, 17, 30)),  # Sat 14th counts, then the Spring Festival
        (local(2026, 9, 30, 16), local(2026, 10, 9, 17, 30)),  # over National Day
        (local(2026, 10, 9, 23, 50), local(2026, 10, 12, 17, 30)),  # make-up Saturday 10th counts
    ],
)
def test_two_working_days_skip_holidays_and_count_make_up_days_s2(accepted: datetime, due: datetime) -> None:
    """S2: a new connection accepted then gets heat by the closing time of the second working day after."""
    assert CALENDAR.working_days_after(accepted, 2) == due


@pytest.mark.parametrize(
    ("moment", "end"),
    [
        (local(2026, 11, 23, 9), local(2026, 11, 23, 17, 30)),
        (local(2026, 11, 23, 18), local(2026, 11, 24, 17, 30)),  # after closing: the next working day
        (local(2026, 2, 14, 10), local(2026, 2, 14, 17, 30)),  # a make-up Saturday is a working day
        (local(2026, 2, 15, 10), local(2026, 2, 24, 17, 30)),  # inside the Spring Festival
    ],
)
def test_end_of_working_day(moment: datetime, end: datetime) -> None:
    assert CALENDAR.end_of_working_day(moment) == end


@pytest.mark.parametrize(
    ("day", "inside"),
    [
        (date(2026, 11, 14), False),
        (date(2026, 11, 15), True),
        (date(2026, 12, 31), True),
        (date(2027, 1, 1), True),
        (date(2027, 3, 15), True),
        (date(2027, 3, 16), False),
        (date(2026, 7, 1), False),
    ],
)
def test_heating_season_is_15_november_to_15_march_s1(day: date, inside: bool) -> None:
    """S1: the heating season runs from 15 November to 15 March, both days included."""
    assert in_heating_season(day) is inside


@pytest.mark.parametrize(
    ("moment", "staffed"),
    [
        (local(2026, 6, 8, 10), True),  # Monday, office hours
        (local(2026, 6, 8, 20), False),  # Monday evening outside the season
        (local(2026, 6, 6, 10), False),  # Saturday outside the season
        (local(2026, 10, 10, 10), True),  # make-up Saturday
        (local(2026, 11, 21, 3), True),  # Saturday 03:00 in the heating season: 24-hour duty (S1)
        (local(2027, 3, 16, 3), False),
    ],
)
def test_duty_hours_s1(moment: datetime, staffed: bool) -> None:
    """S1: round-the-clock duty in the heating season, office hours on working days otherwise."""
    assert CALENDAR.is_on_duty(moment) is staffed


def test_diagram_functions_use_the_injected_clock_s2() -> None:
    """S2: `working_days(2)` and the other calendar functions a diagram calls read the engine's clock."""
    clock = SettableClock(datetime(2026, 9, 30, 8, 0, tzinfo=UTC))  # 16:00 in Shanghai
    functions = calendar_functions(clock, SHANGHAI)
    assert functions["working_days"](2) == "2026-10-09T17:30:00+08:00"
    assert functions["end_of_working_day"]() == "2026-09-30T17:30:00+08:00"
    assert functions["is_working_day"]() is True
    assert functions["is_working_day"]("2026-10-02") is False
    assert functions["in_heating_season"]() is False
    assert functions["in_heating_season"]("2026-11-15") is True
    assert functions["is_on_duty"]() is True
    with pytest.raises(ValueError):
        functions["working_days"](0)


def test_working_time_counts_office_hours_of_working_days_only() -> None:
    """Graded deadlines and pauses count working time: 08:30–17:30 on working days."""
    friday_four = local(2026, 11, 27, 16, 0)
    assert CALENDAR.working_time_between(friday_four, local(2026, 11, 30, 10, 0)) == timedelta(hours=3)
    assert CALENDAR.working_time_between(local(2026, 11, 28, 9), local(2026, 11, 29, 18)) == timedelta()
    assert CALENDAR.working_time_between(local(2026, 11, 30, 10), friday_four) == timedelta()


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (local(2026, 11, 27, 16, 0), 3, local(2026, 11, 30, 10, 0)),  # Friday 16:00 + 3 h: Monday 10:00
        (local(2026, 11, 24, 20, 0), 2, local(2026, 11, 25, 10, 30)),  # in the evening: from next opening
        (local(2026, 11, 24, 10, 0), 9, local(2026, 11, 25, 10, 0)),  # a whole working day
        (local(2026, 9, 30, 17, 0), 1, local(2026, 10, 8, 9, 0)),  # the National Day holiday skipped
    ],
)
def test_adding_working_time_skips_nights_weekends_and_holidays(
    start: datetime, hours: int, expected: datetime
) -> None:
    assert CALENDAR.add_working_time(start, timedelta(hours=hours)) == expected


def test_a_change_to_the_official_tables_is_seen_once_the_calendar_forgets_s2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answers are kept per day; a holiday added to chinese_calendar's tables at run time (a notice the
    package does not know yet) counts once `forget_working_days` is called."""
    friday = date(2026, 11, 20)
    assert is_working_day(friday) is True
    assert CALENDAR.add_working_time(local(2026, 11, 20, 17), timedelta(hours=1)) == local(2026, 11, 23, 9)
    monkeypatch.setitem(chinese_calendar.holidays, friday, "a holiday announced late")
    try:
        forget_working_days()
        assert is_working_day(friday) is False
        assert CALENDAR.add_working_time(local(2026, 11, 20, 7), timedelta(hours=1)) == local(
            2026, 11, 23, 9, 30
        )
    finally:
        monkeypatch.undo()
        forget_working_days()
    assert is_working_day(friday) is True


def test_calendars_with_other_office_hours_or_zones_keep_their_own_hours() -> None:
    """The kept office hours of a day belong to the hours and zone they were computed for."""
    early = BusinessCalendar(SHANGHAI, office_opens=time(7), office_closes=time(15))
    utc = BusinessCalendar(ZoneInfo("UTC"))
    start = local(2026, 11, 20, 6)
    assert CALENDAR.add_working_time(start, timedelta(hours=1)) == local(2026, 11, 20, 9, 30)
    assert early.add_working_time(start, timedelta(hours=1)) == local(2026, 11, 20, 8)
    assert utc.add_working_time(start, timedelta(hours=1)) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
