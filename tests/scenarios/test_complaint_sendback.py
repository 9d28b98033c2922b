"""complaint.bpmn, the send-back path (退单/改派, C4): a department that finds the case is not its own
sends it back with a reason; the dispatcher approves (re-dispatch to another department, a new
deadline on the business calendar) or rejects (back to the same department, deadline unchanged).

Every step is its own unit of work and the workflow cache is cleared after each, so each step reloads
the case from the database (tests/scenarios/driver.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance
from engine.errors import FormInvalid, NotAllowed
from engine.processes.deployment import deploy
from engine.processes.migration import apply_migration, plan_migration
from engine.runtime import Actor, Runtime
from tests.helpers import COMPLAINT_BPMN, OPERATOR, department_handler, intake_form, open_task, open_tasks
from tests.scenarios.driver import (
    CaseDriver,
    approve_sendback,
    completed,
    created,
    new,
    refuse_wrong_approvals,
    reject_sendback,
)
from tests.scenarios.test_complaint import (
    TASK_NAMES,
    callback_satisfied,
    end_of_day,
    resolve,
    start_without_site_visit,
    summarise_and_close,
    utc,
)

DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
NAMES = {**TASK_NAMES, "review_sendback": "审核退单"}
REASON = "该户为独立计量用户,欠费停供属收费部门职责。"


@pytest.fixture
def case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> CaseDriver:
    return CaseDriver(sessions, runtime, clock, "complaint", NAMES)


def send_back(case: CaseDriver, handler: Actor, department: str) -> None:
    """C4: "not ours", with the reason and the department it belongs to: the dispatcher reviews it."""
    case.complete(
        "department_handling",
        handler,
        {
            "investigation": "现场核实为欠费停供",
            "outcome": "not_ours",
            "sendback_reason": REASON,
            "suggested_department": "billing",
        },
        events=[
            completed(
                handler,
                "department_handling",
                new(
                    extension_reason=None,
                    investigation="现场核实为欠费停供",
                    outcome="not_ours",
                    result=None,
                    sendback_reason=REASON,
                    suggested_department="billing",
                ),
            ),
            created("review_sendback", "dispatcher"),
        ],
        open_now=[("review_sendback", "dispatcher")],
    )
    assert case.data["department"] == department


def test_send_back_approved_redispatches_with_a_new_working_day_deadline_c4(
    case: CaseDriver, clock: SettableClock
) -> None:
    ops, billing = department_handler("operations"), department_handler("billing")
    start_without_site_visit(case)
    reply_due, due_utc = end_of_day(23)
    clock.set(utc(23, 3))
    # a send-back needs its reason
    case.refused(
        "department_handling",
        ops,
        {"investigation": "现场核实为欠费停供", "outcome": "not_ours"},
        FormInvalid,
    )
    send_back(case, ops, "operations")
    assert case.timers() == [("reply_deadline", due_utc, "cancelled")]

    same = refuse_wrong_approvals(case, ops, DISPATCHER, own="operations", other="billing")
    assert {k: (e.code, e.params["other"]) for k, e in same.errors.items()} == {
        "redispatch_department": ("same_as_other", "责任部门")
    }

    clock.set(utc(23, 4))  # Monday 12:00 local: the new deadline is Tuesday's closing time (S2 calendar)
    new_due, new_due_utc = "2026-11-24T17:30:00+08:00", utc(24, 9, 30)
    approve_sendback(
        case,
        DISPATCHER,
        "billing",
        redispatched={
            "department": ["operations", "billing"],
            "outcome": ["not_ours", None],
            "reply_due": [reply_due, new_due],
        },
        open_now=("department_handling", "billing"),
    )
    assert case.task("department_handling").due_at == new_due_utc
    assert case.timers() == [
        ("reply_deadline", due_utc, "cancelled"),
        ("reply_deadline", new_due_utc, "waiting"),
    ]
    # the old department no longer holds the case
    case.refused(
        "department_handling", ops, {"investigation": "无", "outcome": "resolved", "result": "x"}, NotAllowed
    )

    clock.set(utc(24, 2))
    resolve(case, billing, "核实欠费并办理缴费", "已缴费恢复供热", before=case.data)
    callback_satisfied(case)
    summarise_and_close(case)


def test_send_back_rejected_returns_to_the_same_department_deadline_unchanged_c4(
    case: CaseDriver, clock: SettableClock
) -> None:
    ops = department_handler("operations")
    start_without_site_visit(case)
    reply_due, due_utc = end_of_day(23)
    clock.set(utc(23, 3))
    send_back(case, ops, "operations")

    # a rejection says why
    case.refused("review_sendback", DISPATCHER, {"sendback_decision": "reject"}, FormInvalid)
    clock.set(utc(23, 4))
    reject_sendback(
        case,
        DISPATCHER,
        "室温不达标属生产运行职责",
        restored={"outcome": ["not_ours", None]},
        open_now=("department_handling", "operations"),
    )
    assert case.data["reply_due"] == reply_due
    assert case.data["department"] == "operations"
    assert case.task("department_handling").due_at == due_utc
    assert case.timers() == [("reply_deadline", due_utc, "cancelled"), ("reply_deadline", due_utc, "waiting")]

    clock.set(utc(23, 6))
    resolve(case, ops, "调整二次网平衡阀", "室温已达标", before=case.data)
    callback_satisfied(case)
    summarise_and_close(case)


# --- running cases of the version before send-backs ------------------------------------------------------

SENDBACK_ELEMENTS = (
    "lane_dispatcher",
    "review_sendback",
    "gw_sendback_decision",
    "redispatch",
    "reject_sendback",
    "flow_outcome_not_ours",
    "flow_review_gw_decision",
    "flow_sendback_approved",
    "flow_sendback_rejected",
    "flow_redispatch_back",
    "flow_sendback_rejected_back",
)


def _without_send_back() -> bytes:
    """complaint.bpmn as it was before the send-back: no review, no third outcome, no new fields."""
    from lxml import etree

    root = etree.fromstring(COMPLAINT_BPMN.read_bytes())
    gone = set(SENDBACK_ELEMENTS)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        refers = element.get("id") in gone or element.get("bpmnElement") in gone
        named = local in ("incoming", "outgoing", "flowNodeRef") and (element.text or "") in gone
        field = local == "formField" and element.get("id") in ("sendback_reason", "suggested_department")
        value = local == "value" and element.get("id") == "not_ours"
        if refers or named or field or value:
            element.getparent().remove(element)
        elif local == "property" and "|not_ours:" in (element.get("value") or ""):
            element.set("value", element.get("value").split("|not_ours:")[0])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_case_running_on_the_version_before_send_backs_moves_and_can_be_sent_back_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    ops = department_handler("operations")
    with sessions.begin() as session:
        deploy(session, runtime, _without_send_back(), "complaint.bpmn", "test")
        case_id = start_case(session, runtime, "complaint", OPERATOR, intake_form()).id
        deploy(session, runtime, COMPLAINT_BPMN.read_bytes(), "complaint.bpmn", "test")
    runtime.workflows.clear()
    with sessions() as session:
        (plan,) = plan_migration(session, runtime, "complaint", 1, 2)
        assert (plan.instance_id, plan.mappable) == (case_id, True)
    with sessions.begin() as session:
        apply_migration(session, runtime, [plan], Actor("owner", frozenset({"process_owner"})))
    runtime.workflows.clear()
    clock.set(utc(23, 3))
    with sessions.begin() as session:
        task = open_task(session, case_id, "department_handling")
        values = {"investigation": "现场核实为欠费停供", "outcome": "not_ours", "sendback_reason": REASON}
        complete_task(session, runtime, task.id, ops, values)
    runtime.workflows.clear()
    with sessions() as session:
        assert [(t.element_id, t.candidate_groups) for t in open_tasks(session, case_id)] == [
            ("review_sendback", "dispatcher")
        ]
        assert session.get(ProcessInstance, case_id).definition.version == 2
