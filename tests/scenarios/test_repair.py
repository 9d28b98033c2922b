"""repair.bpmn, every path, rules R1-R6 of PROCEDURES.md.

Every step is its own unit of work and the case is reloaded from the database before the next one
(see driver.py). After every step the test checks the open tasks and their candidate groups, the case
data projection and summary columns, and exactly the history events the step wrote.

The clock starts at 09:00 on Monday 23 November 2026 in Shanghai (01:00 UTC); case data keeps local
times (+08:00), timers and task deadlines are compared in UTC.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import MAX_SIGNATURE_BYTES, FieldError
from engine.cases.attachments import read_attachment
from engine.cases.runner import due_timer_ids, start_case
from engine.clock import SettableClock
from engine.db.models import Attachment, HumanTask, ProcessDefinition
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, SUPERVISOR, row_counts, timers_of
from tests.scenarios.driver import CLOSED, CaseDriver, completed, created, end, new, script, timer_fired

RepairCase = CaseDriver

DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
WORKER = Actor("worker1", frozenset({"repair_worker"}))

TASK_NAMES = {
    "intake": "登记报修",
    "dispatch": "派单",
    "arrive_on_site": "到达现场",
    "onsite_report": "现场维修并回单",
    "approve_extension": "审批延期申请",
    "callback": "回访客户",
}

# The reference data the `reference_data` fixture seeds: where a category is routed, and within how many
# minutes of dispatch someone must be on site (R3).
ROUTED_TO = {
    "leak": "repair",
    "burst": "repair",
    "meter_fault": "repair",
    "facility": "repair",
    "temperature": "operations",
}
ONSITE_MINUTES = {"leak": 30, "burst": 30, "meter_fault": 180, "facility": 120, "temperature": 240}


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def local(moment: datetime) -> str:
    """A UTC moment as case data keeps it: Shanghai local time, with its offset."""
    return (moment + timedelta(hours=8)).replace(tzinfo=None).isoformat() + "+08:00"


def end_of_day(day: int) -> tuple[str, datetime]:
    """The same-day reply deadline (R6) of a November day: as case data, and in UTC."""
    return f"2026-11-{day:02d}T23:59:59+08:00", utc(day, 15, 59, 59)


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> RepairCase:
    definition = deploy_process("repair")
    assert (definition.key, definition.version, definition.case_prefix) == ("repair", 1, "BX")
    return RepairCase(sessions, runtime, clock, "repair", TASK_NAMES)


def changes(case: RepairCase, **values: Any) -> dict[str, list[Any]]:
    """What a step that leaves these values changes, against the case data so far."""
    return {
        k: [case.data.get(k), v] for k, v in sorted(values.items()) if k not in case.data or case.data[k] != v
    }


# --- common stretches of the path --------------------------------------------------------------------------


def signature_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


# The first bytes of a PNG, as a signature pad's canvas makes them, and some image data.
SIGNATURE_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))


class _AnyId(int):
    """Compares equal to any attachment id (a database sequence decides it)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int) and not isinstance(other, bool) and other > 0

    __hash__ = int.__hash__


ANY_ID = _AnyId(1)


# Who called, where and about what: the intake's free text, as typed.
HOTLINE_CALL = {
    "customer_name": "刘洋",
    "customer_phone": "13900000001",
    "address": "金明区3号楼1单元101",
    "description": "厨房水管接头漏水,地面有积水。",
}


def repair_form(**overrides: Any) -> dict[str, Any]:
    """A valid repair intake (R1) as the browser posts it: the department left empty."""
    form: dict[str, Any] = {**HOTLINE_CALL, "category": "leak", "department": "", "urgent": ""}
    form.update(overrides)
    return form


def open_order(
    case: RepairCase,
    actor: Actor = DISPATCHER,
    *,
    category: str = "leak",
    department: str = "",
    urgent: bool = False,
    source: str = "hotline",
    order: Mapping[str, str] = HOTLINE_CALL,
) -> None:
    """R1: the order is recorded (`order`: the caller, the address and the fault; a field left empty is
    kept as none); the department defaults to the category's; the dispatcher gets the order. An order of
    another `source` than a call says so in its form."""
    priority = "urgent" if urgent or ONSITE_MINUTES[category] <= 30 else "normal"
    form = repair_form(category=category, department=department, urgent="on" if urgent else "", **order)
    if source != "hotline":
        form["case_source"] = source
    case.start(
        actor,
        form,
        events=[
            ("case_started", actor.username, None, {"process_version": [None, 1]}),
            completed(
                actor,
                "intake",
                new(
                    **{field: value or None for field, value in order.items()},
                    category=category,
                    department=department or None,
                    urgent=urgent,
                    case_source=source,
                    upstream_reference=None,
                    upstream_deadline=None,
                ),
            ),
            script(
                "route_by_category",
                new(onsite_limit_minutes=ONSITE_MINUTES[category], routed_department=ROUTED_TO[category]),
            ),
            script(
                "classify_order",
                new(
                    **({} if department else {"department": ROUTED_TO[category]}),
                    dispatch_count=0,
                    priority=priority,
                ),
            ),
            created("dispatch", "dispatcher"),
        ],
        open_now=[("dispatch", "dispatcher")],
    )


