"""repair.bpmn, the send-back path (退单/改派, C4, R2): a worker who finds on site that the order is not a
repair matter, or not the department's, sends it back with a reason; the dispatcher approves (the order
moves to another department and is dispatched again, with new on-site and report deadlines) or rejects
(back to the worker on site, the report deadline unchanged). Either way the send-back counts for the
department that held the order, not for the repair workers' group (engine/supervision/sendbacks.py).

Every step is its own unit of work and the workflow cache is cleared after each, so each step reloads
the case from the database (tests/scenarios/driver.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.errors import FormInvalid
from engine.reference import load_reference_data
from engine.runtime import Runtime
from engine.supervision import Period, sendback_table
from tests.scenarios.driver import (
    CaseDriver,
    approve_sendback,
    completed,
    created,
    new,
    refuse_wrong_approvals,
    reject_sendback,
)
from tests.scenarios.test_repair import (
    DISPATCHER,
    TASK_NAMES,
    WORKER,
    RepairCase,
    arrive,
    callback_satisfied,
    changes,
    dispatch,
    end_of_day,
    local,
    open_order,
    report_repaired,
    utc,
)

NAMES = {**TASK_NAMES, "review_sendback": "审核退单"}


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> RepairCase:
    deploy_process("repair")
    return CaseDriver(sessions, runtime, clock, "repair", NAMES)


REASON = "现场核实为整栋楼供热温度偏低,属二次管网平衡问题,非户内维修事项。"


def send_back(case: RepairCase) -> None:
    """C4: on site at 09:20, "not ours", with the reason and the department it belongs to."""
    case.clock.set(utc(23, 1, 20))
    arrived_at = local(utc(23, 1, 20))
    form = {
        "arrived_at": arrived_at[:16],
        "site_finding": "not_ours",
        "sendback_reason": REASON,
        "suggested_department": "operations",
    }
    # a send-back needs its reason
    refused = case.refused("arrive_on_site", WORKER, {**form, "sendback_reason": ""}, FormInvalid)
    assert isinstance(refused, FormInvalid) and set(refused.errors) == {"sendback_reason"}
    case.complete(
        "arrive_on_site",
        WORKER,
        form,
        events=[
            completed(
                WORKER,
                "arrive_on_site",
                new(
                    arrived_at=arrived_at,
                    site_finding="not_ours",
                    sendback_reason=REASON,
                    suggested_department="operations",
                ),
            ),
            created("review_sendback", "dispatcher"),
        ],
        open_now=[("review_sendback", "dispatcher")],
    )
    assert case.data["department"] == "repair"


def figures(sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock) -> dict[str, tuple]:
    with sessions() as session:
        table = sendback_table(
            session,
            Period("custom", date(2026, 11, 23), date(2026, 11, 23)),
            runtime.zone,
            clock.now(),
            load_reference_data(session),
        )
    return {
        code: (n.sent_back, n.approved, n.rejected, n.awaiting, n.time_lost) for code, n in table.rows.items()
    }


def test_send_back_approved_redispatches_to_another_department_with_new_deadlines_c4_r2(
    case: RepairCase, clock: SettableClock, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    open_order(case)
    clock.set(utc(23, 1, 2))
    first_onsite_due = dispatch(case)
    send_back(case)
    assert case.timers()[1] == ("onsite_deadline", utc(23, 1, 32), "cancelled")
    # awaiting the review: counted for the department holding the order, not the workers' group
    assert figures(sessions, runtime, clock) == {"repair": (1, 0, 0, 1, timedelta(0))}

    same = refuse_wrong_approvals(case, WORKER, DISPATCHER, own="repair", other="operations")
    assert {k: e.code for k, e in same.errors.items()} == {"redispatch_department": "same_as_other"}

    clock.set(utc(23, 1, 40))
    approve_sendback(
        case,
        DISPATCHER,
        "operations",
        redispatched={"department": ["repair", "operations"], "site_finding": ["not_ours", None]},
        open_now=("dispatch", "dispatcher"),
    )
    # approved: 09:02 (the order reached the department) to 09:40 (the decision) lost
    assert figures(sessions, runtime, clock) == {"repair": (1, 1, 0, 0, timedelta(minutes=38))}

    # R2, R3: dispatched again to the new department's team, with a new on-site deadline
    clock.set(utc(23, 1, 42))
    onsite_due = dispatch(case, worker="生产运行 管网班")
    assert onsite_due != first_onsite_due and onsite_due == local(utc(23, 2, 12))
    assert case.data["dispatch_count"] == 2
    assert case.task("arrive_on_site").due_at == utc(23, 2, 12)
    assert ("onsite_deadline", utc(23, 2, 12), "waiting") in case.timers()
    with case.sessions() as session:
        assert case.instance(session).department == "operations"

    clock.set(utc(23, 2, 5))
    arrive(case)
    clock.set(utc(23, 3))
    report_repaired(case)
    callback_satisfied(case)


def test_send_back_rejected_returns_to_the_worker_report_deadline_unchanged_c4(
    case: RepairCase, clock: SettableClock, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    open_order(case)
    clock.set(utc(23, 1, 2))
    dispatch(case)
    reply_due, reply_due_utc = end_of_day(23)
    send_back(case)

    # a rejection says why
    case.refused("review_sendback", DISPATCHER, {"sendback_decision": "reject"}, FormInvalid)
    clock.set(utc(23, 1, 30))
    reject_sendback(
        case,
        DISPATCHER,
        "户内暖气片不热属维修范围",
        restored={"site_finding": ["not_ours", None]},
        open_now=("onsite_report", "repair_worker"),
    )
    assert (case.data["reply_due"], case.data["department"], case.data["dispatch_count"]) == (
        reply_due,
        "repair",
        1,
    )
    assert case.task("onsite_report").due_at == reply_due_utc
    assert ("report_deadline", reply_due_utc, "waiting") in case.timers()
    assert figures(sessions, runtime, clock) == {"repair": (1, 0, 1, 0, timedelta(minutes=28))}

    clock.set(utc(23, 2))
    report_repaired(case)
    callback_satisfied(case)
    assert changes(case, department="repair") == {}
