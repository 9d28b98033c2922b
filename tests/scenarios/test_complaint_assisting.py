"""complaint.bpmn with lead and assisting departments (主办/协办, issue 20 item 2; C2, C3): the operator
chooses assisting departments at intake (optional, several); each gets its own task with its own
deadline (multi-instance over assisting_departments); the lead department sees their answers and
replies for all. Every step is its own unit of work and the case is reloaded before the next
(driver.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.cases import instance_parts, parsed_definition
from engine.cases.deadline_steps import chases_by_department, fire_due_steps
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import DeadlineStep, Event, ProcessDefinition
from engine.errors import FormInvalid
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR, department_handler, intake_form
from tests.scenarios.driver import (
    CaseDriver,
    completed,
    created,
    end,
    script,
    timer_fired,
)
from tests.scenarios.test_complaint import TASK_NAMES, end_of_day, intake_changes, resolve, routed

BILLING, TECHNICAL, OPERATIONS = (department_handler(d) for d in ("billing", "technical", "operations"))
ASSIST = "协办意见"


@pytest.fixture
def case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> CaseDriver:
    return CaseDriver(
        sessions, runtime, clock, "complaint", {**TASK_NAMES, "assist": ASSIST, "review_sendback": "审核退单"}
    )


def start_with_assisting(case: CaseDriver, assisting: list[str]) -> None:
    """C1, C2: the operator records the call with the lead department and the assisting ones; C3: the
    lead department gets the case at once and each assisting department its part beside it, due within
    2 hours."""
    reply_due, _ = end_of_day(23)
    case.start(
        OPERATOR,
        intake_form(assisting_departments=assisting),
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(OPERATOR, "intake", intake_changes(assisting_departments=assisting)),
            *routed(),
            script(
                "set_reply_deadline",
                {
                    "own_reply_due": [None, reply_due],
                    "reopen_count": [None, 0],
                    "reply_due": [None, reply_due],
                },
            ),
            *([] if assisting else [end("end_assist_parts")]),
            created("department_handling", "operations"),
            *(created("assist", d) for d in assisting),
        ],
        open_now=[("department_handling", "operations"), *(("assist", d) for d in assisting)],
    )


def parts_of(case: CaseDriver) -> list[tuple[str, str | None, bool | None, str | None]]:
    with case.sessions() as session:
        instance = case.instance(session)
        parsed = parsed_definition(case.runtime, instance.definition)
        return [
            (p.groups, p.assignee, p.on_time, p.values.get("assist_opinion"))
            for p in instance_parts(session, instance, parsed).get("assist", [])
        ]


def test_the_lead_starts_at_once_waits_for_a_part_in_time_and_goes_on_without_an_overdue_one_c3_c4(
    case: CaseDriver,
) -> None:
    start_with_assisting(case, ["technical", "billing"])  # in the order of the departments' list
    created_at = case.clock.now()
    assert case.task("assist", "billing").due_at == created_at + timedelta(hours=2)
    assert case.task("department_handling").candidate_groups == "operations"
    case.clock.advance(timedelta(minutes=40))
    billing = {"assist_opinion": "该户水费已结清,无欠费停供。", "assisting_department": "billing"}
    case.complete(
        "assist",
        BILLING,
        {"assist_opinion": billing["assist_opinion"]},
        groups="billing",
        results=[billing],
        events=[completed(BILLING, "assist", {"assist_opinion": [None, billing["assist_opinion"]]})],
        open_now=[("department_handling", "operations"), ("assist", "technical")],
    )
    # The lead's reply waits while the technical department's part is open and within its deadline.
    refused = case.refused(
        "department_handling",
        OPERATIONS,
        {"investigation": "结合收费部门意见现场检查", "outcome": "resolved", "result": "已调整户内阀门。"},
        FormInvalid,
    )
    assert isinstance(refused, FormInvalid)
    assert refused.errors["outcome"] == FieldError("parts_awaited", {"parts": "technical"})
    assert refused.values["result"] == "已调整户内阀门。"
    # C4: the part passes its deadline: it is chased and stays open.
    case.clock.advance(timedelta(hours=1, minutes=20))
    case.fire_due_timers(
        events=[
            timer_fired("assist_deadline"),
            script("record_assist_overdue", {"assist_overdue_chased": [None, True]}),
            end("end_assist_overdue"),
        ],
        open_now=[("department_handling", "operations"), ("assist", "technical")],
    )
    assert parts_of(case) == [
        ("technical", None, None, None),
        ("billing", "billing_handler", True, billing["assist_opinion"]),
    ]
    # The lead goes on without it: the overdue part is withdrawn, the answered one stays recorded.
    reply = {
        "investigation": "结合收费部门意见现场检查",
        "outcome": "resolved",
        "result": "已调整户内阀门,室温恢复。",
    }
    case.complete(
        "department_handling",
        OPERATIONS,
        reply,
        events=[
            completed(
                OPERATIONS,
                "department_handling",
                {
                    **{k: [None, v] for k, v in sorted(reply.items())},
                    "extension_reason": [None, None],
                    "sendback_reason": [None, None],
                    "suggested_department": [None, None],
                },
            ),
            end("end_assist_parts"),
            created("callback", "operator"),
        ],
        open_now=[("callback", "operator")],
    )
    with case.sessions() as session:
        instance = case.instance(session)
        parsed = parsed_definition(case.runtime, instance.definition)
        parts = instance_parts(session, instance, parsed)["assist"]
    assert [(p.groups, p.status) for p in parts] == [("technical", "cancelled"), ("billing", "completed")]
    assert case.data["assist_results"] == [billing]


def test_a_part_answered_in_time_lets_the_lead_reply_c3(case: CaseDriver) -> None:
    start_with_assisting(case, ["repair"])
    repair = {"assist_opinion": "已派人检查楼栋管道。", "assisting_department": "repair"}
    case.complete(
        "assist",
        department_handler("repair"),
        {"assist_opinion": repair["assist_opinion"]},
        results=[repair],
        events=[
            completed(
                department_handler("repair"), "assist", {"assist_opinion": [None, repair["assist_opinion"]]}
            ),
            end("end_assist_parts"),
        ],
        open_now=[("department_handling", "operations")],
    )
    assert parts_of(case) == [("repair", "repair_handler", True, repair["assist_opinion"])]
    resolve(case, OPERATIONS, "结合维修部门意见处理", "楼栋管道已修复。")


def test_without_assisting_departments_the_case_goes_straight_to_the_lead_department(
    case: CaseDriver,
) -> None:
    start_with_assisting(case, [])
    assert case.task("department_handling").candidate_groups == "operations"
    assert parts_of(case) == []


def test_an_assisting_department_is_another_than_the_lead_and_a_known_one(case: CaseDriver) -> None:
    """Checked on the server: the lead department cannot assist itself, and only departments of the
    reference data can be chosen; what was typed comes back with the errors."""
    with pytest.raises(FormInvalid) as refused, case.sessions.begin() as session:
        start_case(
            session,
            case.runtime,
            "complaint",
            OPERATOR,
            intake_form(assisting_departments=["operations", "billing"]),
        )
    assert refused.value.errors["assisting_departments"].code == "same_as_other"
    assert refused.value.values["assisting_departments"] == ["operations", "billing"]
    with pytest.raises(FormInvalid) as unknown, case.sessions.begin() as session:
        start_case(
            session,
            case.runtime,
            "complaint",
            OPERATOR,
            intake_form(assisting_departments=["billing", "nobody"]),
        )
    assert unknown.value.errors["assisting_departments"] == FieldError("not_option")


def test_the_dispatcher_adds_an_assisting_department_at_the_site_order_checked_as_at_intake_c2_c3(
    case: CaseDriver,
) -> None:
    """Issue 20: the dispatcher can add assisting departments; at the site order they are checked as at
    intake (never the lead department, only known ones), what was typed kept."""
    case.start(
        OPERATOR,
        intake_form(needs_site_visit=True),
        events=[
            ("case_started", "op1", None, {"process_version": [None, 1]}),
            completed(OPERATOR, "intake", intake_changes(needs_site_visit=True)),
            *routed(),
            created("dispatch_site_order", "operator"),
        ],
        open_now=[("dispatch_site_order", "operator")],
    )
    order = {"site_order_note": "请运行部上门,技术部协助", "visit_window": "今天"}
    same = case.refused(
        "dispatch_site_order", OPERATOR, {**order, "assisting_departments": ["operations"]}, FormInvalid
    )
    assert isinstance(same, FormInvalid)
    assert same.errors["assisting_departments"].code == "same_as_other"
    assert same.values["assisting_departments"] == ["operations"]
    unknown = case.refused(
        "dispatch_site_order", OPERATOR, {**order, "assisting_departments": ["nobody"]}, FormInvalid
    )
    assert isinstance(unknown, FormInvalid)
    assert unknown.errors["assisting_departments"] == FieldError("not_option")
    reply_due, _ = end_of_day(23)
    case.complete(
        "dispatch_site_order",
        OPERATOR,
        {**order, "assisting_departments": ["technical"]},
        events=[
            completed(
                OPERATOR,
                "dispatch_site_order",
                {
                    "assisting_departments": [[], ["technical"]],
                    "site_order_note": [None, order["site_order_note"]],
                    "visit_window": [None, order["visit_window"]],
                },
            ),
            script(
                "set_reply_deadline",
                {
                    "own_reply_due": [None, reply_due],
                    "reopen_count": [None, 0],
                    "reply_due": [None, reply_due],
                },
            ),
            created("department_handling", "operations"),
            created("assist", "technical"),
        ],
        open_now=[("department_handling", "operations"), ("assist", "technical")],
    )
    assert parts_of(case) == [("technical", None, None, None)]


def test_a_send_back_by_the_lead_redispatches_the_lead_only_and_keeps_the_parts_c3_c4(
    case: CaseDriver,
) -> None:
    start_with_assisting(case, ["repair", "technical"])
    repair = {"assist_opinion": "楼栋管道正常。", "assisting_department": "repair"}
    case.complete(
        "assist",
        department_handler("repair"),
        {"assist_opinion": repair["assist_opinion"]},
        groups="repair",
        results=[repair],
        events=[
            completed(
                department_handler("repair"), "assist", {"assist_opinion": [None, repair["assist_opinion"]]}
            ),
        ],
        open_now=[("department_handling", "operations"), ("assist", "technical")],
    )
    # A send-back is no reply: it does not wait for the technical department's part.
    sendback = {
        "investigation": "现场核实为欠费停供",
        "outcome": "not_ours",
        "sendback_reason": "欠费停供属收费部门职责。",
        "suggested_department": "billing",
    }
    case.complete(
        "department_handling",
        OPERATIONS,
        sendback,
        events=[
            completed(
                OPERATIONS,
                "department_handling",
                {
                    **{k: [None, v] for k, v in sendback.items()},
                    "extension_reason": [None, None],
                    "result": [None, None],
                },
            ),
            created("review_sendback", "dispatcher"),
        ],
        open_now=[("assist", "technical"), ("review_sendback", "dispatcher")],
    )
    reply_due, _ = end_of_day(23)
    dispatcher = Actor("disp1", frozenset({"dispatcher"}))
    case.complete(
        "review_sendback",
        dispatcher,
        {"sendback_decision": "approve", "redispatch_department": "billing", "review_comment": ""},
        events=[
            completed(
                dispatcher,
                "review_sendback",
                {
                    "redispatch_department": [None, "billing"],
                    "review_comment": [None, None],
                    "sendback_decision": [None, "approve"],
                },
            ),
            script(
                "redispatch",
                {
                    "department": ["operations", "billing"],
                    "outcome": ["not_ours", None],
                    "reply_due": [reply_due, "2026-11-24T17:30:00+08:00"],
                },
            ),
            created("department_handling", "billing"),
        ],
        open_now=[("assist", "technical"), ("department_handling", "billing")],
    )
    # Only the lead was re-dispatched: the parts are the same, the answered one still recorded.
    assert parts_of(case) == [
        ("repair", "repair_handler", True, repair["assist_opinion"]),
        ("technical", None, None, None),
    ]
    assert case.data["assist_results"] == [repair]


def test_an_assisting_part_has_a_graded_deadline_its_department_warned_then_chased_c4(
    case: CaseDriver,
) -> None:
    """C4 as for the lead department: warnings at 50% and 80% of the part's 2 hours, then its head and
    the supervisors chased after the deadline; the lead department's own levels are its own."""
    start_with_assisting(case, ["technical"])
    part = case.task("assist", "technical")
    with case.sessions() as session:
        levels = session.scalars(
            select(DeadlineStep).where(DeadlineStep.task_id == part.id).order_by(DeadlineStep.level)
        ).all()
        assert [(s.kind, s.status) for s in levels] == [
            ("warning", "waiting"),
            ("warning", "waiting"),
            ("escalation", "waiting"),
            ("escalation", "waiting"),
        ]
        assert levels[0].due_at == part.created_at + timedelta(hours=1)  # half of the 2 hours
    case.clock.advance(timedelta(days=1))
    fire_due_steps(lambda: UnitOfWork(case.sessions, case.runtime))
    case.runtime.workflows.clear()
    with case.sessions() as session:
        chased = session.scalars(
            select(Event).where(
                Event.instance_id == case.id,
                Event.kind.in_(("deadline_warning", "deadline_escalated")),
                Event.element_id == "assist",
            )
        ).all()
        assert [(e.kind, e.changes["department"][1]) for e in chased] == [
            ("deadline_warning", "technical"),
            ("deadline_warning", "technical"),
            ("deadline_escalated", "technical"),
            ("deadline_escalated", "technical"),
        ]
        assert chases_by_department(session, part.created_at, case.clock.now())["technical"] == 2