def dispatch(case: RepairCase, worker: str = "维修一班 王师傅", arrival_in: int = 20, note: str = "") -> str:
    """R2: the dispatcher sends a worker and tells the customer when they will arrive; R3: the on-site
    deadline starts; R6: the report is due at the end of the day. Returns the on-site deadline."""
    now = case.clock.now()
    arrival = local((now + timedelta(minutes=arrival_in)).replace(second=0))  # told to the minute
    onsite_due = local(now + timedelta(minutes=ONSITE_MINUTES[case.data["category"]]))
    reply_due = f"{local(now)[:10]}T23:59:59+08:00"
    form = {"worker": worker, "expected_arrival": arrival[:16], "arrival_told": "on", "dispatch_note": note}
    case.complete(
        "dispatch",
        DISPATCHER,
        form,
        events=[
            completed(
                DISPATCHER,
                "dispatch",
                changes(
                    case,
                    worker=worker,
                    expected_arrival=arrival,
                    arrival_told=True,
                    dispatch_note=note or None,
                    late_arrival_reason=None,
                ),
            ),
            script(
                "set_deadlines",
                changes(
                    case,
                    dispatch_count=case.data["dispatch_count"] + 1,
                    onsite_due=onsite_due,
                    own_reply_due=reply_due,
                    reply_due=reply_due,
                ),
            ),
            created("arrive_on_site", "repair_worker"),
        ],
        open_now=[("arrive_on_site", "repair_worker")],
    )
    return onsite_due


def arrive(case: RepairCase) -> None:
    """R3: the worker is on site, and says when to the minute, as the browser's field does."""
    arrived_at = local(case.clock.now().replace(second=0))
    case.complete(
        "arrive_on_site",
        WORKER,
        {"arrived_at": arrived_at[:16]},
        events=[
            completed(
                WORKER,
                "arrive_on_site",
                changes(
                    case,
                    arrived_at=arrived_at,
                    site_finding=None,
                    sendback_reason=None,
                    suggested_department=None,
                ),
            ),
            created("onsite_report", "repair_worker"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )


def worker_on_site(case: RepairCase) -> None:
    """A leak recorded at 09:00, dispatched at 09:02, the worker on site at 09:20; the clock then at 10:00,
    when the report is written."""
    open_order(case)
    case.clock.set(utc(23, 1, 2))
    dispatch(case)
    case.clock.set(utc(23, 1, 20))
    arrive(case)
    case.clock.set(utc(23, 2))


REPORT = {
    "diagnosis": "接头密封圈老化",
    "work_done": "更换接头和密封圈,试水无渗漏",
    "materials": "DN20接头1个",
    "steps_explained": "on",
    "customer_signed": "on",
    "customer_damage": "",
    "outcome": "resolved",
}
REPORTED = {
    "diagnosis": "接头密封圈老化",
    "work_done": "更换接头和密封圈,试水无渗漏",
    "materials": "DN20接头1个",
    "steps_explained": True,
    "customer_signed": True,
    "signer_name": None,
    "customer_signature": None,
    "customer_damage": False,
    "damage_description": None,
    "damage_confirmed": False,
    "outcome": "resolved",
    "extension_reason": None,
}


def report_repaired(case: RepairCase, **overrides: Any) -> None:
    """R4: diagnosed, repaired, explained and signed; R6: reported the same day; R5: callback next."""
    form = {**REPORT, **overrides}
    typed = {**REPORTED, **{k: None if v == "" else v for k, v in overrides.items()}}  # a blank text is None
    case.complete(
        "onsite_report",
        WORKER,
        form,
        events=[
            completed(WORKER, "onsite_report", changes(case, **typed)),
            created("callback", "dispatcher"),
        ],
        open_now=[("callback", "dispatcher")],
    )


def callback_satisfied(case: RepairCase) -> None:
    """R5: the customer is satisfied: the case closes."""
    case.complete(
        "callback",
        DISPATCHER,
        {"satisfied": "yes", "callback_note": "客户表示满意"},
        events=[
            completed(DISPATCHER, "callback", changes(case, satisfied="yes", callback_note="客户表示满意")),
            end("end_closed"),
            CLOSED,
        ],
        open_now=[],
    )
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.status, instance.closed_at, instance.current_step) == (
            "completed",
            case.clock.now(),
            None,
        )
        assert all(
            t.status != "open"
            for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == case.id))
        )
        assert all(t.status in ("fired", "cancelled") for t in timers_of(session, case.id))


def callback_not_satisfied(case: RepairCase, note: str) -> None:
    """R5: not satisfied: the order goes back to the dispatcher."""
    case.complete(
        "callback",
        DISPATCHER,
        {"satisfied": "no", "callback_note": note},
        events=[
            completed(DISPATCHER, "callback", changes(case, satisfied="no", callback_note=note)),
            created("dispatch", "dispatcher"),
        ],
        open_now=[("dispatch", "dispatcher")],
    )


def nothing_due(case: RepairCase) -> None:
    with case.sessions() as session:
        assert due_timer_ids(session, case.clock.now()) == []


# --- (1) a leak repaired at once -------------------------------------------------------------------------------


