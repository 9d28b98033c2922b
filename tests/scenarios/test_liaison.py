"""liaison.bpmn, every path, rules L1-L5 of PROCEDURES.md.

Every step is its own unit of work and the case is reloaded from the database before the next one
(see driver.py). After every step the test checks the open tasks and their candidate groups, the case
data projection and summary columns, and exactly the history events the step wrote.

The clock starts at 09:00 on Monday 23 November 2026 in Shanghai (01:00 UTC); case data keeps local
times (+08:00), timers and task deadlines are compared in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.calendar import BusinessCalendar
from engine.cases.runner import due_timer_ids, start_case
from engine.clock import SettableClock
from engine.db.models import Notification, OutboxMessage, ProcessDefinition, User, UserRole
from engine.errors import FormInvalid, NotAllowed, ScriptFailed
from engine.runtime import SYSTEM, Actor, Runtime
from tests.helpers import department_handler, row_counts
from tests.scenarios.driver import (
    CLOSED,
    CaseDriver,
    Ev,
    approve_sendback,
    completed,
    created,
    end,
    new,
    reject_sendback,
    script,
    timer_fired,
)

LiaisonCase = CaseDriver

LIAISON = Actor("liaison1", frozenset({"liaison"}))
OPS = department_handler("operations")
# Seeded by the reference_data fixture: the head holds the department's role and department_head (L2).
OPS_HEAD = Actor("operations_head", frozenset({"operations", "department_head"}))

TASK_NAMES = {
    "collect_info": "填写用户信息收集表",
    "written_report": "提交书面报告",
    "submit_to_department": "提交信息收集表至部门",
    "investigate": "调查核实",
    "solve_on_site": "现场处理",
    "make_plan": "制定工作计划",
    "report_progress": "报告节点进展",
    "callback": "回访用户",
}

SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMER = "王芳（金明区5号楼1单元301）"


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def local(moment: datetime) -> str:
    """A UTC moment as case data keeps it: Shanghai local time, with its offset."""
    return (moment + timedelta(hours=8)).replace(tzinfo=None).isoformat() + "+08:00"


def end_of_day(day: str) -> str:
    return f"{day}T23:59:59+08:00"


def end_of_day_utc(day: int) -> datetime:
    return utc(day, 15, 59, 59)


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Any,
) -> LiaisonCase:
    definition: ProcessDefinition = deploy_process("liaison")
    assert (definition.key, definition.version, definition.name, definition.case_prefix) == (
        "liaison",
        1,
        "联络员信息反馈",
        "LL",
    )
    with sessions.begin() as session:
        session.add(
            User(
                username=LIAISON.username,
                display_name="联络员小李",
                password_hash="!",
                active=True,
                created_at=clock.now(),
                roles=[UserRole(role="liaison")],
            )
        )
    return LiaisonCase(sessions, runtime, clock, "liaison", TASK_NAMES)


def changes(case: LiaisonCase, **values: Any) -> dict[str, list[Any]]:
    """What a step that leaves these values changes, against the case data so far."""
    return {
        k: [case.data.get(k), v] for k, v in sorted(values.items()) if k not in case.data or case.data[k] != v
    }


def notified(element: str, recipients: list[str]) -> Ev:
    return ("notification_sent", SYSTEM.username, element, {"recipients": [None, recipients]})


def notifications(case: LiaisonCase) -> list[tuple[str, str, str, str]]:
    with case.sessions() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.instance_id == case.id, Notification.kind == "notify")
            .order_by(Notification.id)
        )
        return [(n.recipient, n.element_id or "", n.message, n.message_en) for n in rows]


def no_timer_due(case: LiaisonCase) -> bool:
    with case.sessions() as session:
        return due_timer_ids(session, case.clock.now()) == []


# --- common stretches of the path --------------------------------------------------------------------------


def info_form(**overrides: Any) -> dict[str, Any]:
    """A valid customer information form (L1) as the browser posts it: the department left empty."""
    form: dict[str, Any] = {
        "customer_name": "王芳",
        "customer_phone": "13900000004",
        "address": "金明区5号楼1单元301",
        "collection_method": "visit",
        "feedback": "整栋楼暖气不热,室温只有12度",
        "suggestions": "希望检修前提前通知",
        "complaints": "",
        "category": "temperature",
        "department": "",
        "urgency": "urgent",
    }
    form.update(overrides)
    return form


def collect(case: LiaisonCase, urgency: str, department: str = "", routed_to: str = "operations") -> None:
    """L1: the liaison fills in the form; the department defaults to the category's route.
    L2: an urgent matter tells the department's heads at once; L3: a general one waits for submission."""
    form = info_form(urgency=urgency, department=department)
    recorded = new(
        customer_name="王芳",
        customer_phone="13900000004",
        address="金明区5号楼1单元301",
        collection_method="visit",
        feedback="整栋楼暖气不热,室温只有12度",
        suggestions="希望检修前提前通知",
        complaints=None,
        category="temperature",
        department=department or routed_to,
        urgency=urgency,
    )
    started: list[Ev] = [
        ("case_started", LIAISON.username, None, {"process_version": [None, 1]}),
        completed(LIAISON, "collect_info", recorded),
    ]
    if urgency == "urgent":
        heads = ["operations_head"] if (department or routed_to) == "operations" else ["sup1"]
        case.start(
            LIAISON,
            form,
            events=[
                *started,
                script("notify_head", new(head_notified_at=local(case.clock.now()))),
                notified("notify_head", heads),
                created("written_report", "liaison"),
            ],
            open_now=[("written_report", "liaison")],
        )
    else:
        case.start(
            LIAISON,
            form,
            events=[*started, created("submit_to_department", "liaison")],
            open_now=[("submit_to_department", "liaison")],
        )


