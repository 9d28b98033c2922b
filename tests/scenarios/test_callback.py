"""callback.bpmn, every path: the sampled callback (M1) and what a customer who is not satisfied
starts (R5, C5).

Every step is its own unit of work and the case is reloaded from the database before the next one (see
driver.py). After every step the test checks the open tasks and their groups, the case data and summary
columns, and exactly the history events the step wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import SYSTEM as SYSTEM_ACTOR
from engine.runtime import Runtime
from tests.helpers import OPERATOR, department_handler
from tests.scenarios.driver import CLOSED, SYSTEM, CaseDriver, completed, created, end, new, script

TASK_NAMES = {"sample_callback": "抽样回访", "department_rework": "重新处理客户不满意事项"}
REPAIR = department_handler("repair")
# What the weekly draw gives the case (engine.supervision.sampling.callback_data).
DRAWN = {
    "callback_group": "operator",
    "sample_week": "2026-W47",
    "original_case": "WX-20261118-0003",
    "original_process": "repair",
    "original_summary": "厨房水管接头漏水\n→ 更换接头",
    "customer_name": "刘洋",
    "customer_phone": "13900000001",
    "address": "金明区3号楼1单元101",
    "category": "leak",
    "department": "repair",
}
READ_ONLY_UNCHANGED = {"rework_result": [None, None]}


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: object,
    reference_data: None,
) -> CaseDriver:
    deploy_process("callback")  # type: ignore[operator]
    return CaseDriver(sessions, runtime, clock, "callback", TASK_NAMES)


def drawn(case: CaseDriver) -> None:
    """M1: the draw opens the case with the original case's facts; the operator's callback is next."""
    case.open_with(
        SYSTEM_ACTOR,
        DRAWN,
        events=[
            ("case_started", SYSTEM, None, {"process_version": [None, 1], **new(**DRAWN)}),
            script("prepare_callback", new(sent_back_count=0)),
            created("sample_callback", "operator"),
        ],
        open_now=[("sample_callback", "operator")],
    )


def test_not_satisfied_goes_back_to_the_department_until_satisfied_m1_r5_c5(
    case: CaseDriver, clock: SettableClock
) -> None:
    """R5, C5: the sampled customer is not satisfied: the department of the original order handles it
    again the same day, the operator calls again, and the customer is satisfied; the time it went back
    is counted. The read-only facts of the form stay as drawn whatever is posted."""
    drawn(case)
    # M1: due by the fourth working day's closing time: Monday 23 → Friday 27, 17:30 local
    assert case.task("sample_callback").due_at == utc(27, 9, 30)
    clock.set(utc(24, 2))
    case.complete(
        "sample_callback",
        OPERATOR,
        {
            "original_case": "XX-00000000-0000",  # read-only: ignored
            "customer_phone": "110",  # read-only: ignored
            "reached": "on",
            "satisfied": "no",
            "callback_comment": "维修后仍有渗水",
        },
        events=[
            completed(
                OPERATOR,
                "sample_callback",
                {
                    **READ_ONLY_UNCHANGED,
                    **new(reached=True, satisfied="no", callback_comment="维修后仍有渗水"),
                },
            ),
            script("send_back", {"sent_back_count": [0, 1], **new(rework_due="2026-11-24T23:59:59+08:00")}),
            created("department_rework", "repair"),
        ],
        open_now=[("department_rework", "repair")],
    )
    assert case.data["original_case"] == DRAWN["original_case"]
    assert case.data["customer_phone"] == DRAWN["customer_phone"]
    assert case.task("department_rework").due_at == utc(24, 15, 59, 59)  # the same day (C3, R6)
    case.refused("department_rework", OPERATOR, {"rework_result": "不归我管的事情"}, NotAllowed)
    case.refused("department_rework", REPAIR, {"rework_result": ""}, FormInvalid)

    clock.set(utc(24, 6))
    case.complete(
        "department_rework",
        REPAIR,
        {"rework_result": "更换了接头密封圈,已无渗水", "callback_comment": "改掉的意见"},
        events=[
            completed(REPAIR, "department_rework", {"rework_result": [None, "更换了接头密封圈,已无渗水"]}),
            created("sample_callback", "operator"),
        ],
        open_now=[("sample_callback", "operator")],
    )
    assert case.data["callback_comment"] == "维修后仍有渗水"  # read-only in the department's form

    clock.set(utc(24, 8))
    case.complete(
        "sample_callback",
        OPERATOR,
        {"reached": "on", "satisfied": "yes", "callback_comment": "满意"},
        events=[
            completed(
                OPERATOR,
                "sample_callback",
                {"satisfied": ["no", "yes"], "callback_comment": ["维修后仍有渗水", "满意"]},
            ),
            end("end_recorded"),
            CLOSED,
        ],
        open_now=[],
    )
    assert case.data["sent_back_count"] == 1


def test_a_customer_not_reached_is_recorded_and_the_case_ends_m1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """M1: nobody answers: recorded as not reached, nothing goes back to the department."""
    drawn(case)
    clock.set(utc(23, 3))
    case.refused(
        "sample_callback", OPERATOR, {"reached": "on"}, FormInvalid
    )  # reached: say whether satisfied
    case.complete(
        "sample_callback",
        OPERATOR,
        {"callback_comment": "三次无人接听"},
        events=[
            completed(
                OPERATOR,
                "sample_callback",
                {
                    **READ_ONLY_UNCHANGED,
                    **new(reached=False, satisfied=None, callback_comment="三次无人接听"),
                },
            ),
            end("end_recorded"),
            CLOSED,
        ],
        open_now=[],
    )
    assert case.data["sent_back_count"] == 0