def test_leak_repaired_and_customer_satisfied_at_once_r1_r2_r3_r4_r5_r6(
    case: RepairCase, clock: SettableClock
) -> None:
    """R1 intake, R2 dispatch within 3 minutes with the arrival time told, R3 on site within 30 minutes,
    R4 repaired and signed, R6 reported the same day, R5 satisfied at the callback."""
    case.start(
        DISPATCHER,
        repair_form(),
        events=[
            ("case_started", "disp1", None, {"process_version": [None, 1]}),
            completed(
                DISPATCHER,
                "intake",
                new(
                    address="金明区3号楼1单元101",
                    category="leak",
                    customer_name="刘洋",
                    customer_phone="13900000001",
                    department=None,
                    description="厨房水管接头漏水,地面有积水。",
                    urgent=False,
                    case_source="hotline",
                    upstream_reference=None,
                    upstream_deadline=None,
                ),
            ),
            script("route_by_category", new(onsite_limit_minutes=30, routed_department="repair")),
            script("classify_order", new(department="repair", dispatch_count=0, priority="urgent")),
            created("dispatch", "dispatcher"),
        ],
        open_now=[("dispatch", "dispatcher")],
    )
    with case.sessions() as session:
        instance = case.instance(session)
        # R1: address, fault and contact recorded; the department is the one a leak is routed to
        assert (instance.case_number, instance.opened_by, instance.opened_at) == (
            "BX-20261123-0001",
            "disp1",
            clock.now(),
        )
        assert (instance.category, instance.department, instance.priority) == ("leak", "repair", "urgent")
        assert (instance.customer_phone, instance.address) == ("13900000001", "金明区3号楼1单元101")
    assert case.task("dispatch").due_at == utc(23, 1, 3)
    assert case.timers() == [("dispatch_deadline", utc(23, 1, 3), "waiting")]

    clock.set(utc(23, 1, 2))  # within the 3 minutes
    reply_due, reply_due_utc = end_of_day(23)
    case.complete(
        "dispatch",
        DISPATCHER,
        {
            "worker": "维修一班 王师傅",
            "expected_arrival": "2026-11-23T09:25",
            "arrival_told": "on",
            "dispatch_note": "",
        },
        events=[
            completed(
                DISPATCHER,
                "dispatch",
                new(
                    arrival_told=True,
                    dispatch_note=None,
                    expected_arrival="2026-11-23T09:25:00+08:00",
                    late_arrival_reason=None,
                    worker="维修一班 王师傅",
                ),
            ),
            script(
                "set_deadlines",
                {
                    "dispatch_count": [0, 1],
                    "onsite_due": [None, "2026-11-23T09:32:00+08:00"],
                    "own_reply_due": [None, reply_due],
                    "reply_due": [None, reply_due],
                },
            ),
            created("arrive_on_site", "repair_worker"),
        ],
        open_now=[("arrive_on_site", "repair_worker")],
    )
    assert case.task("arrive_on_site").due_at == utc(23, 1, 32)
    assert case.timers() == [
        ("dispatch_deadline", utc(23, 1, 3), "cancelled"),
        ("onsite_deadline", utc(23, 1, 32), "waiting"),
    ]
    assert "dispatch_overdue" not in case.data

    clock.set(utc(23, 1, 24))
    case.complete(
        "arrive_on_site",
        WORKER,
        {"arrived_at": "2026-11-23T09:24"},
        events=[
            completed(
                WORKER,
                "arrive_on_site",
                new(
                    arrived_at="2026-11-23T09:24:00+08:00",
                    site_finding=None,
                    sendback_reason=None,
                    suggested_department=None,
                ),
            ),
            created("onsite_report", "repair_worker"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )
    assert case.task("onsite_report").due_at == reply_due_utc
    assert case.timers()[1:] == [
        ("onsite_deadline", utc(23, 1, 32), "cancelled"),
        ("report_deadline", reply_due_utc, "waiting"),
    ]

    clock.set(utc(23, 2, 10))
    case.complete(
        "onsite_report",
        WORKER,
        REPORT,
        events=[
            completed(WORKER, "onsite_report", new(**REPORTED)),
            created("callback", "dispatcher"),
        ],
        open_now=[("callback", "dispatcher")],
    )
    # R5: the dispatcher's callback is due 24 hours after the report, and so on the overdue board then.
    assert case.timers()[2:] == [
        ("report_deadline", reply_due_utc, "cancelled"),
        ("callback_deadline", utc(24, 2, 10), "waiting"),
    ]
    assert case.task("callback").due_at == utc(24, 2, 10)

    clock.set(utc(23, 3))
    callback_satisfied(case)
    assert case.data["dispatch_count"] == 1
    assert not {"dispatch_overdue", "onsite_overdue", "reply_overdue"} & set(case.data)


def test_dispatcher_or_operator_opens_the_order_and_may_choose_another_department_r1(
    case: RepairCase,
) -> None:
    """R1: the operator who takes the call may record it too; a department chosen by hand is kept, and the
    urgent mark raises the priority of a category that is not urgent by itself."""
    open_order(case, OPERATOR, category="temperature", department="technical", urgent=True)
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.category, instance.department, instance.priority, instance.opened_by) == (
            "temperature",
            "technical",
            "urgent",
            "op1",
        )
    # the operator takes calls; dispatching is for the dispatcher
    case.refused(
        "dispatch",
        OPERATOR,
        {"worker": "维修一班", "expected_arrival": "2026-11-23T10:00", "arrival_told": "on"},
        NotAllowed,
    )


def test_intake_refuses_bad_values_and_writes_nothing_r1(
    sessions: sessionmaker[Session], runtime: Runtime, case: RepairCase
) -> None:
    """R1: no order without a valid contact, an address, a fault description and a known category."""
    with sessions() as session:
        before = row_counts(session)
    bad = repair_form(
        customer_phone="1234", address=" ", description="漏水", category="volcano", department="nowhere"
    )
    with pytest.raises(FormInvalid) as refused, sessions.begin() as session:
        start_case(session, runtime, "repair", DISPATCHER, bad)
    assert refused.value.errors == {
        "customer_phone": FieldError("pattern"),
        "address": FieldError("required"),
        "description": FieldError("min_length", {"min": 5}),
        "category": FieldError("not_option"),
        "department": FieldError("not_option"),
    }
    # R1 is the dispatcher's or the operator's: a repair worker cannot open a repair order
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "repair", WORKER, repair_form())
    with sessions() as session:
        assert row_counts(session) == before