def hand_over(case: LiaisonCase) -> Ev:
    """L4: the department's notice; people on site within 2 hours of it if solvable on the spot. The
    investigation is due by then for an urgent matter (L2, L4), by the close of the next working day for
    a general one."""
    now = case.clock.now()
    on_site_due = local(now + timedelta(hours=2))
    investigate_due = (
        on_site_due
        if case.data["urgency"] == "urgent"
        else BusinessCalendar(SHANGHAI).working_days_after(now, 1).isoformat()
    )
    return script(
        "hand_over",
        new(
            handed_over_at=local(now),
            investigate_due=investigate_due,
            on_site_due=on_site_due,
            plan_count=0,
            progress_reports=[],
            replan_count=0,
        ),
    )


WRITTEN_REPORT = "5号楼整栋暖气不热,用户情绪激动,疑似二级管网故障,已电话报告生产运行部负责人。"


def hand_in_written_report(case: LiaisonCase) -> None:
    """L2: the written report follows the immediate notice; the department is handed the case."""
    department = case.data["department"]
    case.complete(
        "written_report",
        LIAISON,
        {"written_report_text": WRITTEN_REPORT, "head_phoned": "on"},
        events=[
            completed(LIAISON, "written_report", new(head_phoned=True, written_report_text=WRITTEN_REPORT)),
            hand_over(case),
            created("investigate", department),
        ],
        open_now=[("investigate", department)],
    )


def submit(case: LiaisonCase) -> None:
    """L3: the form goes to the department."""
    department = case.data["department"]
    case.complete(
        "submit_to_department",
        LIAISON,
        {"form_checked": "on", "submission_note": "请尽快安排人员核实"},
        events=[
            completed(
                LIAISON, "submit_to_department", new(form_checked=True, submission_note="请尽快安排人员核实")
            ),
            hand_over(case),
            created("investigate", department),
        ],
        open_now=[("investigate", department)],
    )


def investigate(case: LiaisonCase, decision: str, actor: Actor = OPS) -> None:
    """L4: the department investigates and decides: on the spot, or a work plan."""
    department = case.data["department"]
    finding = "换热站二级管网阀门卡死" if decision == "on_site" else "二级管网多处堵塞,需分段清洗和更换阀门"
    nxt = "solve_on_site" if decision == "on_site" else "make_plan"
    case.complete(
        "investigate",
        actor,
        {"investigation": finding, "decision": decision},
        events=[
            completed(
                actor,
                "investigate",
                new(
                    decision=decision, investigation=finding, sendback_reason=None, suggested_department=None
                ),
            ),
            created(nxt, department),
        ],
        open_now=[(nxt, department)],
    )


ON_SITE_RESULT = "已更换卡死的阀门,恢复循环,室温升至19度"


def solve_on_site(case: LiaisonCase, arrived_at: str) -> None:
    """L4: on site, solved, and the result reported to the liaison; L5: the callback is next."""
    values = {
        "arrived_at": arrived_at,
        "on_site_staff": "维修一班 王师傅、李师傅",
        "on_site_result": ON_SITE_RESULT,
    }
    case.complete(
        "solve_on_site",
        OPS,
        values,
        events=[
            completed(
                OPS,
                "solve_on_site",
                new(
                    arrived_at=f"{arrived_at}:00+08:00",
                    on_site_result=ON_SITE_RESULT,
                    on_site_staff="维修一班 王师傅、李师傅",
                ),
            ),
            notified("solve_on_site", ["liaison1"]),
            created("callback", "liaison"),
        ],
        open_now=[("callback", "liaison")],
    )


def make_plan(case: LiaisonCase, summary: str, milestones: list[tuple[str, str]]) -> None:
    """L4: a work plan with dated milestones, written one a line in any order, kept in date order; the
    liaison is told; the first milestone's report is due at the end of its day."""
    lines = "\n".join(f"{day} {what}" for day, what in milestones)
    expected = [{"date": day, "task": what, "due": end_of_day(day)} for day, what in sorted(milestones)]
    case.complete(
        "make_plan",
        OPS,
        {"plan_summary": summary, "milestone_lines": lines},
        events=[
            completed(OPS, "make_plan", changes(case, milestone_lines=lines, plan_summary=summary)),
            notified("make_plan", ["liaison1"]),
            script(
                "parse_plan",
                changes(
                    case,
                    milestones=expected,
                    plan_count=case.data["plan_count"] + 1,
                    milestone_index=0,
                    milestones_left=len(expected),
                    current_milestone=expected[0]["task"],
                    current_milestone_date=expected[0]["date"],
                    milestone_due=expected[0]["due"],
                ),
            ),
            created("report_progress", "operations"),
        ],
        open_now=[("report_progress", "operations")],
    )


def report_progress(case: LiaisonCase, note: str) -> None:
    """L4: progress on the current milestone, kept with the case and sent to the liaison; the next
    milestone becomes current, or, when all are done, the liaison calls the customer back (L5)."""
    index, milestones = case.data["milestone_index"], case.data["milestones"]
    current = milestones[index]
    following = milestones[index + 1] if index + 1 < len(milestones) else None
    entry = {
        "plan": case.data["plan_count"],
        "milestone": current["task"],
        "date": current["date"],
        "report": note,
        "reported_at": local(case.clock.now()),
        "late": local(case.clock.now()) > current["due"],
    }
    nxt = ("report_progress", "operations") if following else ("callback", "liaison")
    case.complete(
        "report_progress",
        OPS,
        {"progress_note": note},
        events=[
            completed(OPS, "report_progress", changes(case, progress_note=note)),
            script(
                "record_progress",
                changes(
                    case,
                    progress_reports=[*case.data["progress_reports"], entry],
                    reported_milestone=current["task"],
                    milestone_index=index + 1,
                    milestones_left=len(milestones) - index - 1,
                    current_milestone=following and following["task"],
                    current_milestone_date=following and following["date"],
                    milestone_due=following and following["due"],
                ),
            ),
            notified("record_progress", ["liaison1"]),
            created(*nxt),
        ],
        open_now=[nxt],
    )


