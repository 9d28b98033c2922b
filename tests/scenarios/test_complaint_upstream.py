"""complaint.bpmn, the path of a case forwarded by a platform (U1): it works to the earlier of the
platform's deadline and its own, and after the callback its result is replied on the platform before the
case can close. Every step reloads the case from the database (tests/scenarios/driver.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.clock import SettableClock
from tests.helpers import OPERATOR, department_handler, intake_form
from tests.scenarios.driver import CaseDriver, completed, created, end, new, script
from tests.scenarios.test_complaint import (
    TASK_NAMES,
    callback_satisfied,
    end_of_day,
    intake_changes,
    resolve,
    routed,
    summarise_and_close,
    utc,
)
from tests.scenarios.test_complaint import case as case  # the fixture  # noqa: F401

UPSTREAM_TASK_NAMES = {**TASK_NAMES, "reply_on_platform": "在上级平台答复"}
PLATFORM_DEADLINE = "2026-11-23T18:00:00+08:00"


def test_platform_deadline_earlier_than_our_own_u1(case: CaseDriver, clock: SettableClock) -> None:
    """U1: a 12345 case due at 18:00 today is due then, not at the end of the day (C3's own deadline)."""
    case.task_names = UPSTREAM_TASK_NAMES
    own_due, _ = end_of_day(23)
    form = intake_form(
        case_source="mayor_12345",
        upstream_reference="YC12345-20261123-0042",
        upstream_deadline=PLATFORM_DEADLINE,
    )
    case.start(
        OPERATOR,
        form,
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(
                OPERATOR,
                "intake",
                intake_changes(
                    case_source="mayor_12345",
                    upstream_reference="YC12345-20261123-0042",
                    upstream_deadline=PLATFORM_DEADLINE,
                ),
            ),
            *routed(),
            script(
                "set_reply_deadline", new(own_reply_due=own_due, reopen_count=0, reply_due=PLATFORM_DEADLINE)
            ),
            end("end_assist_parts"),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    platform_due_utc = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert case.task("department_handling").due_at == platform_due_utc
    assert case.timers() == [("reply_deadline", platform_due_utc, "waiting")]
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.source, instance.upstream_reference, instance.upstream_deadline) == (
            "mayor_12345",
            "YC12345-20261123-0042",
            platform_due_utc,
        )

    clock.set(utc(23, 2, 30))
    resolve(case, department_handler("operations"), "换热站阀门卡滞", "已更换阀门,室温恢复到20度")
    clock.set(utc(23, 3))
    reply_text = "处理结果:已更换阀门,室温恢复到20度\n回访:客户满意。客户表示满意"
    case.complete(
        "callback",
        OPERATOR,
        {"customer_informed": "on", "satisfied": "yes", "callback_note": "客户表示满意"},
        events=[
            completed(
                OPERATOR,
                "callback",
                new(customer_informed=True, satisfied="yes", callback_note="客户表示满意"),
            ),
            script("prepare_platform_reply", new(platform_reply=reply_text)),
            created("reply_on_platform", "operator"),
        ],
        open_now=[("reply_on_platform", "operator")],
    )
    clock.set(utc(23, 3, 10))
    case.complete(
        "reply_on_platform",
        OPERATOR,
        {"platform_reply": reply_text, "platform_answer": "平台已受理,待市民评价"},
        events=[
            completed(OPERATOR, "reply_on_platform", new(platform_answer="平台已受理,待市民评价")),
            created("summarise_and_close", "operator"),
        ],
        open_now=[("summarise_and_close", "operator")],
    )
    clock.set(utc(23, 3, 20))
    summarise_and_close(case)


def test_own_deadline_when_the_platform_gives_more_time_u1(case: CaseDriver) -> None:
    """U1: a platform deadline later than today's end leaves the same-day reply deadline (C3)."""
    own_due, own_due_utc = end_of_day(23)
    case.start(
        OPERATOR,
        intake_form(case_source="digital_city", upstream_deadline="2026-11-27T12:00"),
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(
                OPERATOR,
                "intake",
                intake_changes(case_source="digital_city", upstream_deadline="2026-11-27T12:00:00+08:00"),
            ),
            *routed(),
            script("set_reply_deadline", new(own_reply_due=own_due, reopen_count=0, reply_due=own_due)),
            end("end_assist_parts"),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert case.task("department_handling").due_at == own_due_utc


def test_a_hotline_case_keeps_no_platform_deadline_and_closes_without_reply_u1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """U1: a deadline typed for a walk-in (no platform) is dropped; after the callback the case closes."""
    own_due, own_due_utc = end_of_day(23)
    case.start(
        OPERATOR,
        intake_form(case_source="walk_in", upstream_reference="X1", upstream_deadline="2026-11-23T09:00"),
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(OPERATOR, "intake", intake_changes(case_source="walk_in")),
            *routed(),
            script("set_reply_deadline", new(own_reply_due=own_due, reopen_count=0, reply_due=own_due)),
            end("end_assist_parts"),
            created("department_handling", "operations"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert case.task("department_handling").due_at == own_due_utc
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.source, instance.upstream_reference, instance.upstream_deadline) == (
            "walk_in",
            None,
            None,
        )
    clock.set(utc(23, 2, 30))
    resolve(case, department_handler("operations"), "换热站阀门卡滞", "已更换阀门")
    clock.set(utc(23, 3))
    callback_satisfied(case)
    clock.set(utc(23, 3, 20))
    summarise_and_close(case)