# --- (2) the 3-minute dispatch timer -------------------------------------------------------------------------------


def test_dispatch_not_issued_within_three_minutes_is_recorded_r2(
    case: RepairCase, clock: SettableClock
) -> None:
    """R2: an order not dispatched within 3 minutes is recorded; the order stays open with the dispatcher.
    The arrival time told to the customer is required and must be a date and time."""
    open_order(case)
    order = case.task("dispatch")
    clock.set(utc(23, 1, 2, 59))
    nothing_due(case)

    clock.set(utc(23, 1, 3))
    case.fire_due_timers(
        events=[
            timer_fired("dispatch_deadline"),
            script("record_dispatch_overdue", new(dispatch_overdue=True)),
            end("end_dispatch_overdue"),
        ],
        open_now=[("dispatch", "dispatcher")],
    )
    assert case.task("dispatch").id == order.id
    assert case.task("dispatch").due_at == utc(23, 1, 3)  # still visibly overdue
    assert case.timers() == [("dispatch_deadline", utc(23, 1, 3), "fired")]
    clock.set(utc(23, 1, 4))
    nothing_due(case)  # recorded once only

    # a repair worker cannot dispatch; the dispatcher must name the worker and tell the arrival time
    case.refused(
        "dispatch",
        WORKER,
        {"worker": "我自己", "expected_arrival": "2026-11-23T09:30", "arrival_told": "on"},
        NotAllowed,
    )
    refused = case.refused(
        "dispatch",
        DISPATCHER,
        {"worker": "", "expected_arrival": "今天上午", "arrival_told": ""},
        FormInvalid,
    )
    assert refused.errors == {
        "worker": FieldError("required"),
        "expected_arrival": FieldError("not_datetime"),
        "arrival_told": FieldError("required"),
    }

    clock.set(utc(23, 1, 5))
    onsite_due = dispatch(case)
    assert onsite_due == "2026-11-23T09:35:00+08:00"
    arrive(case)
    report_repaired(case)
    callback_satisfied(case)
    assert case.data["dispatch_overdue"] is True


# --- (3) on-site deadlines by category -----------------------------------------------------------------------------


def test_burst_pipe_must_be_on_site_within_30_minutes_r3(case: RepairCase, clock: SettableClock) -> None:
    """R3: a burst pipe: someone on site within 30 minutes of dispatch, or the miss is recorded; the task
    stays open with the repair workers."""
    open_order(case, category="burst")
    clock.set(utc(23, 1, 1))
    assert dispatch(case) == "2026-11-23T09:31:00+08:00"
    task = case.task("arrive_on_site")
    assert task.due_at == utc(23, 1, 31)

    clock.set(utc(23, 1, 30, 59))
    nothing_due(case)
    clock.set(utc(23, 1, 31))
    case.fire_due_timers(
        events=[
            timer_fired("onsite_deadline"),
            script("record_onsite_overdue", new(onsite_overdue=True)),
            end("end_onsite_overdue"),
        ],
        open_now=[("arrive_on_site", "repair_worker")],
    )
    assert (case.task("arrive_on_site").id, case.task("arrive_on_site").due_at) == (task.id, utc(23, 1, 31))
    assert case.timers()[1:] == [("onsite_deadline", utc(23, 1, 31), "fired")]

    # the dispatcher cannot report the arrival for the worker
    case.refused("arrive_on_site", DISPATCHER, {"arrived_at": "2026-11-23T09:40"}, NotAllowed)
    clock.set(utc(23, 1, 40))
    arrive(case)
    assert case.data["arrived_at"] == "2026-11-23T09:40:00+08:00"
    report_repaired(case)
    callback_satisfied(case)
    assert case.data["onsite_overdue"] is True


