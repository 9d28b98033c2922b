"""engine.cases.case_numbers: readable case numbers TS-20261123-0001, counted per prefix and per local day
in Asia/Shanghai."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.case_numbers import next_case_number
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import CaseCounter
from engine.runtime import Runtime
from tests.helpers import OPERATOR, intake_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 local


def test_format_and_increment(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        numbers = [next_case_number(session, "TS", MORNING, SHANGHAI) for _ in range(3)]
    assert numbers == ["TS-20261123-0001", "TS-20261123-0002", "TS-20261123-0003"]
    assert all(re.fullmatch(r"TS-\d{8}-\d{4}", n) for n in numbers)
    with sessions() as session:
        assert session.scalars(select(CaseCounter.last)).all() == [3]


def test_numbers_continue_across_transactions(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        next_case_number(session, "TS", MORNING, SHANGHAI)
    with sessions.begin() as session:
        assert next_case_number(session, "TS", MORNING, SHANGHAI) == "TS-20261123-0002"


def test_a_rolled_back_number_is_given_again(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="abandoned"), sessions.begin() as session:
        next_case_number(session, "TS", MORNING, SHANGHAI)
        raise RuntimeError("abandoned")
    with sessions.begin() as session:
        assert next_case_number(session, "TS", MORNING, SHANGHAI) == "TS-20261123-0001"


def test_each_prefix_counts_on_its_own(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert next_case_number(session, "TS", MORNING, SHANGHAI) == "TS-20261123-0001"
        assert next_case_number(session, "BX", MORNING, SHANGHAI) == "BX-20261123-0001"
        assert next_case_number(session, "TS", MORNING, SHANGHAI) == "TS-20261123-0002"
        assert next_case_number(session, "BX", MORNING, SHANGHAI) == "BX-20261123-0002"


def test_counting_restarts_on_the_shanghai_day(sessions: sessionmaker[Session]) -> None:
    last_second_local = datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on the 23rd in Shanghai
    with sessions.begin() as session:
        assert next_case_number(session, "TS", MORNING, SHANGHAI) == "TS-20261123-0001"
        assert next_case_number(session, "TS", last_second_local, SHANGHAI) == "TS-20261123-0002"
        # one second later it is the 24th in Shanghai while still the 23rd in UTC
        next_day = last_second_local + timedelta(seconds=1)
        assert next_day.date().day == 23
        assert next_case_number(session, "TS", next_day, SHANGHAI) == "TS-20261124-0001"
        assert next_case_number(session, "TS", next_day, SHANGHAI) == "TS-20261124-0002"


def test_early_utc_morning_belongs_to_the_local_day(sessions: sessionmaker[Session]) -> None:
    # 2026-11-22 16:30 UTC is 00:30 on the 23rd in Shanghai
    with sessions.begin() as session:
        assert (
            next_case_number(session, "TS", datetime(2026, 11, 22, 16, 30, tzinfo=UTC), SHANGHAI)
            == "TS-20261123-0001"
        )
        assert (
            next_case_number(session, "TS", datetime(2026, 11, 22, 15, 30, tzinfo=UTC), SHANGHAI)
            == "TS-20261122-0001"
        )


def test_cases_get_numbers_from_their_process_prefix_and_the_clock(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: object
) -> None:
    with sessions.begin() as session:
        first = start_case(session, runtime, "complaint", OPERATOR, intake_form()).case_number
    with sessions.begin() as session:
        second = start_case(session, runtime, "complaint", OPERATOR, intake_form()).case_number
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    with sessions.begin() as session:
        third = start_case(session, runtime, "complaint", OPERATOR, intake_form()).case_number
    assert [first, second, third] == ["TS-20261123-0001", "TS-20261123-0002", "TS-20261124-0001"]


@pytest.mark.real_commits
def test_concurrent_transactions_get_distinct_numbers(sessions: sessionmaker[Session]) -> None:
    """The first case of the day races to create the counter row; nobody may get a number twice."""
    workers = 6
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def take_number() -> None:
        try:
            barrier.wait(timeout=5)
            with sessions.begin() as session:
                numbers.append(next_case_number(session, "TS", MORNING, SHANGHAI))
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=take_number) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(numbers) == [f"TS-20261123-{n:04d}" for n in range(1, workers + 1)]
