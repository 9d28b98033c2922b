"""repair.bpmn, a maintenance order from the hot spots (冬病夏治, issue 20 item 10; R1, R6): the utility
opens it itself (source hot_spot), so nobody called: the caller's name and phone may stay empty (and only
then), it is routed, dispatched and repaired as any repair, and once reported it closes without a
callback (R5 calls back a customer who called).

Every step is its own unit of work and the case is reloaded from the database before the next one
(tests/scenarios/driver.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.errors import FormInvalid
from engine.runtime import Runtime
from tests.scenarios.driver import CLOSED, CaseDriver, completed, end
from tests.scenarios.test_repair import (
    DISPATCHER,
    REPORT,
    REPORTED,
    TASK_NAMES,
    WORKER,
    RepairCase,
    arrive,
    changes,
    dispatch,
    open_order,
    repair_form,
    utc,
)

DESCRIPTION = "冬病夏治:金明区3号楼为热点楼栋,共来电 4 次,其中投诉 3 次。"


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> RepairCase:
    deploy_process("repair")
    return CaseDriver(sessions, runtime, clock, "repair", TASK_NAMES)


# Nobody called: no caller's name or phone.
HOT_SPOT_ORDER = {
    "customer_name": "",
    "customer_phone": "",
    "address": "金明区3号楼",
    "description": DESCRIPTION,
}


def maintenance_form(**overrides: Any) -> dict[str, Any]:
    return repair_form(**{"category": "facility", "case_source": "hot_spot", **HOT_SPOT_ORDER, **overrides})


def test_a_maintenance_order_has_no_caller_and_closes_when_repaired_without_a_callback_r1_r6(
    case: RepairCase, clock: SettableClock, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    # an ordinary repair still needs its caller
    with pytest.raises(FormInvalid) as failure, sessions.begin() as session:
        start_case(session, runtime, "repair", DISPATCHER, maintenance_form(case_source="hotline"))
    refused = failure.value
    assert refused.errors == {
        "customer_name": FieldError("required"),
        "customer_phone": FieldError("required"),
    }

    open_order(case, category="facility", source="hot_spot", order=HOT_SPOT_ORDER)
    clock.set(utc(23, 1, 2))
    dispatch(case)
    clock.set(utc(23, 2))
    arrive(case)
    clock.set(utc(23, 4))
    case.complete(
        "onsite_report",
        WORKER,
        REPORT,
        events=[
            completed(WORKER, "onsite_report", changes(case, **REPORTED)),
            end("end_maintenance_done"),
            CLOSED,
        ],
        open_now=[],
    )
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.status, instance.closed_at, instance.source) == ("completed", utc(23, 4), "hot_spot")
