"""connection.bpmn, every path: S2 (heat within 2 working days on the official calendar) and S1 (18 °C)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import due_timer_ids, start_case
from engine.clock import SettableClock
from engine.db.models import Notification, ProcessDefinition
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import Actor, Runtime
from tests.scenarios.driver import CLOSED, CaseDriver, completed, created, end, new, script, timer_fired

TECHNICAL = Actor("tech1", frozenset({"technical"}))
OPERATIONS = Actor("ops1", frozenset({"operations"}))
TASK_NAMES = {"register_acceptance": "登记报装验收", "turn_heating_on": "开栓通热"}
ACCEPTANCE = {
    "customer_name": "孙丽",
    "customer_phone": "13600000001",
    "address": "金明区5号楼2单元602",
    "heated_area": "96",
    "accepted_on": "2026-02-13",
    "acceptance_passed": "on",
}


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Any,
) -> CaseDriver:
    definition: ProcessDefinition = deploy_process("connection")
    assert (definition.key, definition.case_prefix) == ("connection", "BZ")
    return CaseDriver(sessions, runtime, clock, "connection", TASK_NAMES)


def register(case: CaseDriver, accepted_on: str, heat_due: str) -> None:
    form = {**ACCEPTANCE, "accepted_on": accepted_on}
    case.start(
        TECHNICAL,
        form,
        events=[
            ("case_started", TECHNICAL.username, None, {"process_version": [None, 1]}),
            completed(
                TECHNICAL,
                "register_acceptance",
                new(
                    customer_name="孙丽",
                    customer_phone="13600000001",
                    address="金明区5号楼2单元602",
                    heated_area=96,
                    accepted_on=accepted_on,
                    acceptance_passed=True,
                ),
            ),
            script("set_heat_due", new(heat_due=heat_due, measurements=0)),
            created("turn_heating_on", "operations"),
        ],
        open_now=[("turn_heating_on", "operations")],
    )


def heat(case: CaseDriver, temperature: int, at: str, warm: bool, changes: dict[str, list[Any]]) -> None:
    case.complete(
        "turn_heating_on",
        OPERATIONS,
        {"heated_on_at": at, "indoor_temperature": str(temperature), "heat_note": ""},
        events=[completed(OPERATIONS, "turn_heating_on", changes)]
        + ([end("end_heated"), CLOSED] if warm else [created("turn_heating_on", "operations")]),
        open_now=[] if warm else [("turn_heating_on", "operations")],
    )


def test_accepted_on_friday_is_heated_by_tuesday_closing_time_s2(
    case: CaseDriver, clock: SettableClock
) -> None:
    """S2: Friday's acceptance: the weekend does not count; the deadline is Tuesday 17:30."""
    clock.set(utc(2026, 11, 20, 2))  # Friday 10:00 in Shanghai
    register(case, "2026-11-20", "2026-11-24T17:30:00+08:00")
    assert case.task("turn_heating_on").due_at == utc(2026, 11, 24, 9, 30)
    assert case.timers() == [("heat_deadline", utc(2026, 11, 24, 9, 30), "waiting")]
    clock.set(utc(2026, 11, 23, 3))
    heat(
        case,
        20,
        "2026-11-23T10:30",
        True,
        new(heated_on_at="2026-11-23T10:30:00+08:00", indoor_temperature=20, heat_note=None),
    )
    assert case.timers() == [("heat_deadline", utc(2026, 11, 24, 9, 30), "cancelled")]


def test_the_spring_festival_does_not_count_and_a_late_heating_is_chased_s2(
    case: CaseDriver, clock: SettableClock, sessions: sessionmaker[Session]
) -> None:
    """S2: accepted on 13 February 2026: Saturday the 14th is a make-up working day, 15–23 February are the
    Spring Festival holiday, so the second working day is the 24th; passing it records and chases."""
    clock.set(utc(2026, 2, 13, 2))
    register(case, "2026-02-13", "2026-02-24T17:30:00+08:00")
    clock.set(utc(2026, 2, 24, 9, 29))
    with sessions() as session:
        assert due_timer_ids(session, clock.now()) == []
    clock.set(utc(2026, 2, 24, 9, 31))
    case.fire_due_timers(
        events=[
            timer_fired("heat_deadline"),
            script("record_heat_overdue", new(heat_overdue=True)),
            end("end_heat_overdue"),
        ],
        open_now=[("turn_heating_on", "operations")],
    )
    with sessions() as session:
        chased = session.scalars(select(Notification.recipient).where(Notification.kind == "chase")).all()
    assert chased == ["sup1"]  # no operations supervisor of its own: every supervisor is told
    assert case.task("turn_heating_on").due_at == utc(2026, 2, 24, 9, 30)  # still visibly overdue
    clock.set(utc(2026, 2, 25, 2))
    heat(
        case,
        19,
        "2026-02-25T10:00",
        True,
        new(heated_on_at="2026-02-25T10:00:00+08:00", indoor_temperature=19, heat_note=None),
    )


def test_below_18_degrees_the_department_measures_again_until_warm_s1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """S1: the heating is on only when the customer's rooms reach 18 °C; twice too cold, then warm."""
    clock.set(utc(2026, 11, 23, 1))
    register(case, "2026-11-23", "2026-11-25T17:30:00+08:00")
    heat(
        case,
        15,
        "2026-11-23T11:00",
        False,
        new(heated_on_at="2026-11-23T11:00:00+08:00", indoor_temperature=15, heat_note=None),
    )
    heat(
        case,
        17,
        "2026-11-23T15:00",
        False,
        {
            "heated_on_at": ["2026-11-23T11:00:00+08:00", "2026-11-23T15:00:00+08:00"],
            "indoor_temperature": [15, 17],
        },
    )
    # the deadline still stands for the repeated task
    assert case.task("turn_heating_on").due_at == utc(2026, 11, 25, 9, 30)
    heat(
        case,
        18,
        "2026-11-24T09:00",
        True,
        {
            "heated_on_at": ["2026-11-23T15:00:00+08:00", "2026-11-24T09:00:00+08:00"],
            "indoor_temperature": [17, 18],
        },
    )


def test_bad_values_and_other_groups_are_refused_s2(
    case: CaseDriver, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    for form, field in (
        ({**ACCEPTANCE, "acceptance_passed": ""}, "acceptance_passed"),
        ({**ACCEPTANCE, "heated_area": "大约90"}, "heated_area"),
        ({**ACCEPTANCE, "accepted_on": "2026-02-30"}, "accepted_on"),
    ):
        with pytest.raises(FormInvalid) as refused, sessions.begin() as session:
            start_case(session, runtime, "connection", TECHNICAL, form)
        assert list(refused.value.errors) == [field]
    register(case, "2026-11-23", "2026-11-25T17:30:00+08:00")
    case.refused(
        "turn_heating_on",
        TECHNICAL,
        {"heated_on_at": "2026-11-23T10:00", "indoor_temperature": "20"},
        NotAllowed,
    )
    refused = case.refused(
        "turn_heating_on",
        OPERATIONS,
        {"heated_on_at": "2026-11-23T10:00", "indoor_temperature": "99"},
        FormInvalid,
    )
    assert list(refused.errors) == ["indoor_temperature"]  # type: ignore[attr-defined]
