"""repair.bpmn, the path of a repair forwarded by a platform (U1), e.g. a 数字城管 supervision case: the
report is due by the platform's deadline when it is earlier than the end of the day, and after the
callback the result is replied on the platform before the case closes. Every step reloads the case from
the database (tests/scenarios/driver.py)."""

from __future__ import annotations

from engine.clock import SettableClock
from tests.scenarios.driver import CLOSED, CaseDriver, completed, created, end, new, script
from tests.scenarios.test_repair import (
    DISPATCHER,
    TASK_NAMES,
    arrive,
    changes,
    end_of_day,
    repair_form,
    report_repaired,
    utc,
)
from tests.scenarios.test_repair import case as case  # the fixture  # noqa: F401

PLATFORM_DEADLINE = "2026-11-23T17:00:00+08:00"


def test_a_forwarded_repair_reports_by_the_platform_deadline_and_is_replied_upstream_u1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """U1: due at the platform's 17:00, not the end of the day; replied on the platform after the callback."""
    case.task_names = {**TASK_NAMES, "reply_on_platform": "在上级平台答复"}
    form = repair_form(
        case_source="digital_city", upstream_reference="SZCG-77", upstream_deadline="2026-11-23T17:00"
    )
    case.start(
        DISPATCHER,
        form,
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
                    case_source="digital_city",
                    upstream_reference="SZCG-77",
                    upstream_deadline=PLATFORM_DEADLINE,
                ),
            ),
            script("route_by_category", new(onsite_limit_minutes=30, routed_department="repair")),
            script("classify_order", new(department="repair", dispatch_count=0, priority="urgent")),
            created("dispatch", "dispatcher"),
        ],
        open_now=[("dispatch", "dispatcher")],
    )
    clock.set(utc(23, 1, 2))
    own_due, _ = end_of_day(23)
    case.complete(
        "dispatch",
        DISPATCHER,
        {"worker": "维修一班 王师傅", "expected_arrival": "2026-11-23T09:25", "arrival_told": "on"},
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
                    "own_reply_due": [None, own_due],
                    "reply_due": [None, PLATFORM_DEADLINE],
                },
            ),
            created("arrive_on_site", "repair_worker"),
        ],
        open_now=[("arrive_on_site", "repair_worker")],
    )
    clock.set(utc(23, 1, 20))
    arrive(case)
    assert case.task("onsite_report").due_at == utc(23, 9)  # 17:00 in Shanghai
    clock.set(utc(23, 2))
    report_repaired(case)
    clock.set(utc(23, 3))
    reply = "维修结果:更换接头和密封圈,试水无渗漏\n回访:客户满意。客户表示满意"
    case.complete(
        "callback",
        DISPATCHER,
        {"satisfied": "yes", "callback_note": "客户表示满意"},
        events=[
            completed(DISPATCHER, "callback", changes(case, satisfied="yes", callback_note="客户表示满意")),
            script("prepare_platform_reply", new(platform_reply=reply)),
            created("reply_on_platform", "dispatcher,operator"),
        ],
        open_now=[("reply_on_platform", "dispatcher,operator")],
    )
    clock.set(utc(23, 3, 10))
    case.complete(
        "reply_on_platform",
        DISPATCHER,
        {"platform_reply": reply, "platform_answer": "数字城管平台已结案"},
        events=[
            completed(DISPATCHER, "reply_on_platform", new(platform_answer="数字城管平台已结案")),
            end("end_closed"),
            CLOSED,
        ],
        open_now=[],
    )
    with case.sessions() as session:
        assert case.instance(session).status == "completed"