def test_meter_fault_must_be_on_site_within_3_hours_r3(case: RepairCase, clock: SettableClock) -> None:
    """R3: a prepaid-meter fault: on site within 3 hours (180 minutes) of dispatch."""
    open_order(case, category="meter_fault")
    assert case.data["priority"] == "normal"
    clock.set(utc(23, 1, 2))
    assert dispatch(case, arrival_in=120) == "2026-11-23T12:02:00+08:00"
    assert case.task("arrive_on_site").due_at == utc(23, 4, 2)

    clock.set(utc(23, 4, 1, 59))
    nothing_due(case)
    clock.set(utc(23, 4, 2))
    case.fire_due_timers(
        events=[
            timer_fired("onsite_deadline"),
            script("record_onsite_overdue", new(onsite_overdue=True)),
            end("end_onsite_overdue"),
        ],
        open_now=[("arrive_on_site", "repair_worker")],
    )
    clock.set(utc(23, 4, 30))
    arrive(case)
    report_repaired(case, diagnosis="IC卡水表液晶不采样", work_done="更换表头", materials="")
    callback_satisfied(case)


def test_facility_fault_takes_the_deadline_its_category_sets_r3(
    case: RepairCase, clock: SettableClock
) -> None:
    """R3: other faults: the category's own deadline (a heating facility fault: 120 minutes). Arriving in
    time records no miss."""
    open_order(case, category="facility")
    clock.set(utc(23, 1, 1))
    assert dispatch(case, arrival_in=60) == "2026-11-23T11:01:00+08:00"
    assert case.timers()[1:] == [("onsite_deadline", utc(23, 3, 1), "waiting")]

    clock.set(utc(23, 3, 0, 59))
    nothing_due(case)
    arrive(case)
    assert case.timers()[1:3] == [
        ("onsite_deadline", utc(23, 3, 1), "cancelled"),
        ("report_deadline", end_of_day(23)[1], "waiting"),
    ]
    clock.set(utc(23, 3, 5))
    nothing_due(case)
    report_repaired(case, diagnosis="暖气片阀门损坏", work_done="更换暖气片阀门", materials="暖气阀1个")
    callback_satisfied(case)
    assert "onsite_overdue" not in case.data


# --- (4) on site: explain, sign, damage by the customer --------------------------------------------------------------


def test_onsite_report_needs_the_customers_signatures_r4(case: RepairCase) -> None:
    """R4: no report without the steps explained and the customer's signature on the result; damage caused
    by the customer needs a description and the customer's own confirmation; a repair says what was done."""
    worker_on_site(case)

    refused = case.refused(
        "onsite_report",
        WORKER,
        {**REPORT, "steps_explained": "", "customer_signed": "", "work_done": ""},
        FormInvalid,
    )
    assert refused.errors == {
        "steps_explained": FieldError("required"),
        "customer_signed": FieldError("required"),
        "work_done": FieldError("required"),
    }
    refused = case.refused("onsite_report", WORKER, {**REPORT, "customer_damage": "on"}, FormInvalid)
    assert refused.errors == {
        "damage_description": FieldError("required"),
        "damage_confirmed": FieldError("required"),
    }
    refused = case.refused(
        "onsite_report",
        WORKER,
        {**REPORT, "customer_damage": "on", "damage_description": "客户自行改管"},
        FormInvalid,
    )
    assert refused.errors == {"damage_confirmed": FieldError("required")}
    # the report is the repair worker's: the dispatcher cannot write it
    case.refused("onsite_report", DISPATCHER, REPORT, NotAllowed)

    case.complete(
        "onsite_report",
        WORKER,
        {
            **REPORT,
            "customer_damage": "on",
            "damage_description": "客户自行改管导致接头松动",
            "damage_confirmed": "on",
        },
        events=[
            completed(
                WORKER,
                "onsite_report",
                new(
                    **{
                        **REPORTED,
                        "customer_damage": True,
                        "damage_description": "客户自行改管导致接头松动",
                        "damage_confirmed": True,
                    }
                ),
            ),
            created("callback", "dispatcher"),
        ],
        open_now=[("callback", "dispatcher")],
    )
    # the callback is the dispatcher's
    case.refused("callback", WORKER, {"satisfied": "yes"}, NotAllowed)
    case.refused("callback", DISPATCHER, {"satisfied": "maybe"}, FormInvalid)
    callback_satisfied(case)


