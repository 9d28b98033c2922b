"""Every shipped procedure driven end to end through the REST API with tokens: a case opened with the
start form's values, each task found in the right client's tasklist, read with its form (ETag), claimed,
completed with If-Match by a client of the task's groups, until the case is closed (SQLite, and
PostgreSQL when HOTLINE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.runtime import SYSTEM, Runtime
from tests.web.api.support import Api

Step = tuple[str, tuple[str, ...], dict[str, Any]]  # element, (role, *departments), values
HANDLER = "department_head"


def paths(
    clock: SettableClock, runtime: Runtime
) -> dict[str, tuple[tuple[str, ...], dict[str, Any], list[Step]]]:
    def local(minutes: int) -> str:
        return (clock.now() + timedelta(minutes=minutes)).astimezone(runtime.zone).strftime("%Y-%m-%dT%H:%M")

    today = clock.now().astimezone(runtime.zone).date().isoformat()
    caller = {"customer_name": "张伟", "customer_phone": "13800001111", "address": "金明小区3号楼2单元501"}
    return {
        "complaint": (
            ("operator",),
            {
                **caller,
                "description": "室内温度只有14度,已经持续三天。",
                "category": "temperature",
                "department": "operations",
                "apologised": True,
            },
            [
                (
                    "department_handling",
                    (HANDLER, "operations"),
                    {
                        "investigation": "管网失衡,已调节阀门",
                        "outcome": "resolved",
                        "result": "室温已恢复到20度",
                    },
                ),
                ("callback", ("operator",), {"customer_informed": True, "satisfied": "yes"}),
                (
                    "summarise_and_close",
                    ("operator",),
                    {"root_cause": "失衡", "improvement": "巡检", "close_reason": "resolved"},
                ),
            ],
        ),
        "repair": (
            ("dispatcher",),
            {**caller, "description": "厨房水管接头漏水", "category": "leak", "department": "repair"},
            [
                (
                    "dispatch",
                    ("dispatcher",),
                    {"worker": "repair_worker", "expected_arrival": local(30), "arrival_told": True},
                ),
                ("arrive_on_site", ("repair_worker",), {"arrived_at": local(20)}),
                (
                    "onsite_report",
                    ("repair_worker",),
                    {
                        "diagnosis": "接头老化",
                        "work_done": "更换接头",
                        "steps_explained": True,
                        "customer_signed": True,
                        "outcome": "resolved",
                    },
                ),
                ("callback", ("dispatcher",), {"satisfied": "yes"}),
            ],
        ),
        "consultation": (
            ("operator",),
            {
                **caller,
                "question": "供暖什么时候开始?",
                "category": "temperature",
                "answered_now": False,
                "promised_reply_at": local(120),
                "reply_channel": "sms",
                "contact": "13800001111",
            },
            [
                (
                    "reply_customer",
                    ("operator",),
                    {"answer": "十一月一日开始", "channel_used": "sms", "replied": True},
                )
            ],
        ),
        "connection": (
            ("operator",),
            {**caller, "heated_area": 96, "accepted_on": today, "acceptance_passed": True},
            [
                (
                    "turn_heating_on",
                    (HANDLER, "operations"),
                    {"heated_on_at": local(10), "indoor_temperature": 20},
                )
            ],
        ),
        "liaison": (
            ("liaison",),
            {
                **caller,
                "collection_method": "visit",
                "feedback": "暖气不热",
                "category": "temperature",
                "department": "operations",
                "urgency": "general",
            },
            [
                ("submit_to_department", ("liaison",), {"form_checked": True}),
                (
                    "investigate",
                    (HANDLER, "operations"),
                    {"investigation": "楼内管道堵塞", "decision": "on_site"},
                ),
                (
                    "solve_on_site",
                    (HANDLER, "operations"),
                    {
                        "arrived_at": local(5),
                        "on_site_staff": "王工",
                        "on_site_result": "已疏通管道,室温正常",
                    },
                ),
                ("callback", ("liaison",), {"satisfied": "yes"}),
            ],
        ),
        "outage": (
            ("dispatcher",),
            {
                "service": "heating",
                "outage_type": "fault",
                "district": "金明区",
                "cause": "管道爆裂",
                "starts_at": local(-60),
                "estimated_restore_at": local(360),
            },
            [
                (
                    "restore_service",
                    (HANDLER, "operations"),
                    {"work_status": "restored", "restored_at": local(30), "work_done": "已修复"},
                )
            ],
        ),
    }


def _work(api_as: Callable[..., Api], number: str, steps: list[Step], reader: Api) -> None:
    for element, (role, *departments), values in steps:
        worker = api_as(role, *departments)
        case = reader.get(f"/cases/{number}")
        assert case.status_code == 200, case.json
        waiting = [t for t in case.json["open_tasks"] if t["element_id"] == element]
        assert waiting, f"{number}: no open {element}; open: {case.json['open_tasks']}"
        task_id = waiting[0]["id"]
        listed = worker.get("/tasks", tab="todo", q=number)
        assert task_id in [t["id"] for t in listed.json["items"]], listed.json
        claimed = worker.post(f"/tasks/{task_id}/claim")
        assert claimed.status_code == 200, claimed.json
        form = worker.get(f"/tasks/{task_id}")
        assert form.status_code == 200 and form.json["fields"], form.json
        done = worker.post(
            f"/tasks/{task_id}/complete", {"values": values}, {"If-Match": form.headers["ETag"]}
        )
        assert done.status_code == 200, (element, done.json)
        assert done.json["status"] == "completed"


@pytest.mark.usefixtures("every_procedure")
@pytest.mark.parametrize(
    "procedure", ["complaint", "repair", "consultation", "connection", "liaison", "outage"]
)
def test_every_opened_procedure_runs_to_its_end_through_the_api(
    procedure: str, api_as: Callable[..., Api], clock: SettableClock, runtime: Runtime
) -> None:
    opener_roles, values, steps = paths(clock, runtime)[procedure]
    opener = api_as(*opener_roles)
    listed = opener.get("/procedures")
    assert procedure in [p["key"] for p in listed.json]
    form = opener.get(f"/procedures/{procedure}/start-form")
    assert form.status_code == 200 and form.json["fields"]
    opened = opener.post("/cases", {"procedure": procedure, "values": values})
    assert opened.status_code == 201, opened.json
    number = opened.json["number"]
    assert opened.headers["Location"].endswith(f"/api/v1/cases/{number}")
    reader = api_as("supervisor")
    _work(api_as, number, steps, reader)
    closed = reader.get(f"/cases/{number}")
    assert closed.json["status"] == "completed", closed.json
    assert closed.json["open_tasks"] == []
    assert closed.json["history"][0]["kind"] == "case_started"
    assert closed.json["history"][-1]["kind"] == "case_closed"


@pytest.mark.usefixtures("every_procedure")
def test_a_sampled_callback_drawn_by_the_job_is_worked_and_closed_through_the_api(
    api_as: Callable[..., Api], sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """callback.bpmn is opened by the weekly draw (M1), not at intake: the API works its tasks."""
    drawn = {
        "callback_group": "operator",
        "original_case": "WX-20261118-0003",
        "original_process": "repair",
        "original_summary": "厨房水管接头漏水",
        "customer_name": "刘洋",
        "customer_phone": "13900000001",
        "address": "金明区3号楼1单元101",
        "category": "leak",
        "department": "repair",
    }
    with sessions.begin() as session:
        number = start_case(session, runtime, "callback", SYSTEM, initial_data=drawn).case_number
    steps: list[Step] = [
        (
            "sample_callback",
            ("operator",),
            {"reached": True, "satisfied": "no", "callback_comment": "仍有渗水"},
        ),
        ("department_rework", (HANDLER, "repair"), {"rework_result": "更换了接头密封圈"}),
        ("sample_callback", ("operator",), {"reached": True, "satisfied": "yes"}),
    ]
    reader = api_as("supervisor")
    _work(api_as, number, steps, reader)
    assert reader.get(f"/cases/{number}").json["status"] == "completed"
