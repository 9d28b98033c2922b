"""complaint.bpmn, every path, rules C1-C7 and S3 of PROCEDURES.md.

Every step is its own unit of work (`with sessions.begin()`), and the engine's workflow cache is
cleared after each one, so the next step really reloads the case from the database. After every step
the test checks the open tasks and their candidate groups, the case data projection and summary
columns, and exactly the history events the step wrote.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import engine
import engine.cases.runner
from engine.bpmn.form_fields import FieldError
from engine.cases.runner import due_timer_ids
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessDefinition, Timer
from engine.errors import FormInvalid, NotAllowed
from engine.people.users import PII_ROLES
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, SUPERVISOR, department_handler, events_of, intake_form, timers_of
from tests.scenarios.driver import CLOSED, CaseDriver, Ev, completed, created, end, new, script, timer_fired

ComplaintCase = CaseDriver

TASK_NAMES = {
    "intake": "登记投诉",
    "dispatch_site_order": "派发现场工单",
    "department_handling": "调查处理并答复",
    "approve_extension": "审批延期申请",
    "callback": "回访客户",
    "summarise_and_close": "分析总结并结案",
}


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def end_of_day(day: int) -> tuple[str, datetime]:
    """The same-day reply deadline (C3) of a November day: as case data, and in UTC."""
    return f"2026-11-{day:02d}T23:59:59+08:00", utc(day, 15, 59, 59)


@pytest.fixture
def case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> ComplaintCase:
    return ComplaintCase(sessions, runtime, clock, "complaint", TASK_NAMES)


# --- common stretches of the path --------------------------------------------------------------------------

INTAKE_CHANGES = new(
    customer_name="张伟",
    customer_phone="13800001111",
    address="金明小区3号楼2单元501",
    occurred_at="2026-11-22",
    description="室内温度只有14度,已经持续三天。",
    category="temperature",
    department="operations",
    needs_site_visit=False,
    confidential=False,
    apologised=True,
    case_source="hotline",
    upstream_reference=None,
    upstream_deadline=None,
    assisting_departments=[],
)


def intake_changes(**overrides: Any) -> dict[str, list[Any]]:
    return {**INTAKE_CHANGES, **new(**overrides)}


def routed(department: str = "operations", minutes: int = 240) -> list[Ev]:
    """C1, C2, 003 art. 13: the routing table's answer for the category; the operator's department stays."""
    return [
        script("route_by_category", new(onsite_limit_minutes=minutes, routed_department=department)),
        script("apply_route", {}),
    ]


def start_without_site_visit(case: ComplaintCase, department: str = "operations") -> None:
    """C1, S3: the operator records the call and classifies it; C3: the department gets it, due today."""
    reply_due, _ = end_of_day(23)
    case.start(
        OPERATOR,
        intake_form(department=department),
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(OPERATOR, "intake", intake_changes(department=department)),
            *routed(),
            script("set_reply_deadline", new(own_reply_due=reply_due, reopen_count=0, reply_due=reply_due)),
            end("end_assist_parts"),
            created("department_handling", department),
        ],
        open_now=[("department_handling", department)],
    )


def resolve(
    case: ComplaintCase, handler: Actor, investigation: str, result: str, before: dict[str, Any] | None = None
) -> None:
    """C3: the department replies with the result; C5: the operator calls the customer back."""
    before = before or {}
    changes = {
        "investigation": [before.get("investigation"), investigation],
        "outcome": [before.get("outcome"), "resolved"],
        "result": [before.get("result"), result],
        "extension_reason": [before.get("extension_reason"), None],
        "sendback_reason": [before.get("sendback_reason"), None],
        "suggested_department": [before.get("suggested_department"), None],
    }
    changes = {k: v for k, v in changes.items() if v[0] != v[1] or k not in case.data}
    case.complete(
        "department_handling",
        handler,
        {"investigation": investigation, "outcome": "resolved", "result": result},
        events=[
            completed(handler, "department_handling", dict(sorted(changes.items()))),
            created("callback", "operator"),
        ],
        open_now=[("callback", "operator")],
    )


def callback_satisfied(case: ComplaintCase, before: dict[str, Any] | None = None) -> None:
    before = before or {}
    changes = {
        "customer_informed": [before.get("customer_informed"), True],
        "satisfied": [before.get("satisfied"), "yes"],
        "callback_note": [before.get("callback_note"), "客户表示满意"],
    }
    case.complete(
        "callback",
        OPERATOR,
        {"customer_informed": "on", "satisfied": "yes", "callback_note": "客户表示满意"},
        events=[
            completed(OPERATOR, "callback", {k: v for k, v in changes.items() if v[0] != v[1]}),
            created("summarise_and_close", "operator"),
        ],
        open_now=[("summarise_and_close", "operator")],
    )


def summarise_and_close(case: ComplaintCase) -> None:
    """C6: closed with cause, improvement and reason; C7: closed, never deleted."""
    values = {"root_cause": "换热站阀门故障", "improvement": "每周巡检阀门", "close_reason": "resolved"}
    case.complete(
        "summarise_and_close",
        OPERATOR,
        values,
        events=[
            completed(OPERATOR, "summarise_and_close", new(**dict(sorted(values.items())))),
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
        assert all(t.fired_at is not None for t in timers_of(session, case.id))


# --- (1) satisfied at once ------------------------------------------------------------------------------------


def test_satisfied_at_once_c1_c3_c5_c6_s3(case: ComplaintCase, clock: SettableClock) -> None:
    """C1/S3 intake by the operator who took the call, C3 same-day reply, C5 callback, C6 close."""
    start_without_site_visit(case)
    _, due_utc = end_of_day(23)
    assert case.task("department_handling").due_at == due_utc
    assert case.timers() == [("reply_deadline", due_utc, "waiting")]
    with case.sessions() as session:
        instance = case.instance(session)
        # C1: time, place, description, contact, category and department are recorded; S3: owned by op1
        assert (instance.opened_by, instance.opened_at, instance.case_number) == (
            "op1",
            clock.now(),
            "TS-20261123-0001",
        )
        assert (instance.category, instance.department, instance.address) == (
            "temperature",
            "operations",
            "金明小区3号楼2单元501",
        )

    clock.set(utc(23, 2, 30))
    resolve(case, department_handler("operations"), "换热站阀门卡滞", "已更换阀门,室温恢复到20度")
    # C5: the callback is due 24 hours after the department replied, and so on the overdue board then.
    assert case.timers() == [
        ("reply_deadline", due_utc, "cancelled"),
        ("callback_deadline", utc(24, 2, 30), "waiting"),
    ]
    assert case.task("callback").due_at == utc(24, 2, 30)

    clock.set(utc(23, 3))
    callback_satisfied(case)
    assert case.timers()[-1] == ("callback_deadline", utc(24, 2, 30), "cancelled")

    clock.set(utc(23, 3, 10))
    # C6: no close without cause and improvement measure
    refused = case.refused(
        "summarise_and_close",
        OPERATOR,
        {"root_cause": "", "improvement": "", "close_reason": "resolved"},
        FormInvalid,
    )
    assert refused.errors == {"root_cause": FieldError("required"), "improvement": FieldError("required")}
    summarise_and_close(case)
    assert (case.data["satisfied"], case.data["reopen_count"], case.data["close_reason"]) == (
        "yes",
        0,
        "resolved",
    )


# --- (2) site visit, then unsatisfied twice -------------------------------------------------------------------


def test_site_visit_then_unsatisfied_twice_then_satisfied_c2_c5(
    case: ComplaintCase, clock: SettableClock
) -> None:
    """C2: the site order is issued within 3 minutes; C5: not satisfied goes back to the same department."""
    repair = department_handler("repair")
    form = intake_form(department="repair", category="facility", needs_site_visit="on")
    case.start(
        OPERATOR,
        form,
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(
                OPERATOR,
                "intake",
                intake_changes(department="repair", category="facility", needs_site_visit=True),
            ),
            *routed("repair", 120),
            created("dispatch_site_order", "operator"),
        ],
        open_now=[("dispatch_site_order", "operator")],
    )
    assert case.task("dispatch_site_order").due_at == utc(23, 1, 3)
    assert case.timers() == [("dispatch_deadline", utc(23, 1, 3), "waiting")]

    clock.set(utc(23, 1, 2))  # within the 3 minutes
    reply_due, due_utc = end_of_day(23)
    case.complete(
        "dispatch_site_order",
        OPERATOR,
        {"site_order_note": "楼道暖气管漏水,请维修部上门", "visit_window": "今天10点前"},
        events=[
            completed(
                OPERATOR,
                "dispatch_site_order",
                new(site_order_note="楼道暖气管漏水,请维修部上门", visit_window="今天10点前"),
            ),
            script("set_reply_deadline", new(own_reply_due=reply_due, reopen_count=0, reply_due=reply_due)),
            end("end_assist_parts"),
            created("department_handling", "repair"),
        ],
        open_now=[("department_handling", "repair")],
    )
    assert case.timers() == [
        ("dispatch_deadline", utc(23, 1, 3), "cancelled"),
        ("reply_deadline", due_utc, "waiting"),
    ]
    assert "dispatch_overdue" not in case.data

    clock.set(utc(23, 3))
    resolve(case, repair, "暖气管接头老化漏水", "已更换接头")

    # C5: not satisfied -> back to the same department, same day
    clock.set(utc(23, 4))
    case.complete(
        "callback",
        OPERATOR,
        {"customer_informed": True, "satisfied": "no", "callback_note": "仍然漏水"},
        events=[
            completed(
                OPERATOR, "callback", new(callback_note="仍然漏水", customer_informed=True, satisfied="no")
            ),
            script("reopen_for_department", {"outcome": ["resolved", None], "reopen_count": [0, 1]}),
            created("department_handling", "repair"),
        ],
        open_now=[("department_handling", "repair")],
    )
    assert case.task("department_handling").due_at == due_utc

    clock.set(utc(23, 6))
    resolve(case, repair, "重新检查发现阀门也漏", "已更换阀门", before=case.data)

    # the next day: not satisfied again, with that day's deadline
    clock.set(utc(24, 2))
    next_due, next_due_utc = end_of_day(24)
    case.complete(
        "callback",
        OPERATOR,
        {"customer_informed": True, "satisfied": "no", "callback_note": "地面还有水"},
        events=[
            completed(OPERATOR, "callback", {"callback_note": ["仍然漏水", "地面还有水"]}),
            script(
                "reopen_for_department",
                {
                    "outcome": ["resolved", None],
                    "reopen_count": [1, 2],
                    "own_reply_due": [reply_due, next_due],
                    "reply_due": [reply_due, next_due],
                },
            ),
            created("department_handling", "repair"),
        ],
        open_now=[("department_handling", "repair")],
    )
    assert case.task("department_handling").due_at == next_due_utc
    assert [(e, d, s) for e, d, s in case.timers()][-1] == ("reply_deadline", next_due_utc, "waiting")

    clock.set(utc(24, 3))
    resolve(case, repair, "清理积水并做防水", "已处理完毕", before=case.data)
    clock.set(utc(24, 4))
    callback_satisfied(case, before=case.data)
    clock.set(utc(24, 5))
    summarise_and_close(case)
    assert case.data["reopen_count"] == 2
    with case.sessions() as session:
        handled = session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == case.id, HumanTask.element_id == "department_handling")
            .order_by(HumanTask.id)
        ).all()
        # C5/C4: three rounds, all with the same department, each completed by it
        assert [(t.candidate_groups, t.status, t.completed_by) for t in handled] == [
            ("repair", "completed", "repair_handler")
        ] * 3


# --- (3) extension requested ------------------------------------------------------------------------------------


def request_extension(case: ComplaintCase, handler: Actor) -> None:
    """C3: the department asks for more time, with a reason; the duty supervisor decides."""
    case.complete(
        "department_handling",
        handler,
        {"investigation": "需要更换主管道阀门", "outcome": "extension", "extension_reason": "备件明天到货"},
        events=[
            completed(
                handler,
                "department_handling",
                new(
                    extension_reason="备件明天到货",
                    investigation="需要更换主管道阀门",
                    outcome="extension",
                    result=None,
                    sendback_reason=None,
                    suggested_department=None,
                ),
            ),
            created("approve_extension", "supervisor"),
        ],
        open_now=[("approve_extension", "supervisor")],
    )


def test_extension_approved_moves_the_deadline_c3(case: ComplaintCase, clock: SettableClock) -> None:
    ops = department_handler("operations")
    start_without_site_visit(case)
    clock.set(utc(23, 5))
    request_extension(case, ops)
    reply_due, due_utc = end_of_day(23)
    assert case.timers() == [("reply_deadline", due_utc, "cancelled")]
    # the department cannot decide on its own extension
    case.refused(
        "approve_extension", ops, {"extension_approved": True, "extended_until": "2026-11-25"}, NotAllowed
    )

    clock.set(utc(23, 6))
    extended_due, extended_due_utc = end_of_day(25)
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {
            "extension_approved": "true",
            "extended_until": "2026-11-25",
            "supervisor_comment": "同意延期至25日",
        },
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
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert case.task("department_handling").due_at == extended_due_utc
    assert case.timers() == [
        ("reply_deadline", due_utc, "cancelled"),
        ("reply_deadline", extended_due_utc, "waiting"),
    ]

    # the old same-day deadline passing does nothing now
    clock.set(utc(24, 1))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []

    clock.set(utc(25, 3))
    resolve(case, ops, "已更换主管道阀门", "供热恢复", before=case.data)
    clock.set(utc(25, 4))
    callback_satisfied(case)
    summarise_and_close(case)


def test_extension_rejected_keeps_the_deadline_c3(case: ComplaintCase, clock: SettableClock) -> None:
    ops = department_handler("operations")
    start_without_site_visit(case)
    clock.set(utc(23, 5))
    request_extension(case, ops)
    reply_due, due_utc = end_of_day(23)

    clock.set(utc(23, 6))
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {"extension_approved": "", "extended_until": "2026-11-25", "supervisor_comment": "今天必须答复"},
        events=[
            completed(
                SUPERVISOR,
                "approve_extension",
                new(extended_until="2026-11-25", extension_approved=False, supervisor_comment="今天必须答复"),
            ),
            script("apply_extension", {"outcome": ["extension", None]}),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert case.data["reply_due"] == reply_due
    assert case.task("department_handling").due_at == due_utc
    assert case.timers() == [("reply_deadline", due_utc, "cancelled"), ("reply_deadline", due_utc, "waiting")]

    clock.set(utc(23, 8))
    resolve(case, ops, "临时调整阀门开度", "室温已达标", before=case.data)
    callback_satisfied(case)
    summarise_and_close(case)


def test_extension_request_needs_a_reason_c3(case: ComplaintCase) -> None:
    start_without_site_visit(case)
    case.refused(
        "department_handling",
        department_handler("operations"),
        {"investigation": "需要更换主管道阀门", "outcome": "extension", "extension_reason": ""},
        FormInvalid,
    )


# --- (4) the reply deadline passes: chase, no bouncing ---------------------------------------------------------------


def test_reply_deadline_passing_chases_the_department_c4(case: ComplaintCase, clock: SettableClock) -> None:
    """C4: the chase is recorded and the task stays open with the same department."""
    ops = department_handler("operations")
    start_without_site_visit(case)
    task_before = case.task("department_handling")
    _, due_utc = end_of_day(23)

    clock.set(due_utc - timedelta(seconds=1))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []

    clock.set(utc(23, 16, 5))  # 00:05 the next day in Shanghai
    case.fire_due_timers(
        events=[
            timer_fired("reply_deadline"),
            script("record_reply_overdue", new(overdue_chased=True)),
            end("end_reply_overdue"),
        ],
        open_now=[("department_handling", "operations")],
    )
    task_after = case.task("department_handling")
    assert (task_after.id, task_after.task_guid, task_after.status) == (
        task_before.id,
        task_before.task_guid,
        "open",
    )
    assert task_after.due_at == due_utc  # still visibly overdue
    assert case.timers() == [("reply_deadline", due_utc, "fired")]
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []  # chased once only

    # no bouncing: another department cannot take it, and the form cannot move it
    case.refused(
        "department_handling",
        department_handler("billing"),
        {"investigation": "不是我们部门的事", "outcome": "resolved"},
        NotAllowed,
    )
    clock.set(utc(24, 1))
    case.complete(
        "department_handling",
        ops,
        {
            "investigation": "夜间补水后恢复",
            "outcome": "resolved",
            "result": "已答复客户",
            "department": "billing",
        },
        events=[
            completed(
                ops,
                "department_handling",
                new(
                    extension_reason=None,
                    investigation="夜间补水后恢复",
                    outcome="resolved",
                    result="已答复客户",
                    sendback_reason=None,
                    suggested_department=None,
                ),
            ),
            created("callback", "operator"),
        ],
        open_now=[("callback", "operator")],
    )
    assert case.data["department"] == "operations"
    callback_satisfied(case)
    summarise_and_close(case)
    assert case.data["overdue_chased"] is True


# --- (5) the 3-minute dispatch timer -----------------------------------------------------------------------------------


def test_dispatch_not_issued_within_three_minutes_is_recorded_c2(
    case: ComplaintCase, clock: SettableClock
) -> None:
    """C2: a site order not issued within 3 minutes of intake is recorded; the order stays open."""
    form = intake_form(needs_site_visit=True)
    case.start(
        OPERATOR,
        form,
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(OPERATOR, "intake", intake_changes(needs_site_visit=True)),
            *routed(),
            created("dispatch_site_order", "operator"),
        ],
        open_now=[("dispatch_site_order", "operator")],
    )
    order = case.task("dispatch_site_order")

    clock.set(utc(23, 1, 2, 59))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []
    clock.set(utc(23, 1, 3))
    case.fire_due_timers(
        events=[
            timer_fired("dispatch_deadline"),
            script("record_dispatch_overdue", new(dispatch_overdue=True)),
            end("end_dispatch_overdue"),
        ],
        open_now=[("dispatch_site_order", "operator")],
    )
    assert case.task("dispatch_site_order").id == order.id
    assert case.task("dispatch_site_order").due_at == utc(23, 1, 3)
    assert case.timers() == [("dispatch_deadline", utc(23, 1, 3), "fired")]

    clock.set(utc(23, 1, 5))
    reply_due, due_utc = end_of_day(23)
    case.complete(
        "dispatch_site_order",
        OPERATOR,
        {"site_order_note": "请生产运行部上门测温"},
        events=[
            completed(
                OPERATOR,
                "dispatch_site_order",
                new(site_order_note="请生产运行部上门测温", visit_window=None),
            ),
            script("set_reply_deadline", new(own_reply_due=reply_due, reopen_count=0, reply_due=reply_due)),
            end("end_assist_parts"),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    clock.set(utc(23, 5))
    resolve(case, department_handler("operations"), "上门测温16度,调整了流量", "室温恢复")
    callback_satisfied(case)
    summarise_and_close(case)
    assert case.data["dispatch_overdue"] is True


# --- C7: a complaint is never deleted --------------------------------------------------------------------------------


def test_engine_offers_no_way_to_delete_a_case_c7() -> None:
    """C7: hiding or deleting a complaint is forbidden, so the engine API has no delete of any kind."""
    forbidden = ("delete", "remove", "purge", "destroy", "drop", "erase")
    public = [
        name for name, obj in inspect.getmembers(engine.cases.runner, callable) if not name.startswith("_")
    ]
    assert {"start_case", "complete_task", "fire_timer"} <= set(public)
    assert not [name for name in public if any(word in name.lower() for word in forbidden)]
    import pkgutil
    from importlib import import_module

    for module_info in pkgutil.walk_packages(engine.__path__, "engine."):
        if ".migrations" in module_info.name:
            continue
        module = import_module(module_info.name)
        names = [
            n for n, o in inspect.getmembers(module, inspect.isfunction) if o.__module__ == module.__name__
        ]
        assert not [n for n in names if any(w in n.lower() for w in forbidden) and "case" in n.lower()], (
            module.__name__
        )
        # A case's row and its history are never deleted (a waiting step's subscription row may be).
        source = inspect.getsource(module)
        assert not re.search(r"delete\((ProcessInstance|Event)\)", source), module.__name__


def test_complainant_identity_is_for_case_handling_roles_only_c7() -> None:
    assert {"operator", "supervisor"} <= PII_ROLES
    assert PII_ROLES.isdisjoint(
        {"customer_service", "operations", "repair", "technical", "billing", "repair_worker"}
    )


def test_a_closed_case_keeps_its_whole_history_c7(
    case: ComplaintCase,
    clock: SettableClock,
    sessions: sessionmaker[Session],
    open_tasks: Callable[[Session, int], list[HumanTask]],
) -> None:
    start_without_site_visit(case)
    with sessions() as session:
        first_events = [
            (e.id, e.kind, e.actor, e.element_id, e.changes, e.at) for e in events_of(session, case.id)
        ]
    resolve(case, department_handler("operations"), "换热站阀门卡滞", "已更换阀门")
    callback_satisfied(case)
    clock.advance(timedelta(days=30))
    summarise_and_close(case)
    with sessions() as session:
        instance = case.instance(session)
        history = [
            (e.id, e.kind, e.actor, e.element_id, e.changes, e.at) for e in events_of(session, case.id)
        ]
        assert history[: len(first_events)] == first_events  # earlier events unchanged: append-only
        assert [h[1] for h in history] == [
            "case_started",
            "task_completed",
            "script_ran",
            "script_ran",
            "script_ran",
            "end_reached",
            "task_created",
            "task_claimed_on_completion",
            "task_completed",
            "task_created",
            "task_claimed_on_completion",
            "task_completed",
            "task_created",
            "task_claimed_on_completion",
            "task_completed",
            "end_reached",
            "case_closed",
        ]
        assert instance.state and instance.data["close_reason"] == "resolved"
        tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == case.id)).all()
        assert [t.element_id for t in tasks] == ["department_handling", "callback", "summarise_and_close"]
        assert session.scalars(select(Timer).where(Timer.instance_id == case.id)).all()
        assert open_tasks(session, case.id) == []


# --- (6) the extension loop taken twice ---------------------------------------------------------------------------------


def test_extension_requested_twice_each_decided_by_the_supervisor_c3(
    case: ComplaintCase, clock: SettableClock
) -> None:
    """C3: a department may ask for more time again, with a new reason; each request goes to the duty
    supervisor, and each approval moves the reply deadline again. The case stays with the same department."""
    ops = department_handler("operations")
    start_without_site_visit(case)
    reply_due, due_utc = end_of_day(23)

    # first pass through the loop: requested, approved to the 25th
    clock.set(utc(23, 5))
    request_extension(case, ops)
    assert case.timers() == [("reply_deadline", due_utc, "cancelled")]
    clock.set(utc(23, 6))
    first_due, first_due_utc = end_of_day(25)
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {
            "extension_approved": "true",
            "extended_until": "2026-11-25",
            "supervisor_comment": "同意延期至25日",
        },
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
                    "own_reply_due": [reply_due, first_due],
                    "reply_due": [reply_due, first_due],
                },
            ),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert case.task("department_handling").due_at == first_due_utc
    assert case.timers() == [
        ("reply_deadline", due_utc, "cancelled"),
        ("reply_deadline", first_due_utc, "waiting"),
    ]

    # second pass: a new finding and a new reason; only what changed is recorded
    clock.set(utc(25, 2))
    case.refused(
        "department_handling",
        ops,
        {"investigation": "更换阀门时发现主管道锈蚀", "outcome": "extension", "extension_reason": ""},
        FormInvalid,
    )
    case.complete(
        "department_handling",
        ops,
        {
            "investigation": "更换阀门时发现主管道锈蚀",
            "outcome": "extension",
            "extension_reason": "需停水更换管段,已约27日施工",
        },
        events=[
            completed(
                ops,
                "department_handling",
                {
                    "extension_reason": ["备件明天到货", "需停水更换管段,已约27日施工"],
                    "investigation": ["需要更换主管道阀门", "更换阀门时发现主管道锈蚀"],
                    "outcome": [None, "extension"],
                },
            ),
            created("approve_extension", "supervisor"),
        ],
        open_now=[("approve_extension", "supervisor")],
    )
    assert case.timers() == [
        ("reply_deadline", due_utc, "cancelled"),
        ("reply_deadline", first_due_utc, "cancelled"),
    ]
    # again the department cannot decide on its own extension
    case.refused(
        "approve_extension", ops, {"extension_approved": True, "extended_until": "2026-11-27"}, NotAllowed
    )

    clock.set(utc(25, 3))
    second_due, second_due_utc = end_of_day(27)
    case.complete(
        "approve_extension",
        SUPERVISOR,
        {
            "extension_approved": "true",
            "extended_until": "2026-11-27",
            "supervisor_comment": "同意再延期至27日",
        },
        events=[
            completed(
                SUPERVISOR,
                "approve_extension",
                {
                    "extended_until": ["2026-11-25", "2026-11-27"],
                    "supervisor_comment": ["同意延期至25日", "同意再延期至27日"],
                },
            ),
            script(
                "apply_extension",
                {
                    "outcome": ["extension", None],
                    "own_reply_due": [first_due, second_due],
                    "reply_due": [first_due, second_due],
                },
            ),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert case.task("department_handling").due_at == second_due_utc
    assert case.timers() == [
        ("reply_deadline", due_utc, "cancelled"),
        ("reply_deadline", first_due_utc, "cancelled"),
        ("reply_deadline", second_due_utc, "waiting"),
    ]

    # the first extended deadline passing does nothing now
    clock.set(utc(26, 1))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []

    clock.set(utc(27, 3))
    resolve(case, ops, "已更换锈蚀管段和阀门", "供热恢复,室温21度", before=case.data)
    assert case.timers()[-2] == ("reply_deadline", second_due_utc, "cancelled")
    clock.set(utc(27, 4))
    callback_satisfied(case)
    summarise_and_close(case)
    assert (case.data["reply_due"], case.data["extension_reason"], case.data["reopen_count"]) == (
        second_due,
        None,
        0,
    )
    assert "overdue_chased" not in case.data
    with case.sessions() as session:
        tasks = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == case.id).order_by(HumanTask.id)
        ).all()
        assert [(t.element_id, t.candidate_groups, t.status, t.completed_by) for t in tasks] == [
            ("department_handling", "operations", "completed", "operations_handler"),
            ("approve_extension", "supervisor", "completed", "sup1"),
        ] * 2 + [
            ("department_handling", "operations", "completed", "operations_handler"),
            ("callback", "operator", "completed", "op1"),
            ("summarise_and_close", "operator", "completed", "op1"),
        ]