def callback_satisfied(case: LiaisonCase) -> None:
    """L5: the customer is satisfied: the case is closed."""
    case.complete(
        "callback",
        LIAISON,
        {"satisfied": "yes", "callback_note": ""},
        events=[
            completed(LIAISON, "callback", changes(case, satisfied="yes", callback_note=None)),
            end("end_satisfied"),
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


def callback_not_satisfied(case: LiaisonCase, note: str) -> None:
    """L5: not satisfied: the heads of the department are told, and the department makes a new plan."""
    case.complete(
        "callback",
        LIAISON,
        {"satisfied": "no", "callback_note": note},
        events=[
            completed(LIAISON, "callback", changes(case, satisfied="no", callback_note=note)),
            script(
                "request_new_plan",
                {"replan_count": [case.data["replan_count"], case.data["replan_count"] + 1]},
            ),
            notified("request_new_plan", ["operations_head"]),
            created("make_plan", "operations"),
        ],
        open_now=[("make_plan", "operations")],
    )


# --- (1) urgent: told at once, written report, on site ----------------------------------------------------------


def test_urgent_matter_notifies_the_department_head_at_once_l1_l2(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L1: the liaison's customer information form, the department routed from the category; L2: the
    department's head is told in the app at once, and the written report is due within 1 hour; L4: on site
    within 2 hours of the notice, the result reported to the liaison; L5: the customer is satisfied."""
    collect(case, "urgent")
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.case_number, instance.opened_by, instance.opened_at) == (
            "LL-20261123-0001",
            "liaison1",
            clock.now(),
        )
        assert (instance.category, instance.department, instance.customer_name) == (
            "temperature",
            "operations",
            "王芳",
        )
    assert notifications(case) == [
        (
            "operations_head",
            "notify_head",
            f"紧急：{CUSTOMER}反映：整栋楼暖气不热,室温只有12度。请立即组织处理，联络员将在1小时内提交书面报告。",
            "Urgent: 王芳 (金明区5号楼1单元301) reports: 整栋楼暖气不热,室温只有12度. Please act at once; "
            "the liaison hands in a written report within 1 hour.",
        )
    ]
    assert case.task("written_report").due_at == utc(23, 2)
    assert case.timers() == [("written_report_deadline", utc(23, 2), "waiting")]

    clock.set(utc(23, 1, 40))
    hand_in_written_report(case)
    # L4, L2: the department's investigation of an urgent matter is due when people must be on site,
    # 2 hours after the notice; it is on the overdue board from then (item 5 of issue 16).
    assert case.timers() == [
        ("written_report_deadline", utc(23, 2), "cancelled"),
        ("investigate_deadline", utc(23, 3, 40), "waiting"),
    ]
    assert case.data["on_site_due"] == "2026-11-23T11:40:00+08:00"
    assert case.task("investigate").due_at == utc(23, 3, 40)

    clock.set(utc(23, 2))
    investigate(case, "on_site", actor=OPS_HEAD)  # the head holds the department's role too
    assert case.task("solve_on_site").due_at == utc(23, 3, 40)
    assert case.timers()[-1] == ("on_site_deadline", utc(23, 3, 40), "waiting")

    clock.set(utc(23, 3))
    solve_on_site(case, "2026-11-23T10:45")
    # L5: the liaison's callback is due 24 hours after it opened (item 5 of issue 16).
    assert case.timers()[-2:] == [
        ("on_site_deadline", utc(23, 3, 40), "cancelled"),
        ("callback_deadline", utc(24, 3), "waiting"),
    ]
    assert case.task("callback").due_at == utc(24, 3)
    assert notifications(case)[1:] == [
        (
            "liaison1",
            "solve_on_site",
            f"{CUSTOMER}的问题已现场处理：{ON_SITE_RESULT}。请回访用户。",
            f"The matter of 王芳 (金明区5号楼1单元301) was solved on site: {ON_SITE_RESULT}. Please call the customer back.",
        )
    ]

    clock.set(utc(23, 5))
    callback_satisfied(case)
    assert "written_report_overdue" not in case.data and "on_site_overdue" not in case.data


def test_a_liaisons_case_comes_from_the_liaison_source(case: LiaisonCase) -> None:
    """Issue 19 item 4: a case a liaison collected on a visit counts as the liaison's (the shipped source
    联络员), not as a call to the own hotline."""
    collect(case, "general")
    with case.sessions() as session:
        assert case.instance(session).source == "liaison"


def test_department_without_a_head_tells_the_supervisors_l2(case: LiaisonCase) -> None:
    """L2: nobody is skipped: a department with no head on record has its urgent notice go to the supervisors."""
    collect(case, "urgent", department="technical")
    assert [(r, e) for r, e, _m, _en in notifications(case)] == [("sup1", "notify_head")]


def test_urgent_matter_reaches_the_department_head_by_sms_too_l2(case: LiaisonCase) -> None:
    """L2: "at once by phone or SMS": the head told in the app also gets the urgent report by SMS through
    the outbox (e-mail if that is the head's own choice)."""
    with case.sessions.begin() as session:
        session.execute(update(User).where(User.username == "operations_head").values(phone="13700000001"))
    collect(case, "urgent")
    with case.sessions() as session:
        sent = session.execute(
            select(
                OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.text
            ).where(OutboxMessage.instance_id == case.id)
        ).all()
    assert [(k, c, r) for k, c, r, _t in sent] == [("liaison", "sms", "13700000001")]
    assert "整栋楼暖气不热" in sent[0][3] and "LL-20261123-0001" in sent[0][3]


def test_written_report_later_than_one_hour_is_recorded_l2(case: LiaisonCase, clock: SettableClock) -> None:
    """L2: the written report is due within 1 hour of the urgent notice; a late one is recorded and stays open."""
    collect(case, "urgent")
    report = case.task("written_report")
    clock.set(utc(23, 1, 59, 59))
    assert no_timer_due(case)
    clock.set(utc(23, 2))
    case.fire_due_timers(
        events=[
            timer_fired("written_report_deadline"),
            script("record_written_report_overdue", new(written_report_overdue=True)),
            end("end_written_report_overdue"),
        ],
        open_now=[("written_report", "liaison")],
    )
    assert case.task("written_report").id == report.id
    assert case.task("written_report").due_at == utc(23, 2)  # still visibly overdue
    assert case.timers() == [("written_report_deadline", utc(23, 2), "fired")]
    assert no_timer_due(case)

    clock.set(utc(23, 2, 30))
    hand_in_written_report(case)
    assert case.data["written_report_overdue"] is True
    assert case.data["on_site_due"] == "2026-11-23T12:30:00+08:00"  # 2 hours from the department's notice


# --- (2) general: submitted within 24 hours ---------------------------------------------------------------------


def test_general_matter_is_submitted_to_the_department_within_24_hours_l3(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L3: a general matter tells nobody at once; the liaison submits the form within 24 hours and the
    department gets it (here a department the liaison chose over the category's route); L4, L5 follow."""
    collect(case, "general", department="repair")
    assert notifications(case) == []
    assert case.task("submit_to_department").due_at == utc(24, 1)
    assert case.timers() == [("submission_deadline", utc(24, 1), "waiting")]

    clock.set(utc(23, 6))
    case.refused("submit_to_department", LIAISON, {"form_checked": "", "submission_note": ""}, FormInvalid)
    submit(case)
    # L3, L4: a general matter's investigation is due at the close of the next working day.
    assert case.timers() == [
        ("submission_deadline", utc(24, 1), "cancelled"),
        ("investigate_deadline", utc(24, 9, 30), "waiting"),
    ]
    assert case.task("investigate").due_at == utc(24, 9, 30)
    with case.sessions() as session:
        assert case.instance(session).department == "repair"

    repair = department_handler("repair")
    case.refused("investigate", OPS, {"investigation": "不归我们管", "decision": "plan"}, NotAllowed)
    investigate(case, "on_site", actor=repair)
    clock.set(utc(23, 7))
    case.complete(
        "solve_on_site",
        repair,
        {"arrived_at": "2026-11-23T14:50", "on_site_staff": "维修二班", "on_site_result": ON_SITE_RESULT},
        events=[
            completed(
                repair,
                "solve_on_site",
                new(
                    arrived_at="2026-11-23T14:50:00+08:00",
                    on_site_result=ON_SITE_RESULT,
                    on_site_staff="维修二班",
                ),
            ),
            notified("solve_on_site", ["liaison1"]),
            created("callback", "liaison"),
        ],
        open_now=[("callback", "liaison")],
    )
    callback_satisfied(case)


def test_form_not_submitted_within_24_hours_is_recorded_l3(case: LiaisonCase, clock: SettableClock) -> None:
    """L3: 24 hours after the form was filled in, a submission still open is recorded; it stays open."""
    collect(case, "general")
    clock.set(utc(24, 0, 59, 59))
    assert no_timer_due(case)
    clock.set(utc(24, 1))
    case.fire_due_timers(
        events=[
            timer_fired("submission_deadline"),
            script("record_submission_overdue", new(submission_overdue=True)),
            end("end_submission_overdue"),
        ],
        open_now=[("submit_to_department", "liaison")],
    )
    assert case.timers() == [("submission_deadline", utc(24, 1), "fired")]
    assert case.task("submit_to_department").due_at == utc(24, 1)

    clock.set(utc(24, 3))
    submit(case)
    assert case.data["submission_overdue"] is True
    assert no_timer_due(case)


# --- (3) on site within 2 hours of the notice ----------------------------------------------------------------------


def test_nobody_on_site_within_two_hours_of_the_notice_is_recorded_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L4: the 2 hours run from the department's notice (the hand-over), not from its decision; a late
    arrival is recorded and the on-site task stays open until the department reports."""
    collect(case, "general")
    clock.set(utc(23, 1, 30))
    submit(case)
    clock.set(utc(23, 2))
    investigate(case, "on_site")
    assert case.timers()[-1] == ("on_site_deadline", utc(23, 3, 30), "waiting")

    clock.set(utc(23, 3, 29, 59))
    assert no_timer_due(case)
    clock.set(utc(23, 3, 30))
    case.fire_due_timers(
        events=[
            timer_fired("on_site_deadline"),
            script("record_on_site_overdue", new(on_site_overdue=True)),
            end("end_on_site_overdue"),
        ],
        open_now=[("solve_on_site", "operations")],
    )
    assert case.timers()[-1] == ("on_site_deadline", utc(23, 3, 30), "fired")
    assert case.task("solve_on_site").due_at == utc(23, 3, 30)

    clock.set(utc(23, 4))
    refused = case.refused(
        "solve_on_site",
        OPS,
        {"arrived_at": "下午", "on_site_staff": "", "on_site_result": "好了"},
        FormInvalid,
    )
    assert refused.errors == {
        "arrived_at": FieldError("not_datetime"),
        "on_site_staff": FieldError("required"),
        "on_site_result": FieldError("min_length", {"min": 5}),
    }
    solve_on_site(case, "2026-11-23T11:50")
    assert case.data["on_site_overdue"] is True
    callback_satisfied(case)


def test_a_decision_taken_after_the_two_hours_is_recorded_at_once_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L4: when the investigation itself took longer than 2 hours from the notice, the on-site task opens
    overdue, and the lateness is recorded in the same step."""
    collect(case, "general")
    submit(case)  # 09:00: people must be on site by 11:00
    clock.set(utc(23, 3, 30))
    case.complete(
        "investigate",
        OPS,
        {"investigation": "换热站二级管网阀门卡死", "decision": "on_site"},
        events=[
            completed(
                OPS,
                "investigate",
                new(
                    decision="on_site",
                    investigation="换热站二级管网阀门卡死",
                    sendback_reason=None,
                    suggested_department=None,
                ),
            ),
            timer_fired("on_site_deadline"),
            script("record_on_site_overdue", new(on_site_overdue=True)),
            end("end_on_site_overdue"),
            created("solve_on_site", "operations"),
        ],
        open_now=[("solve_on_site", "operations")],
    )
    assert no_timer_due(case)
    clock.set(utc(23, 4))
    solve_on_site(case, "2026-11-23T11:55")
    assert case.data["on_site_overdue"] is True


def test_a_task_that_opens_overdue_shows_its_deadline_l4(case: LiaisonCase, clock: SettableClock) -> None:
    """L4: the on-site task that opens after its 2 hours should still say when people were due on site."""
    collect(case, "general")
    submit(case)
    clock.set(utc(23, 3, 30))
    case.complete(
        "investigate",
        OPS,
        {"investigation": "换热站二级管网阀门卡死", "decision": "on_site"},
        events=[
            completed(
                OPS,
                "investigate",
                new(
                    decision="on_site",
                    investigation="换热站二级管网阀门卡死",
                    sendback_reason=None,
                    suggested_department=None,
                ),
            ),
            timer_fired("on_site_deadline"),
            script("record_on_site_overdue", new(on_site_overdue=True)),
            end("end_on_site_overdue"),
            created("solve_on_site", "operations"),
        ],
        open_now=[("solve_on_site", "operations")],
    )
    assert case.timers()[-1] == ("on_site_deadline", utc(23, 3), "fired")
    assert case.task("solve_on_site").due_at == utc(23, 3)


# --- (4) a work plan with dated milestones ---------------------------------------------------------------------------

PLAN = "分段清洗二级管网并更换故障阀门"
MILESTONES = [
    ("2026-11-30", "恢复供热并入户测温"),
    ("2026-11-25", "排查二级管网"),
    ("2026-11-27", "更换故障阀门"),
]


def test_work_plan_progress_is_reported_on_each_milestone_by_its_date_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L4: a work plan with dated milestones (written in any order, kept in date order) is told to the
    liaison; the department reports progress on each milestone by its date, each report sent to the
    liaison, until all are done; L5: then the liaison calls the customer back."""
    collect(case, "general")
    submit(case)
    clock.set(utc(23, 2))
    investigate(case, "plan")
    clock.set(utc(23, 4))
    make_plan(case, PLAN, MILESTONES)
    lines = "2026-11-30 恢复供热并入户测温\n2026-11-25 排查二级管网\n2026-11-27 更换故障阀门"
    assert notifications(case) == [
        (
            "liaison1",
            "make_plan",
            f"{CUSTOMER}的工作计划：{PLAN}。时间节点：{lines}",
            f"Work plan for 王芳 (金明区5号楼1单元301): {PLAN}. Milestones: {lines}",
        )
    ]
    assert [m["task"] for m in case.data["milestones"]] == [
        "排查二级管网",
        "更换故障阀门",
        "恢复供热并入户测温",
    ]
    assert case.task("report_progress").due_at == end_of_day_utc(25)
    assert case.timers() == [
        ("submission_deadline", utc(24, 1), "cancelled"),
        ("investigate_deadline", utc(24, 9, 30), "cancelled"),
        ("milestone_deadline", end_of_day_utc(25), "waiting"),
    ]

    clock.set(utc(25, 3))
    report_progress(case, "已完成5号楼二级管网排查,发现3处堵塞")
    assert case.task("report_progress").due_at == end_of_day_utc(27)
    assert case.timers()[-2:] == [
        ("milestone_deadline", end_of_day_utc(25), "cancelled"),
        ("milestone_deadline", end_of_day_utc(27), "waiting"),
    ]
    clock.set(utc(27, 8))
    report_progress(case, "故障阀门已更换,正在试压")
    clock.set(utc(30, 6))
    report_progress(case, "已恢复供热,入户测温20度")
    assert case.timers()[-2:] == [
        ("milestone_deadline", end_of_day_utc(30), "cancelled"),
        ("callback_deadline", utc(30, 6) + timedelta(hours=24), "waiting"),
    ]

    # the liaison has every report, in the data and in the app
    assert case.data["progress_reports"] == [
        {
            "plan": 1,
            "milestone": "排查二级管网",
            "date": "2026-11-25",
            "report": "已完成5号楼二级管网排查,发现3处堵塞",
            "reported_at": "2026-11-25T11:00:00+08:00",
            "late": False,
        },
        {
            "plan": 1,
            "milestone": "更换故障阀门",
            "date": "2026-11-27",
            "report": "故障阀门已更换,正在试压",
            "reported_at": "2026-11-27T16:00:00+08:00",
            "late": False,
        },
        {
            "plan": 1,
            "milestone": "恢复供热并入户测温",
            "date": "2026-11-30",
            "report": "已恢复供热,入户测温20度",
            "reported_at": "2026-11-30T14:00:00+08:00",
            "late": False,
        },
    ]
    assert [(r, e, m) for r, e, m, _en in notifications(case)[1:]] == [
        (
            "liaison1",
            "record_progress",
            f"{CUSTOMER}处理进展：节点「排查二级管网」：已完成5号楼二级管网排查,发现3处堵塞",
        ),
        ("liaison1", "record_progress", f"{CUSTOMER}处理进展：节点「更换故障阀门」：故障阀门已更换,正在试压"),
        (
            "liaison1",
            "record_progress",
            f"{CUSTOMER}处理进展：节点「恢复供热并入户测温」：已恢复供热,入户测温20度",
        ),
    ]
    assert (case.data["milestones_left"], case.data["current_milestone"], case.data["milestone_due"]) == (
        0,
        None,
        None,
    )
    callback_satisfied(case)


def test_milestone_date_passing_without_a_report_is_recorded_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L4: each milestone's report is due at the end of its date; when the date passes, the milestone is
    recorded as overdue and the report stays open; the late report says it was late."""
    collect(case, "general")
    submit(case)
    investigate(case, "plan")
    make_plan(case, PLAN, [("2026-11-24", "排查二级管网"), ("2026-11-26", "更换故障阀门")])

    clock.set(end_of_day_utc(24) - timedelta(seconds=1))
    assert no_timer_due(case)
    clock.set(end_of_day_utc(24))
    case.fire_due_timers(
        events=[
            timer_fired("milestone_deadline"),
            script("record_milestone_overdue", new(overdue_milestone="排查二级管网")),
            end("end_milestone_overdue"),
        ],
        open_now=[("report_progress", "operations")],
    )
    assert case.task("report_progress").due_at == end_of_day_utc(24)

    clock.set(utc(25, 1))
    report_progress(case, "排查完成,比计划晚一天")
    assert case.data["progress_reports"][-1]["late"] is True
    assert case.task("report_progress").due_at == end_of_day_utc(26)

    clock.set(utc(26, 16))
    # The timer's branch carries the data of when it split off; the history's "before" is the case's value.
    case.fire_due_timers(
        events=[
            timer_fired("milestone_deadline"),
            script("record_milestone_overdue", {"overdue_milestone": ["排查二级管网", "更换故障阀门"]}),
            end("end_milestone_overdue"),
        ],
        open_now=[("report_progress", "operations")],
    )
    assert [(e, status) for e, _due, status in case.timers()] == [
        ("submission_deadline", "cancelled"),
        ("investigate_deadline", "cancelled"),
        ("milestone_deadline", "fired"),
        ("milestone_deadline", "fired"),
    ]

    clock.set(utc(27, 1))
    report_progress(case, "阀门已更换")
    assert [r["late"] for r in case.data["progress_reports"]] == [True, True]
    callback_satisfied(case)


def test_malformed_milestone_lines_are_refused_and_nothing_is_written_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L4: every milestone needs a date (YYYY-MM-DD) and what is done by then; anything else is refused
    with nothing written, and so is a date that does not exist."""
    collect(case, "general")
    submit(case)
    investigate(case, "plan")
    for lines in (
        "下周一 更换阀门",
        "2026-11-25排查管网",
        "2026-11-25 排查管网\n然后更换阀门",
        "2026/11/25 排查管网",
        "2026-13-01 排查管网",
        "2026-11-25",
    ):
        refused = case.refused(
            "make_plan", OPS, {"plan_summary": PLAN, "milestone_lines": lines}, FormInvalid
        )
        assert refused.errors == {"milestone_lines": FieldError("pattern")}, lines
    refused = case.refused("make_plan", OPS, {"plan_summary": "", "milestone_lines": " "}, FormInvalid)
    assert refused.errors == {
        "plan_summary": FieldError("required"),
        "milestone_lines": FieldError("required"),
    }
    failed = case.refused(
        "make_plan", OPS, {"plan_summary": PLAN, "milestone_lines": "2026-11-31 排查管网"}, ScriptFailed
    )
    assert failed.element_id == "parse_plan"
    assert notifications(case) == []

    # blank lines and spaces around the lines are fine
    case.complete(
        "make_plan",
        OPS,
        {"plan_summary": PLAN, "milestone_lines": "  2026-11-26 更换阀门 \r\n\r\n2026-11-25 排查管网"},
        events=[
            completed(
                OPS,
                "make_plan",
                new(milestone_lines="2026-11-26 更换阀门 \r\n\r\n2026-11-25 排查管网", plan_summary=PLAN),
            ),
            notified("make_plan", ["liaison1"]),
            script(
                "parse_plan",
                {
                    "current_milestone": [None, "排查管网"],
                    "current_milestone_date": [None, "2026-11-25"],
                    "milestone_due": [None, "2026-11-25T23:59:59+08:00"],
                    "milestone_index": [None, 0],
                    "milestones": [
                        None,
                        [
                            {"date": "2026-11-25", "task": "排查管网", "due": "2026-11-25T23:59:59+08:00"},
                            {"date": "2026-11-26", "task": "更换阀门", "due": "2026-11-26T23:59:59+08:00"},
                        ],
                    ],
                    "milestones_left": [None, 2],
                    "plan_count": [0, 1],
                },
            ),
            created("report_progress", "operations"),
        ],
        open_now=[("report_progress", "operations")],
    )
    # the milestone in hand is shown, not changed, by the progress form
    case.complete(
        "report_progress",
        OPS,
        {
            "progress_note": "排查完成",
            "current_milestone": "全部完成",
            "current_milestone_date": "2099-01-01",
        },
        events=[
            completed(OPS, "report_progress", new(progress_note="排查完成")),
            script(
                "record_progress",
                {
                    "current_milestone": ["排查管网", "更换阀门"],
                    "current_milestone_date": ["2026-11-25", "2026-11-26"],
                    "milestone_due": ["2026-11-25T23:59:59+08:00", "2026-11-26T23:59:59+08:00"],
                    "milestone_index": [0, 1],
                    "milestones_left": [2, 1],
                    "reported_milestone": [None, "排查管网"],
                    "progress_reports": [
                        [],
                        [
                            {
                                "plan": 1,
                                "milestone": "排查管网",
                                "date": "2026-11-25",
                                "report": "排查完成",
                                "reported_at": "2026-11-23T09:00:00+08:00",
                                "late": False,
                            }
                        ],
                    ],
                },
            ),
            notified("record_progress", ["liaison1"]),
            created("report_progress", "operations"),
        ],
        open_now=[("report_progress", "operations")],
    )


# --- (5) not satisfied: a new plan, as many times as needed ---------------------------------------------------------


def test_unsatisfied_customer_gets_a_new_plan_each_time_until_satisfied_l5(
    case: LiaisonCase, clock: SettableClock
) -> None:
    """L5: the liaison calls back; not satisfied goes back to the department (its heads told) for a new
    plan (L4), twice here, each plan's progress kept apart by its number, until the customer is satisfied."""
    collect(case, "urgent")
    clock.set(utc(23, 1, 30))
    hand_in_written_report(case)
    investigate(case, "on_site")
    clock.set(utc(23, 2, 30))
    solve_on_site(case, "2026-11-23T10:20")

    clock.set(utc(23, 6))
    callback_not_satisfied(case, "阀门换了但室温只有16度")
    assert notifications(case)[-1] == (
        "operations_head",
        "request_new_plan",
        f"{CUSTOMER}对处理结果不满意：阀门换了但室温只有16度。请重新研究解决方案。",
        "王芳 (金明区5号楼1单元301) is not satisfied with the result: 阀门换了但室温只有16度. Please work out a new plan.",
    )
    clock.set(utc(23, 8))
    make_plan(case, "加装楼内循环泵", [("2026-11-26", "加装循环泵")])
    clock.set(utc(26, 2))
    report_progress(case, "循环泵已加装")

    clock.set(utc(26, 5))
    callback_not_satisfied(case, "顶层仍然偏冷")
    clock.set(utc(26, 7))
    make_plan(case, "顶层加装散热片并平衡调节", [("2026-11-28", "平衡调节"), ("2026-11-27", "加装散热片")])
    assert case.task("report_progress").due_at == end_of_day_utc(27)
    report_progress(case, "散热片已加装")
    clock.set(utc(28, 3))
    report_progress(case, "平衡调节完成,顶层室温19度")

    clock.set(utc(28, 6))
    callback_satisfied(case)
    assert (case.data["replan_count"], case.data["plan_count"]) == (2, 2)
    assert [(r["plan"], r["milestone"]) for r in case.data["progress_reports"]] == [
        (1, "加装循环泵"),
        (2, "加装散热片"),
        (2, "平衡调节"),
    ]
    assert [e for _r, e, _m, _en in notifications(case)] == [
        "notify_head",
        "solve_on_site",
        "request_new_plan",
        "make_plan",
        "record_progress",
        "request_new_plan",
        "make_plan",
        "record_progress",
        "record_progress",
    ]


# --- who may do what, and bad forms ----------------------------------------------------------------------------------


def test_the_information_form_refuses_bad_values_and_writes_nothing_l1(
    sessions: sessionmaker[Session], runtime: Runtime, case: LiaisonCase
) -> None:
    """L1: no case without the customer, a valid contact, an address, the feedback, a known type and
    department and the urgency; and only a liaison fills in the form."""
    with sessions() as session:
        before = row_counts(session)
    bad = info_form(
        customer_name="",
        customer_phone="1234",
        address=" ",
        feedback="",
        category="volcano",
        department="nowhere",
        urgency="critical",
        collection_method="letter",
    )
    with pytest.raises(FormInvalid) as refused, sessions.begin() as session:
        start_case(session, runtime, "liaison", LIAISON, bad)
    assert refused.value.errors == {
        "customer_name": FieldError("required"),
        "customer_phone": FieldError("pattern"),
        "address": FieldError("required"),
        "feedback": FieldError("required"),
        "category": FieldError("not_option"),
        "department": FieldError("not_option"),
        "urgency": FieldError("not_option"),
        "collection_method": FieldError("not_option"),
    }
    with pytest.raises(FormInvalid) as refused, sessions.begin() as session:
        start_case(session, runtime, "liaison", LIAISON, info_form(urgency=""))
    assert refused.value.errors == {"urgency": FieldError("required")}
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "liaison", OPS, info_form())
    with sessions() as session:
        assert row_counts(session) == before


def test_each_step_is_for_its_own_group_only_l2_l4_l5(case: LiaisonCase, clock: SettableClock) -> None:
    """L2: the written report is the liaison's; L4: investigation, on-site work, plans and progress
    are the case's department's, not another department's nor the liaison's; L5: the callback is the
    liaison's. A refused step writes nothing."""
    collect(case, "urgent")
    case.refused("written_report", OPS, {"written_report_text": WRITTEN_REPORT}, NotAllowed)
    refused = case.refused("written_report", LIAISON, {"written_report_text": "很急"}, FormInvalid)
    assert refused.errors == {"written_report_text": FieldError("min_length", {"min": 10})}
    hand_in_written_report(case)

    repair_head = Actor("repair_head", frozenset({"repair", "department_head"}))
    for outsider in (
        LIAISON,
        department_handler("repair"),
        repair_head,
        Actor("sup1", frozenset({"supervisor"})),
    ):
        case.refused(
            "investigate", outsider, {"investigation": "已核实情况属实", "decision": "plan"}, NotAllowed
        )
    refused = case.refused(
        "investigate", OPS, {"investigation": "已核实情况属实", "decision": "later"}, FormInvalid
    )
    assert refused.errors == {"decision": FieldError("not_option")}
    investigate(case, "plan")
    case.refused(
        "make_plan",
        department_handler("repair"),
        {"plan_summary": PLAN, "milestone_lines": "2026-11-25 排查"},
        NotAllowed,
    )
    make_plan(case, PLAN, [("2026-11-25", "排查二级管网")])
    case.refused("report_progress", LIAISON, {"progress_note": "我替部门写"}, NotAllowed)
    case.refused("report_progress", OPS, {"progress_note": ""}, FormInvalid)
    report_progress(case, "排查完成")

    case.refused("callback", OPS, {"satisfied": "yes"}, NotAllowed)
    refused = case.refused("callback", LIAISON, {"satisfied": "no", "callback_note": ""}, FormInvalid)
    assert refused.errors == {"callback_note": FieldError("required")}  # a dissatisfied customer's reason
    callback_satisfied(case)


# --- send-back and re-dispatch (C4) ---------------------------------------------------------------------

DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
SENDBACK_REASON = "该楼为自管站供热,不属生产运行部管辖,应由技术部联系产权单位。"


def send_back_from_investigation(case: LiaisonCase) -> None:
    department = case.data["department"]
    case.complete(
        "investigate",
        OPS,
        {
            "investigation": "核实该楼由自管换热站供热",
            "decision": "not_ours",
            "sendback_reason": SENDBACK_REASON,
        },
        events=[
            completed(
                OPS,
                "investigate",
                new(
                    decision="not_ours",
                    investigation="核实该楼由自管换热站供热",
                    sendback_reason=SENDBACK_REASON,
                    suggested_department=None,
                ),
            ),
            created("review_sendback", "dispatcher"),
        ],
        open_now=[("review_sendback", "dispatcher")],
    )
    assert case.data["department"] == department


def investigate_again(case: LiaisonCase, decision: str, actor: Actor) -> None:
    """L4: the department (the new one, or the same after a rejection) investigates and decides."""
    department = case.data["department"]
    nxt = "solve_on_site" if decision == "on_site" else "make_plan"
    case.complete(
        "investigate",
        actor,
        {"investigation": "复核后安排处理", "decision": decision},
        events=[
            completed(
                actor,
                "investigate",
                {
                    "decision": [None, decision],
                    "investigation": [case.data["investigation"], "复核后安排处理"],
                    "sendback_reason": [SENDBACK_REASON, None],
                },
            ),
            created(nxt, department),
        ],
        open_now=[(nxt, department)],
    )


def test_a_send_back_approved_hands_the_matter_to_the_new_department_with_new_deadlines_c4_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    case.task_names = {**TASK_NAMES, "review_sendback": "审核退单"}
    collect(case, "general")
    submit(case)
    clock.advance(timedelta(minutes=30))
    send_back_from_investigation(case)
    case.refused("review_sendback", OPS, {"sendback_decision": "reject", "review_comment": "x"}, NotAllowed)

    clock.advance(timedelta(minutes=30))
    now = clock.now()
    on_site_due = local(now + timedelta(hours=2))
    # sent back and re-dispatched on the same day: the next working day's close stays the investigation's deadline
    assert case.data["investigate_due"] == BusinessCalendar(SHANGHAI).working_days_after(now, 1).isoformat()
    approve_sendback(
        case,
        DISPATCHER,
        "technical",
        redispatched={
            "decision": ["not_ours", None],
            "department": ["operations", "technical"],
            "handed_over_at": [case.data["handed_over_at"], local(now)],
            "on_site_due": [case.data["on_site_due"], on_site_due],
        },
        open_now=("investigate", "technical"),
    )
    investigate_again(case, "on_site", department_handler("technical"))


def test_a_send_back_rejected_returns_the_matter_to_the_same_department_c4_l4(
    case: LiaisonCase, clock: SettableClock
) -> None:
    case.task_names = {**TASK_NAMES, "review_sendback": "审核退单"}
    collect(case, "general")
    submit(case)
    due_before = case.task("investigate").due_at
    send_back_from_investigation(case)
    clock.advance(timedelta(minutes=10))
    reject_sendback(
        case,
        DISPATCHER,
        "小区供热由生产运行部负责",
        restored={"decision": ["not_ours", None]},
        open_now=("investigate", "operations"),
    )
    assert case.task("investigate").due_at == due_before
    investigate_again(case, "plan", OPS)