def test_the_customers_drawn_signature_is_stored_as_an_image_r4(
    case: RepairCase, clock: SettableClock, runtime: Runtime, sessions: sessionmaker[Session]
) -> None:
    """R4: the customer confirms by name and, optionally, a signature drawn on the worker's phone: the PNG
    is checked (data URL, PNG bytes, size) and stored as an attachment by its SHA-256 outside the database;
    the case data keeps the attachment's id. Anything else is refused and nothing is written."""
    worker_on_site(case)
    for bad, code in (
        ("data:image/jpeg;base64," + base64.b64encode(SIGNATURE_PNG).decode(), "not_signature"),
        ("data:image/png;base64,not base64!", "not_signature"),
        ("data:image/png;base64," + base64.b64encode(b"GIF89a" + bytes(40)).decode(), "not_signature"),
        (signature_url(SIGNATURE_PNG + bytes(MAX_SIGNATURE_BYTES)), "signature_too_large"),
    ):
        refused = case.refused("onsite_report", WORKER, {**REPORT, "customer_signature": bad}, FormInvalid)
        assert refused.errors == {
            "customer_signature": FieldError(code, refused.errors["customer_signature"].params)
        }
        assert refused.values["customer_signature"] == bad  # the form shows what was sent again
    assert refused.errors["customer_signature"].params == {"kb": MAX_SIGNATURE_BYTES // 1024}
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []

    case.complete(
        "onsite_report",
        WORKER,
        {**REPORT, "signer_name": "刘洋", "customer_signature": signature_url(SIGNATURE_PNG)},
        events=[
            ("attachment_added", WORKER.username, None, {"attachment": [None, "customer_signature.png"]}),
            completed(
                WORKER,
                "onsite_report",
                new(**{**REPORTED, "signer_name": "刘洋", "customer_signature": ANY_ID}),
            ),
            created("callback", "dispatcher"),
        ],
        open_now=[("callback", "dispatcher")],
    )
    with sessions() as session:
        (attachment,) = session.scalars(select(Attachment)).all()
        task = session.scalars(select(HumanTask).where(HumanTask.element_id == "onsite_report")).one()
        assert type(case.instance(session).data["customer_signature"]) is int
        assert case.instance(session).data["customer_signature"] == int(attachment.id)
    digest = hashlib.sha256(SIGNATURE_PNG).hexdigest()
    assert (
        attachment.instance_id,
        attachment.task_id,
        attachment.content_type,
        attachment.size,
        attachment.sha256,
        attachment.uploaded_by,
        attachment.uploaded_at,
    ) == (case.id, task.id, "image/png", len(SIGNATURE_PNG), digest, WORKER.username, clock.now())
    assert runtime.attachment_folder is not None
    assert read_attachment(runtime.attachment_folder, attachment) == SIGNATURE_PNG
    callback_satisfied(case)


# --- (5) not satisfied: dispatched again until satisfied ----------------------------------------------------------------


def test_not_satisfied_twice_is_dispatched_again_until_satisfied_r5(
    case: RepairCase, clock: SettableClock, sessions: sessionmaker[Session]
) -> None:
    """R5: each time the customer is not satisfied the order goes back to dispatch, with fresh on-site and
    same-day deadlines (R3, R6) and its own 3-minute dispatch limit (R2); dispatch_count counts the rounds."""
    worker_on_site(case)
    report_repaired(case)

    clock.set(utc(23, 4))
    callback_not_satisfied(case, "仍在滴水")
    assert case.task("dispatch").due_at == utc(23, 4, 3)
    clock.set(utc(23, 4, 1))
    assert dispatch(case, worker="维修二班 李师傅") == "2026-11-23T12:31:00+08:00"
    assert case.data["dispatch_count"] == 2
    assert case.task("arrive_on_site").due_at == utc(23, 4, 31)
    clock.set(utc(23, 4, 25))
    arrive(case)
    clock.set(utc(23, 5))
    report_repaired(case, diagnosis="阀门内漏", work_done="更换进户阀门", materials="DN20球阀1个")

    # the next day: not satisfied again, and this time the dispatch is late
    clock.set(utc(24, 1))
    callback_not_satisfied(case, "阀门处有异响")
    clock.set(utc(24, 1, 3))
    case.fire_due_timers(
        events=[
            timer_fired("dispatch_deadline"),
            script("record_dispatch_overdue", new(dispatch_overdue=True)),
            end("end_dispatch_overdue"),
        ],
        open_now=[("dispatch", "dispatcher")],
    )
    clock.set(utc(24, 1, 6))
    reply_due, reply_due_utc = end_of_day(24)
    assert (
        dispatch(case, worker="维修一班 王师傅", note="第三次上门,请班长同去") == "2026-11-24T09:36:00+08:00"
    )
    assert case.data["reply_due"] == reply_due
    clock.set(utc(24, 1, 30))
    arrive(case)
    assert case.task("onsite_report").due_at == reply_due_utc
    clock.set(utc(24, 2))
    report_repaired(case, diagnosis="水锤引起异响", work_done="加装减压阀", materials="减压阀1个")
    clock.set(utc(24, 3))
    callback_satisfied(case)

    assert case.data["dispatch_count"] == 3
    with sessions() as session:
        tasks = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == case.id).order_by(HumanTask.id)
        ).all()
        assert [(t.element_id, t.status, t.completed_by) for t in tasks] == [
            ("dispatch", "completed", "disp1"),
            ("arrive_on_site", "completed", "worker1"),
            ("onsite_report", "completed", "worker1"),
            ("callback", "completed", "disp1"),
        ] * 3
        assert [t.due_at for t in tasks if t.element_id == "dispatch"] == [
            utc(23, 1, 3),
            utc(23, 4, 3),
            utc(24, 1, 3),
        ]


# --- (6) the same-day report, extensions ----------------------------------------------------------------------------------


def until_on_site(case: RepairCase, clock: SettableClock) -> None:
    open_order(case, category="facility")
    clock.set(utc(23, 1, 2))
    dispatch(case, arrival_in=60)
    clock.set(utc(23, 2))
    arrive(case)


