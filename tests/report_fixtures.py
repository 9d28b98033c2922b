"""Cases built step by step through the engine at known times, so every report and KPI figure (M1-M4)
can be computed by hand. Shared by the unit and the web tests.

THE WEEK: Monday 23 to Sunday 29 November 2026 (Asia/Shanghai); figures as at Monday 30 November 07:00,
when the weekly report falls due.

| case | received | procedure, department, category | what happens | replied | closed |
|---|---|---|---|---|---|
| P | Sun 22 23:59 | complaint, operations, temperature | nothing (the week before) | – | – |
| A | Mon 23 09:00 | complaint, operations, temperature | handled 10:00 (due 23:59:59), callback "yes" 11:00 (due Tue 10:00), closed 11:30 | yes | yes |
| B | Mon 23 09:05 | complaint, billing, billing | nothing: its reply was due Mon 23:59:59 | no | no |
| C | Mon 23 09:10 | complaint, repair, facility, site visit | site order 09:12 (due 09:13); handled 15:00; callback "no" 16:00 (due Tue 15:00); handled again Tue 10:00 (due Mon 23:59:59: late); callback "no" again Tue 11:00 (due Wed 10:00); waits for the department (due Tue 23:59:59) | yes | no |
| D | Mon 23 10:00 | repair, repair, leak | dispatched 10:01 (due 10:03), on site 10:20 (due 10:31), reported 12:00 (due 23:59:59), callback "yes" 14:00 (due Tue 12:00) | yes | yes |
| E | Tue 24 09:00 | consultation, billing (its category's), billing | answered on the spot | yes | yes |
| F | Sun 29 23:59 | consultation, billing, billing | answered on the spot | yes | yes |
| G | Mon 30 00:00 | consultation, billing, billing | answered on the spot (the week after) | – | – |

By hand, for the week (department: received / replied / closed; deadlines met / judged; callback answers
satisfied / given; complaints replied / received). A callback is due 24 hours after it opens (C5, R5):

- operations: 1 / 1 / 1; deadlines 2 / 2; answers 1 / 1; complaints 1 / 1
- billing: 3 / 2 / 2 (B, E, F); deadlines 0 / 1; answers 0 / 0; complaints 0 / 1
- repair: 2 / 2 / 1 (C, D); deadlines C 4 of 6 + D 4 of 4 = 8 / 10; answers C "no", "no" + D "yes" = 1 / 3;
  complaints 1 / 1
- total: 6 / 5 / 4; deadlines 10 / 13; answers 2 / 4; complaints 2 / 3 — satisfaction 50.0 %, timeliness
  76.9 %, resolution 66.7 %, complaint handling 66.7 %.

On-site orders of the week (M1): C (site order issued) and D (worker on site): population 2, sample 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, department_handler, intake_form, open_task

SHANGHAI = ZoneInfo("Asia/Shanghai")
DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
WORKER = Actor("worker1", frozenset({"repair_worker"}))
PROCESSES_USED = ("repair", "consultation", "callback")


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class World:
    sessions: sessionmaker[Session]
    runtime: Runtime
    clock: SettableClock
    cases: dict[str, str] = field(default_factory=dict)  # letter -> case number

    def when(self, moment: datetime) -> None:
        self.clock.set(moment)

    def start(self, letter: str, process: str, actor: Actor, form: dict[str, Any]) -> None:
        with self.sessions.begin() as session:
            self.cases[letter] = start_case(session, self.runtime, process, actor, form).case_number
        self.runtime.workflows.clear()

    def complete(self, letter: str, element: str, actor: Actor, values: dict[str, Any]) -> None:
        with self.sessions.begin() as session:
            instance = self.instance(session, letter)
            complete_task(session, self.runtime, open_task(session, instance.id, element).id, actor, values)
        self.runtime.workflows.clear()

    def instance(self, session: Session, letter: str) -> ProcessInstance:
        from sqlalchemy import select

        return session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_number == self.cases[letter])
        ).one()

    # the procedures' steps ------------------------------------------------------------------------------

    def complaint(self, letter: str, moment: datetime, **form: Any) -> None:
        self.when(moment)
        self.start(letter, "complaint", OPERATOR, intake_form(**form))

    def handle(self, letter: str, moment: datetime, department: str) -> None:
        self.when(moment)
        self.complete(
            letter,
            "department_handling",
            department_handler(department),
            {"investigation": "现场核实情况属实", "outcome": "resolved", "result": "已处理并答复客户"},
        )

    def callback(self, letter: str, moment: datetime, satisfied: str) -> None:
        self.when(moment)
        values = {"customer_informed": True, "satisfied": satisfied, "callback_note": "回访"}
        self.complete(
            letter, "callback", OPERATOR if self.cases[letter].startswith("TS") else DISPATCHER, values
        )

    def consultation(self, letter: str, moment: datetime, category: str = "billing") -> None:
        self.when(moment)
        self.start(
            letter,
            "consultation",
            OPERATOR,
            {
                "customer_name": "王芳",
                "customer_phone": "13900000004",
                "question": "明年供暖费标准是否调整?",
                "category": category,
                "answered_now": "on",
                "answer": "标准不变。",
            },
        )

    def repair_on_site(
        self,
        letter: str,
        moment: datetime,
        category: str = "leak",
        report: bool = True,
        callback: str | None = "yes",
    ) -> None:
        """A repair: recorded, dispatched a minute later, on site after 20 minutes, reported after two
        hours, called back after four."""
        from datetime import timedelta

        self.when(moment)
        self.start(
            letter,
            "repair",
            DISPATCHER,
            {
                "customer_name": "刘洋",
                "customer_phone": "13900000001",
                "address": "金明区3号楼1单元101",
                "description": "厨房水管接头漏水,地面有积水。",
                "category": category,
                "department": "",
                "urgent": "",
            },
        )
        self.when(moment + timedelta(minutes=1))
        arrival = (moment + timedelta(minutes=21)).strftime("%Y-%m-%dT%H:%M")
        self.complete(
            letter,
            "dispatch",
            DISPATCHER,
            {"worker": "维修一班", "expected_arrival": arrival, "arrival_told": "on"},
        )
        self.when(moment + timedelta(minutes=20))
        self.complete(
            letter,
            "arrive_on_site",
            WORKER,
            {"arrived_at": self.clock.now().astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")},
        )
        if not report:
            return
        self.when(moment + timedelta(hours=2))
        self.complete(
            letter,
            "onsite_report",
            WORKER,
            {
                "diagnosis": "接头密封圈老化",
                "work_done": "更换接头和密封圈",
                "materials": "接头1个",
                "steps_explained": "on",
                "customer_signed": "on",
                "customer_damage": "",
                "outcome": "resolved",
            },
        )
        if callback is None:
            return
        self.when(moment + timedelta(hours=4))
        self.callback(letter, self.clock.now(), callback)


WEEK_AS_OF = at(11, 30, 7, 0)


def build_week(world: World) -> World:
    """The cases of THE WEEK above."""
    w = world
    w.complaint("P", at(11, 22, 23, 59))
    w.complaint("A", at(11, 23, 9, 0))
    w.complaint("B", at(11, 23, 9, 5), department="billing", category="billing")
    w.complaint("C", at(11, 23, 9, 10), department="repair", category="facility", needs_site_visit=True)
    w.when(at(11, 23, 9, 12))
    w.complete("C", "dispatch_site_order", OPERATOR, {"site_order_note": "请维修部上门查看楼道暖气管"})
    w.handle("A", at(11, 23, 10, 0), "operations")
    w.callback("A", at(11, 23, 11, 0), "yes")
    w.when(at(11, 23, 11, 30))
    w.complete(
        "A",
        "summarise_and_close",
        OPERATOR,
        {"root_cause": "换热站阀门故障", "improvement": "每周巡检阀门", "close_reason": "resolved"},
    )
    w.repair_on_site("D", at(11, 23, 10, 0))
    w.handle("C", at(11, 23, 15, 0), "repair")
    w.callback("C", at(11, 23, 16, 0), "no")
    w.consultation("E", at(11, 24, 9, 0))
    w.handle("C", at(11, 24, 10, 0), "repair")
    w.callback("C", at(11, 24, 11, 0), "no")
    w.consultation("F", at(11, 29, 23, 59))
    w.consultation("G", at(11, 30, 0, 0))
    w.when(WEEK_AS_OF)
    return w


def make_world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    """complaint.bpmn must be deployed already (the `deployed` fixture); the others are deployed here."""
    for key in PROCESSES_USED:
        deploy_process(key)
    return World(sessions, runtime, clock)


MONTH_AS_OF = at(1, 26, 7, 0, year=2027)


def build_year_end_month(world: World) -> World:
    """THE MONTH 2027-01: 26 December 2026 to 25 January 2027, across the year end; its 12345 summary
    counts the cases received from the cut-off of 25 December 16:00 to that of 25 January 16:00 (the
    default HOTLINE_MONTHLY_REPORT_AT); figures as at 26 January 2027 07:00, the summary made late.

    | case | received | procedure, category | in the summary |
    |---|---|---|---|
    | M0 | 2026-12-25 15:59 | consultation, billing | no (the month before's) |
    | M1 | 2026-12-26 00:00 | consultation, 无显无水 (IC card meter) | yes |
    | M2 | 2027-01-01 10:00 | complaint, 表冻或烫坏 (IC card meter), repair; left with the department | yes |
    | M3 | 2027-01-10 10:00 | consultation, IC卡水表故障 itself | yes |
    | M4 | 2027-01-25 15:59 | consultation, 漏水 | yes |
    | M5 | 2027-01-25 16:00 | consultation, 漏水 | no (the next month's) |

    By hand: received 4, replied 3, closed 3; IC卡水表故障 3 (无显无水 1, 表冻或烫坏 1, not specified 1),
    漏水 1; complaints 1 (repair, not replied); consultations 3 of 3 replied and closed.
    """
    w = world
    w.consultation("M0", at(12, 25, 15, 59))
    w.consultation("M1", at(12, 26, 0, 0), category="meter_no_display")
    w.complaint(
        "M2",
        at(1, 1, 10, 0, year=2027),
        department="repair",
        category="meter_frozen",
        description="IC卡水表冻裂,家中无水。",
    )
    w.consultation("M3", at(1, 10, 10, 0, year=2027), category="meter_fault")
    w.consultation("M4", at(1, 25, 15, 59, year=2027), category="leak")
    w.consultation("M5", at(1, 25, 16, 0, year=2027), category="leak")
    w.when(MONTH_AS_OF)
    return w


SOURCES_AS_OF = at(12, 26, 7, 0)


def build_sources_month(world: World) -> World:
    """THE SOURCES MONTH 2026-12: 26 November to 25 December 2026; its first week, Monday 30 November to
    Sunday 6 December, holds every case below but S0. Figures as at 26 December 07:00 (M3, M10).

    | case | received | source | what happens | replied | closed |
    |---|---|---|---|---|---|
    | S0 | Wed 25 Nov 15:59 | 12345 | nothing (the month before: before its 16:00 cut-off) | – | – |
    | S1 | Mon 30 Nov 09:00 | 12345 | handled 10:00, callback "yes" 11:00, replied on the platform 11:10, closed 11:30 | yes | yes |
    | S2 | Mon 30 Nov 09:10 | 12345 | nothing | no | no |
    | S3 | Tue 1 Dec 09:00 | 政民互动 | handled 10:00 | yes | no |
    | S4 | Wed 2 Dec 09:00 | 数字城管 | nothing | no | no |
    | S5 | Thu 3 Dec 09:00 | own hotline | handled 10:00 | yes | no |
    | S6 | Fri 4 Dec 09:00 | walk-in | nothing | no | no |

    By hand, the higher authorities of the month (M10: received / replied / closed): 12345 2 / 1 / 1,
    政民互动 1 / 1 / 0, 信访局/建设局 0, 消协 0, 数字城管 1 / 0 / 0, media 0; total 4 / 2 / 1.
    The week by source: own hotline 1 / 1 / 0, walk-in 1 / 0 / 0, 12345 2 / 1 / 1, 政民互动 1 / 1 / 0,
    数字城管 1 / 0 / 0, the others 0; total 6 / 3 / 1.
    """
    w = world
    w.complaint("S0", at(11, 25, 15, 59), case_source="mayor_12345")
    w.complaint("S1", at(11, 30, 9, 0), case_source="mayor_12345", upstream_reference="YC-1")
    w.complaint("S2", at(11, 30, 9, 10), case_source="mayor_12345", upstream_reference="YC-2")
    w.handle("S1", at(11, 30, 10, 0), "operations")
    w.callback("S1", at(11, 30, 11, 0), "yes")
    w.when(at(11, 30, 11, 10))
    w.complete("S1", "reply_on_platform", OPERATOR, {"platform_reply": "已处理", "platform_answer": "已办结"})
    w.when(at(11, 30, 11, 30))
    w.complete(
        "S1",
        "summarise_and_close",
        OPERATOR,
        {"root_cause": "阀门故障", "improvement": "巡检阀门", "close_reason": "resolved"},
    )
    w.complaint("S3", at(12, 1, 9, 0), case_source="sasac_platform")
    w.handle("S3", at(12, 1, 10, 0), "operations")
    w.complaint("S4", at(12, 2, 9, 0), case_source="digital_city")
    w.complaint("S5", at(12, 3, 9, 0))
    w.handle("S5", at(12, 3, 10, 0), "operations")
    w.complaint("S6", at(12, 4, 9, 0), case_source="walk_in")
    w.when(SOURCES_AS_OF)
    return w


LIAISON_1 = Actor("liaison1", frozenset({"liaison"}))
LIAISON_2 = Actor("liaison2", frozenset({"liaison"}))


def liaison_form(urgency: str) -> dict[str, Any]:
    return {
        "customer_name": "王芳",
        "customer_phone": "13900000004",
        "address": "金明区5号楼1单元301",
        "collection_method": "visit",
        "feedback": "整栋楼暖气不热,室温只有12度",
        "suggestions": "",
        "complaints": "",
        "category": "temperature",
        "department": "",
        "urgency": urgency,
    }


def build_liaison_week(world: World) -> World:
    """THE LIAISONS' WEEK: information forms (L1-L5) in the week of 23 November 2026, figures as at
    Monday 30 November 07:00 (liaison.bpmn must be deployed).

    | form | liaison | received | what happens |
    |---|---|---|---|
    | L1 | liaison1 | Mon 23 09:00, urgent | written report 09:40 (due 10:00), operations investigate 10:00, on site 11:00, callback "yes" 12:00: closed |
    | L2 | liaison1 | Mon 23 10:00, general | handed to the department Tue 24 11:00 (due Tue 10:00: late); left with the department |
    | L3 | liaison2 | Tue 24 09:00, general | never handed over (due Wed 25 09:00: late) |

    By hand (forms; on-time feedback; resolution; satisfaction): liaison1 2; 1/2; 1/2; 1/1 —
    liaison2 1; 0/1; 0/1; none (—).
    """
    from datetime import timedelta

    w = world
    ops = department_handler("operations")
    w.when(at(11, 23, 9, 0))
    w.start("L1", "liaison", LIAISON_1, liaison_form("urgent"))
    w.when(at(11, 23, 9, 40))
    w.complete(
        "L1",
        "written_report",
        LIAISON_1,
        {"written_report_text": "整栋楼暖气不热,已电话报告部门负责人。", "head_phoned": "on"},
    )
    w.when(at(11, 23, 10, 0))
    w.start("L2", "liaison", LIAISON_1, liaison_form("general"))
    w.complete("L1", "investigate", ops, {"investigation": "换热站阀门卡死", "decision": "on_site"})
    w.when(at(11, 23, 11, 0))
    arrived = (w.clock.now() - timedelta(minutes=30)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    w.complete(
        "L1",
        "solve_on_site",
        ops,
        {"arrived_at": arrived, "on_site_staff": "维修一班", "on_site_result": "已更换阀门,室温恢复"},
    )
    w.when(at(11, 23, 12, 0))
    w.complete("L1", "callback", LIAISON_1, {"satisfied": "yes", "callback_note": "用户满意"})
    w.when(at(11, 24, 9, 0))
    w.start("L3", "liaison", LIAISON_2, liaison_form("general"))
    w.when(at(11, 24, 11, 0))
    w.complete("L2", "submit_to_department", LIAISON_1, {"form_checked": "on", "submission_note": "请核实"})
    w.when(WEEK_AS_OF)
    return w


def add_consultations_of_the_week(world: World) -> World:
    """THE WEEK (build_week) plus two consultations on Wednesday 25: H answered on the spot from
    knowledge base entry 1, I not answered on the spot (a reply promised for 17:00).

    On-the-spot rate (直办率) of the week, by hand: consultations received E, F, H, I = 4 (G is the next
    week's), answered on the spot E, F, H = 3 (75.0 %), answered from the knowledge base H = 1 (25.0 %);
    all of them billing's (their category's department)."""
    w = world
    w.when(at(11, 25, 10, 0))
    question = {
        "customer_name": "王芳",
        "customer_phone": "13900000004",
        "question": "明年供暖费标准是否调整?",
        "category": "billing",
    }
    w.start(
        "H",
        "consultation",
        OPERATOR,
        {**question, "answered_now": "on", "answer": "标准不变。", "answered_from": "1"},
    )
    w.when(at(11, 25, 11, 0))
    w.start(
        "I",
        "consultation",
        OPERATOR,
        {
            **question,
            "answered_now": "",
            "promised_reply_at": "2026-11-25T17:00",
            "reply_channel": "phone",
            "contact": "13900000004",
        },
    )
    w.when(WEEK_AS_OF)
    return w