def request_extension(case: RepairCase) -> None:
    """R6: the worker cannot finish today and asks for more time, with a reason; the supervisor decides."""
    values = {
        "diagnosis": "换热器内漏,需整体更换",
        "work_done": "",
        "materials": "",
        "steps_explained": "on",
        "customer_signed": "on",
        "outcome": "extension",
        "extension_reason": "换热器备件明天到货",
    }
    case.complete(
        "onsite_report",
        WORKER,
        values,
        events=[
            completed(
                WORKER,
                "onsite_report",
                changes(
                    case,
                    diagnosis="换热器内漏,需整体更换",
                    work_done=None,
                    materials=None,
                    steps_explained=True,
                    customer_signed=True,
                    signer_name=None,
                    customer_signature=None,
                    customer_damage=False,
                    damage_description=None,
                    damage_confirmed=False,
                    outcome="extension",
                    extension_reason="换热器备件明天到货",
                ),
            ),
            created("approve_extension", "supervisor"),
        ],
        open_now=[("approve_extension", "supervisor")],
    )


def test_extension_needs_a_reason_r6(case: RepairCase, clock: SettableClock) -> None:
    until_on_site(case, clock)
    refused = case.refused(
        "onsite_report", WORKER, {**REPORT, "work_done": "", "outcome": "extension"}, FormInvalid
    )
    assert refused.errors == {"extension_reason": FieldError("required")}


def test_extension_approved_moves_the_report_deadline_r6(case: RepairCase, clock: SettableClock) -> None:
    """R6: an approved extension moves the deadline to the end of the approved day; the old same-day
    deadline passing then does nothing."""
    until_on_site(case, clock)
    reply_due, reply_due_utc = end_of_day(23)
    clock.set(utc(23, 6))
    request_extension(case)
    assert case.timers()[-1] == ("report_deadline", reply_due_utc, "cancelled")
    # the worker cannot approve their own extension
    case.refused(
        "approve_extension", WORKER, {"extension_approved": "on", "extended_until": "2026-11-25"}, NotAllowed
    )
    refused = case.refused(
        "approve_extension", SUPERVISOR, {"extension_approved": "on", "extended_until": ""}, FormInvalid
    )
    assert refused.errors == {"extended_until": FieldError("required")}

    clock.set(utc(23, 6, 30))
    extended_due, extended_due_utc = end_of_day(25)
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {"extension_approved": "on", "extended_until": "2026-11-25", "supervisor_comment": "同意延期至25日"},
        events=[
            completed(
                SUPERVISOR,
                "approve_extension",
                new(
                    extended_until="2026-11-25", extension_approved=True, supervisor_comment="同意延期至25日"
                ),
            ),
            script(
                "apply_extension",
                {
                    "outcome": ["extension", None],
                    "own_reply_due": [reply_due, extended_due],
                    "reply_due": [reply_due, extended_due],
                },
            ),
            created("onsite_report", "repair_worker"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )
    assert case.task("onsite_report").due_at == extended_due_utc
    assert case.timers()[-1] == ("report_deadline", extended_due_utc, "waiting")

    clock.set(utc(24, 1))
    nothing_due(case)
    clock.set(utc(25, 3))
    report_repaired(case, diagnosis="换热器内漏,需整体更换", work_done="更换换热器", materials="换热器1台")
    assert case.data["extension_reason"] is None
    callback_satisfied(case)
    assert "reply_overdue" not in case.data


def test_extension_rejected_keeps_the_same_day_deadline_r6(case: RepairCase, clock: SettableClock) -> None:
    until_on_site(case, clock)
    reply_due, reply_due_utc = end_of_day(23)
    clock.set(utc(23, 6))
    request_extension(case)

    clock.set(utc(23, 6, 30))
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {
            "extension_approved": "",
            "extended_until": "2026-11-25",
            "supervisor_comment": "先做临时封堵,今天回单",
        },
        events=[
            completed(
                SUPERVISOR,
                "approve_extension",
                new(
                    extended_until="2026-11-25",
                    extension_approved=False,
                    supervisor_comment="先做临时封堵,今天回单",
                ),
            ),
            script("apply_extension", {"outcome": ["extension", None]}),
            created("onsite_report", "repair_worker"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )
    assert case.data["reply_due"] == reply_due
    assert case.task("onsite_report").due_at == reply_due_utc
    assert case.timers()[-2:] == [
        ("report_deadline", reply_due_utc, "cancelled"),
        ("report_deadline", reply_due_utc, "waiting"),
    ]

    clock.set(utc(23, 8))
    report_repaired(case, diagnosis="换热器内漏,需整体更换", work_done="临时封堵,恢复供热", materials="")
    callback_satisfied(case)


def test_report_not_made_the_same_day_is_recorded_r6(case: RepairCase, clock: SettableClock) -> None:
    """R6: a result not reported by the end of the day is recorded; the report stays with the workers."""
    until_on_site(case, clock)
    task = case.task("onsite_report")
    _, reply_due_utc = end_of_day(23)
    clock.set(reply_due_utc - timedelta(seconds=1))
    nothing_due(case)

    clock.set(utc(23, 16, 5))  # 00:05 the next day in Shanghai
    case.fire_due_timers(
        events=[
            timer_fired("report_deadline"),
            script("record_report_overdue", new(reply_overdue=True)),
            end("end_report_overdue"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )
    assert (case.task("onsite_report").id, case.task("onsite_report").due_at) == (task.id, reply_due_utc)
    assert case.timers()[-1] == ("report_deadline", reply_due_utc, "fired")
    nothing_due(case)

    clock.set(utc(24, 1))
    report_repaired(case)
    callback_satisfied(case)
    assert case.data["reply_overdue"] is True


# --- (7) the extension loop taken twice ---------------------------------------------------------------------------------


def request_another_extension(case: RepairCase, diagnosis: str, reason: str) -> None:
    """R6: back on the report after a decision, the worker asks for more time again, with a new reason."""
    values = {
        "diagnosis": diagnosis,
        "work_done": "",
        "materials": "",
        "steps_explained": "on",
        "customer_signed": "on",
        "outcome": "extension",
        "extension_reason": reason,
    }
    case.complete(
        "onsite_report",
        WORKER,
        values,
        events=[
            completed(
                WORKER,
                "onsite_report",
                changes(
                    case,
                    diagnosis=diagnosis,
                    work_done=None,
                    materials=None,
                    steps_explained=True,
                    customer_signed=True,
                    signer_name=None,
                    customer_signature=None,
                    customer_damage=False,
                    damage_description=None,
                    damage_confirmed=False,
                    outcome="extension",
                    extension_reason=reason,
                ),
            ),
            created("approve_extension", "supervisor"),
        ],
        open_now=[("approve_extension", "supervisor")],
    )


def test_extension_requested_twice_r6(
    case: RepairCase, clock: SettableClock, sessions: sessionmaker[Session]
) -> None:
    """R6: the extension loop twice: the first request is approved and moves the report deadline to the
    25th; the second, with a new reason, is rejected and keeps the 25th; the worker then reports."""
    until_on_site(case, clock)
    reply_due, reply_due_utc = end_of_day(23)

    # first pass: requested and approved
    clock.set(utc(23, 6))
    request_extension(case)
    assert case.timers()[-1] == ("report_deadline", reply_due_utc, "cancelled")
    clock.set(utc(23, 6, 30))
    extended_due, extended_due_utc = end_of_day(25)
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {"extension_approved": "on", "extended_until": "2026-11-25", "supervisor_comment": "同意延期至25日"},
        events=[
            completed(
                SUPERVISOR,
                "approve_extension",
                new(
                    extended_until="2026-11-25", extension_approved=True, supervisor_comment="同意延期至25日"
                ),
            ),
            script(
                "apply_extension",
                {
                    "outcome": ["extension", None],
                    "own_reply_due": [reply_due, extended_due],
                    "reply_due": [reply_due, extended_due],
                },
            ),
            created("onsite_report", "repair_worker"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )
    assert case.task("onsite_report").due_at == extended_due_utc
    assert case.timers()[-2:] == [
        ("report_deadline", reply_due_utc, "cancelled"),
        ("report_deadline", extended_due_utc, "waiting"),
    ]

    # second pass: a new reason, only what changed is recorded; the reason is still required
    clock.set(utc(25, 2))
    refused = case.refused(
        "onsite_report", WORKER, {**REPORT, "work_done": "", "outcome": "extension"}, FormInvalid
    )
    assert refused.errors == {"extension_reason": FieldError("required")}
    request_another_extension(case, "换热器到货型号不符", "厂家重新发货,预计27日到")
    assert case.data["extension_reason"] == "厂家重新发货,预计27日到"
    assert case.timers()[-1] == ("report_deadline", extended_due_utc, "cancelled")
    case.refused(
        "approve_extension", WORKER, {"extension_approved": "on", "extended_until": "2026-11-27"}, NotAllowed
    )

    clock.set(utc(25, 2, 30))
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {
            "extension_approved": "",
            "extended_until": "2026-11-27",
            "supervisor_comment": "先临时修复,今天回单",
        },
        events=[
            completed(
                SUPERVISOR,
                "approve_extension",
                {
                    "extended_until": ["2026-11-25", "2026-11-27"],
                    "extension_approved": [True, False],
                    "supervisor_comment": ["同意延期至25日", "先临时修复,今天回单"],
                },
            ),
            script("apply_extension", {"outcome": ["extension", None]}),
            created("onsite_report", "repair_worker"),
        ],
        open_now=[("onsite_report", "repair_worker")],
    )
    assert case.data["reply_due"] == extended_due
    assert case.task("onsite_report").due_at == extended_due_utc
    assert case.timers()[1:] == [
        ("onsite_deadline", utc(23, 3, 2), "cancelled"),
        ("report_deadline", reply_due_utc, "cancelled"),
        ("report_deadline", extended_due_utc, "cancelled"),
        ("report_deadline", extended_due_utc, "waiting"),
    ]

    clock.set(utc(25, 6))
    report_repaired(case, diagnosis="换热器到货型号不符", work_done="临时封堵换热器,恢复供热", materials="")
    assert case.data["extension_reason"] is None
    assert case.timers()[-2] == ("report_deadline", extended_due_utc, "cancelled")
    clock.set(utc(25, 7))
    callback_satisfied(case)
    assert "reply_overdue" not in case.data
    with sessions() as session:
        tasks = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == case.id).order_by(HumanTask.id)
        ).all()
        assert [(t.element_id, t.status, t.completed_by) for t in tasks] == [
            ("dispatch", "completed", "disp1"),
            ("arrive_on_site", "completed", "worker1"),
            *[("onsite_report", "completed", "worker1"), ("approve_extension", "completed", "sup1")] * 2,
            ("onsite_report", "completed", "worker1"),
            ("callback", "completed", "disp1"),
        ]
