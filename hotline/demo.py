"""Demo users (one per role) and a few demo cases, for a first look at the system.

Each step of a demo case is its own unit of work, as in real use, and a case is opened the way a call
is recorded at intake (engine.work.record_call): its caller joins the customer register (M5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import complete_task, latest_definition
from engine.db import Customer, HumanTask, KnowledgeEntry, ProcessInstance
from engine.knowledge import add_entry, entry_values
from engine.people import actor_of, create_user, find_user
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import complete_task as complete_work
from engine.work import record_call


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    roles: tuple[str, ...]
    password: str = "hotline123"


DEMO_USERS = (
    DemoUser("operator", "王接线", ("operator",)),
    DemoUser("dispatcher", "李调度", ("dispatcher",)),
    DemoUser("ops_handler", "赵运行", ("operations",)),
    DemoUser("ops_head", "冯部长", ("operations", "department_head")),
    DemoUser("repair_head", "褚部长", ("repair", "department_head")),
    DemoUser("repair_handler", "钱维修", ("repair",)),
    DemoUser("billing_handler", "孙收费", ("billing",)),
    DemoUser("tech_handler", "周技术", ("technical",)),
    DemoUser("worker", "吴师傅", ("repair_worker",)),
    DemoUser("liaison", "郑联络", ("liaison",)),
    DemoUser("supervisor", "陈主管", ("supervisor",)),
    DemoUser("owner", "林流程", ("process_owner",)),
    DemoUser("admin", "杨管理", ("admin", "supervisor", "process_owner")),
)

_COMPLAINTS = (
    dict(
        customer_name="张伟",
        customer_phone="13800001111",
        address="金明小区3号楼2单元501",
        description="室内温度只有14度,已经持续三天,家里有老人。",
        category="temperature",
        department="operations",
        needs_site_visit="",
        apologised="on",
    ),
    dict(
        customer_name="刘芳",
        customer_phone="0951-5012345",
        address="银湖路88号",
        description="收费窗口工作人员态度恶劣,拒绝解释账单。",
        category="conduct",
        department="billing",
        needs_site_visit="",
        apologised="on",
    ),
    dict(
        customer_name="马强",
        customer_phone="13912345678",
        address="新华街17号楼1单元",
        description="楼道暖气管漏水,地面结冰。",
        category="facility",
        department="repair",
        needs_site_visit="on",
        apologised="on",
    ),
)


# (account, name, phone, district, building, unit, room, heated m²): the customer register (M5).
DEMO_CUSTOMERS = tuple(
    (
        f"JM-{b:02d}{u:02d}-{floor}0{door}",
        name,
        f"139{b:02d}{u:02d}{floor:02d}{door:02d}",
        "金明区",
        f"{b}号楼",
        f"{u}单元",
        f"{floor}0{door}",
        70.0 + 10 * door,
    )
    for b in (3, 5)
    for u in (1, 2)
    for floor in (1, 3, 5)
    for door, name in ((1, "住户甲"), (2, "住户乙"))
) + (("XH-0101-101", "赵敏", "13900000006", "兴华区", "1号楼", "1单元", "101", 95.0),)


def create_demo_customers(session: Session) -> int:
    if session.scalar(select(func.count(Customer.id))):
        return 0
    session.add_all(
        Customer(
            account_no=a, name=n, phone=p, email="", district=d, building=b, unit=u, room=r, heated_area=m
        )
        for a, n, p, d, b, u, r, m in DEMO_CUSTOMERS
    )
    session.flush()
    return len(DEMO_CUSTOMERS)


# Answers a hotline gives every winter, so the knowledge base and the intake's suggestions can be tried.
DEMO_ANSWERS = (
    (
        "室温不达标如何申请退费",
        "供热期内室温连续低于18℃，经热线登记并上门测温确认后，可按不达标天数申请退还相应热费。",
        "temperature",
        "室温 测温 退费 不热",
    ),
    (
        "暖气不热先检查什么",
        "请先确认进户阀门全开、暖气片排气阀已排气、过滤器无堵塞；仍不热请登记报修，维修人员将按时限上门。",
        "temperature",
        "暖气 不热 排气 阀门",
    ),
    (
        "IC卡水表无显示怎么办",
        "请更换表内电池后重新插卡；仍无显示或无水，请登记报修，维修人员3小时内到达。",
        "meter_no_display",
        "水表 无显示 电池 插卡",
    ),
    (
        "供暖费缴费方式",
        "可在营业厅、银行代收点或公司公众号缴纳供暖费；缴费后请保留凭证。",
        "billing",
        "缴费 交费 供暖费 公众号",
    ),
)


def create_demo_answers(session: Session, now: datetime) -> int:
    """The demo's knowledge base entries, owned by the supervisor; none if the base has entries."""
    if session.scalar(select(func.count(KnowledgeEntry.id))):
        return 0
    for title, answer, category, keywords in DEMO_ANSWERS:
        values, errors = entry_values(
            session,
            {"title": title, "answer": answer, "category_code": category, "keywords": keywords},
            "supervisor",
        )
        if errors:
            raise ValueError(f"demo knowledge entry {title!r}: {sorted(errors)}")
        add_entry(session, values, "supervisor", now)
    return len(DEMO_ANSWERS)


def create_demo_users(session: Session, engine: Runtime) -> list[DemoUser]:
    created = []
    for demo in DEMO_USERS:
        if find_user(session, demo.username) is None:
            create_user(
                session, engine.clock, demo.username, demo.password, demo.display_name, list(demo.roles)
            )
            created.append(demo)
    return created


# (process, who opens it, intake form): one open case of every other procedure.
_OTHER_CASES: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "repair",
        "dispatcher",
        dict(
            customer_name="马强",
            customer_phone="13912345678",
            address="金明区5号楼2单元602",
            description="IC卡水表无显示,家中无水。",
            category="meter_no_display",
            urgent="",
        ),
    ),
    (
        "consultation",
        "operator",
        dict(
            customer_name="赵敏",
            customer_phone="13900000006",
            question="明年供暖费标准是否调整?",
            category="billing",
            answered_now="",
            promised_reply_at="{tomorrow}T10:00",
            reply_channel="sms",
            contact="13900000006",
        ),
    ),
    (
        "outage",
        "dispatcher",
        dict(
            service="heating",
            outage_type="fault",
            district="金明区",
            building="3号楼",
            unit="1单元",
            cause="一次网管道爆裂,正在抢修。",
            starts_at="{an_hour_ago}",
            estimated_restore_at="{in_six_hours}",
        ),
    ),
    (
        "connection",
        "operator",
        dict(
            customer_name="孙丽",
            customer_phone="13600000001",
            address="金明区5号楼2单元602",
            heated_area="96",
            accepted_on="{today}",
            acceptance_passed="on",
        ),
    ),
    (
        "liaison",
        "liaison",
        dict(
            customer_name="周老师",
            customer_phone="13700000088",
            address="金明区5号楼1单元301",
            collection_method="visit",
            feedback="整栋楼暖气不热,多户反映室温不足15度。",
            category="temperature",
            urgency="urgent",
        ),
    ),
)


def _start_other_cases(factory: sessionmaker[Session], engine: Runtime) -> list[str]:
    now = engine.clock.now().astimezone(engine.zone).replace(second=0, microsecond=0)
    dates = {
        "today": now.date().isoformat(),
        "tomorrow": (now.date() + timedelta(days=1)).isoformat(),
        "an_hour_ago": (now - timedelta(hours=1)).isoformat(timespec="minutes")[:16],
        "in_six_hours": (now + timedelta(hours=6)).isoformat(timespec="minutes")[:16],
    }
    numbers = []
    for key, username, form in _OTHER_CASES:
        with UnitOfWork(factory, engine) as uow:
            if latest_definition(uow.session, key, required=False) is None:
                continue
            actor = actor_of(find_user(uow.session, username))  # type: ignore[arg-type]
            filled = {name: value.format(**dates) for name, value in form.items()}
            instance = record_call(uow, key, actor, filled).instance
            numbers.append(instance.case_number)
            uow.commit()
        if key == "repair":  # dispatched within its 3 minutes, as a dispatcher does: the worker is on the way
            arrival = (now + timedelta(minutes=40)).isoformat(timespec="minutes")[:16]
            _complete_at_once(
                factory,
                engine,
                instance.id,
                "dispatch",
                "dispatcher",
                {"worker": "维修一班", "expected_arrival": arrival, "arrival_told": "on"},
            )
    return numbers


def _complete_at_once(
    factory: sessionmaker[Session],
    engine: Runtime,
    case_id: int,
    element: str,
    username: str,
    values: dict[str, str],
) -> None:
    """A step with a deadline of minutes (an order issued within 3 minutes, C2 and R2) done right away, as
    staff do it: the demo's cases wait at steps whose deadlines are hours away, not overdue at once."""
    with UnitOfWork(factory, engine) as uow:
        task = uow.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == case_id, HumanTask.status == "open", HumanTask.element_id == element
            )
        ).first()
        if task is not None:
            actor = actor_of(find_user(uow.session, username))  # type: ignore[arg-type]
            complete_task(uow.session, engine, task.id, actor, values)
            uow.commit()


def create_demo_cases(factory: sessionmaker[Session], engine: Runtime) -> list[str]:
    """Three complaints (one waiting for its department, one resolved and waiting for the callback, one
    whose site order went out and that waits for its department) and an open case of every other
    procedure, the repair dispatched. Each step is its own transaction, as in real use."""
    numbers = []
    with UnitOfWork(factory, engine, read_only=True) as uow:
        operator = actor_of(find_user(uow.session, "operator"))  # type: ignore[arg-type]
    for form in _COMPLAINTS:
        with UnitOfWork(factory, engine) as uow:
            instance = record_call(uow, "complaint", operator, dict(form)).instance
            numbers.append(instance.case_number)
            uow.commit()
        if form["needs_site_visit"]:
            _complete_at_once(
                factory,
                engine,
                instance.id,
                "dispatch_site_order",
                "operator",
                {"site_order_note": "请上门查看漏水点"},
            )
    with UnitOfWork(factory, engine) as uow:
        billing = actor_of(find_user(uow.session, "billing_handler"))  # type: ignore[arg-type]
        task = uow.session.scalars(
            select(HumanTask).where(HumanTask.status == "open", HumanTask.candidate_groups == "billing")
        ).first()
        if task is not None:
            complete_task(
                uow.session,
                engine,
                task.id,
                billing,
                {
                    "investigation": "调取窗口录像,确认工作人员解释不耐心。",
                    "outcome": "resolved",
                    "result": "已向客户道歉并详细解释账单,对工作人员进行批评教育。",
                },
            )
        uow.commit()
    return numbers + _start_other_cases(factory, engine)


# --- history for the supervisors' figures (M1-M4) ------------------------------------------------------

# What happens to each past case: (procedure, day of the week 0-6, hour, path).
_LAST_WEEK = (
    ("complaint", 0, 9, "closed"),
    ("repair", 0, 10, "closed"),
    ("consultation", 0, 11, "answered"),
    ("complaint", 1, 9, "site_closed"),
    ("repair", 1, 14, "closed"),
    ("complaint", 2, 10, "waiting"),
    ("repair", 2, 15, "on_site"),
    ("consultation", 3, 9, "answered"),
    ("complaint", 3, 10, "callback_no"),
    ("repair", 4, 9, "closed_unhappy"),
    ("consultation", 4, 16, "answered"),
    ("complaint", 5, 10, "replied"),
)
_COMPLAINT_KINDS = (
    ("temperature", "operations", "ops_handler", "室内温度只有15度,暖气不热。"),
    ("billing", "billing", "billing_handler", "供暖费账单金额与面积不符。"),
    ("facility", "repair", "repair_handler", "楼道暖气管滴水。"),
    ("conduct", "customer_service", None, "接线员态度不好。"),
)
_REPAIR_KINDS = (
    ("leak", "厨房水管接头漏水。"),
    ("meter_no_display", "IC卡水表无显示,家中无水。"),
    ("burst", "小区主管道爆裂。"),
    ("meter_frozen", "水表冻裂。"),
)


class _History:
    """Past cases played through the engine on a clock set to their times, each step its own transaction."""

    def __init__(self, factory: sessionmaker[Session], engine: Runtime) -> None:
        from engine.clock import SettableClock

        self.factory = factory
        self.clock = SettableClock(engine.clock.now())
        self.engine = Runtime(clock=self.clock, zone=engine.zone, attachment_folder=engine.attachment_folder)
        with UnitOfWork(factory, self.engine, read_only=True) as uow:
            self.actors = {u.username: actor_of(find_user(uow.session, u.username)) for u in DEMO_USERS}  # type: ignore[arg-type]
        self.numbers: list[str] = []

    def at(self, moment: Any) -> None:
        self.clock.set(moment)

    def start(self, key: str, username: str, form: dict[str, Any]) -> int:
        with UnitOfWork(self.factory, self.engine) as uow:
            instance = record_call(uow, key, self.actors[username], form).instance
            uow.commit()
        self.numbers.append(instance.case_number)
        return instance.id

    def complete(
        self, case_id: int, element: str, username: str, values: dict[str, Any], after_minutes: int
    ) -> None:
        self.clock.advance(timedelta(minutes=after_minutes))
        with UnitOfWork(self.factory, self.engine) as uow:
            task = uow.session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == case_id,
                    HumanTask.status == "open",
                    HumanTask.element_id == element,
                )
            ).one()
            complete_work(uow, task.id, self.actors[username], values)
            uow.commit()

    def complaint(self, index: int, path: str) -> int:
        category, department, handler, text = _COMPLAINT_KINDS[index % len(_COMPLAINT_KINDS)]
        site = path == "site_closed"
        if site:
            category, department, handler, text = _COMPLAINT_KINDS[2]
        form = dict(
            _COMPLAINTS[0],
            category=category,
            department=department,
            description=text,
            needs_site_visit="on" if site else "",
        )
        case_id = self.start("complaint", "operator", form)
        if site:
            self.complete(case_id, "dispatch_site_order", "operator", {"site_order_note": "请上门查看"}, 2)
        if path == "waiting" or handler is None:
            return case_id
        self.complete(
            case_id,
            "department_handling",
            handler,
            {"investigation": "已现场核实。", "outcome": "resolved", "result": "已处理并向客户说明。"},
            90,
        )
        if path == "replied":
            return case_id
        satisfied = "no" if path == "callback_no" else "yes"
        self.complete(
            case_id,
            "callback",
            "operator",
            {"customer_informed": "on", "satisfied": satisfied, "callback_note": "已回访"},
            60,
        )
        if satisfied == "yes":
            self.complete(
                case_id,
                "summarise_and_close",
                "operator",
                {"root_cause": "设备老化", "improvement": "加强巡检", "close_reason": "resolved"},
                30,
            )
        return case_id

    def repair(self, index: int, path: str) -> int:
        category, text = _REPAIR_KINDS[index % len(_REPAIR_KINDS)]
        case_id = self.start(
            "repair",
            "dispatcher",
            {
                "customer_name": "马强",
                "customer_phone": "13912345678",
                "address": "金明区5号楼2单元602",
                "description": text,
                "category": category,
                "urgent": "",
            },
        )
        arrival = (
            (self.clock.now() + timedelta(minutes=20)).astimezone(self.engine.zone).strftime("%Y-%m-%dT%H:%M")
        )
        self.complete(
            case_id,
            "dispatch",
            "dispatcher",
            {"worker": "worker", "expected_arrival": arrival, "arrival_told": "on"},
            1,
        )
        arrived = (
            (self.clock.now() + timedelta(minutes=15)).astimezone(self.engine.zone).strftime("%Y-%m-%dT%H:%M")
        )
        self.complete(case_id, "arrive_on_site", "worker", {"arrived_at": arrived}, 15)
        if path == "on_site":
            return case_id
        self.complete(
            case_id,
            "onsite_report",
            "worker",
            {
                "diagnosis": "部件老化",
                "work_done": "更换部件,试水正常",
                "materials": "配件1套",
                "steps_explained": "on",
                "customer_signed": "on",
                "customer_damage": "",
                "outcome": "resolved",
            },
            60,
        )
        self.complete(
            case_id,
            "callback",
            "dispatcher",
            {"satisfied": "no" if path == "closed_unhappy" else "yes", "callback_note": "已回访"},
            60,
        )
        if path == "closed_unhappy":  # R5: sent again, then satisfied
            self.complete(
                case_id,
                "dispatch",
                "dispatcher",
                {"worker": "repair_worker", "expected_arrival": arrival, "arrival_told": "on"},
                1,
            )
            self.complete(case_id, "arrive_on_site", "worker", {"arrived_at": arrived}, 15)
            self.complete(
                case_id,
                "onsite_report",
                "worker",
                {
                    "diagnosis": "复查",
                    "work_done": "重新紧固",
                    "materials": "无",
                    "steps_explained": "on",
                    "customer_signed": "on",
                    "customer_damage": "",
                    "outcome": "resolved",
                },
                30,
            )
            self.complete(
                case_id, "callback", "dispatcher", {"satisfied": "yes", "callback_note": "满意"}, 30
            )
        return case_id

    def consultation(self) -> int:
        return self.start(
            "consultation",
            "operator",
            {
                "customer_name": "赵敏",
                "customer_phone": "13900000006",
                "question": "停暖后如何申请报停?",
                "category": "billing",
                "answered_now": "on",
                "answer": "携带身份证到营业厅办理。",
            },
        )

    def play(self, key: str, index: int, path: str) -> int:
        if key == "complaint":
            return self.complaint(index, path)
        if key == "repair":
            return self.repair(index, path)
        return self.consultation()


def create_demo_history(factory: sessionmaker[Session], engine: Runtime) -> list[str]:
    """Cases of last week and of the last 26th-to-25th month played at their past times, then the
    reports, the callback sample and the quarterly satisfaction survey that were due (M1-M3, M9), so the
    supervisors' pages show figures."""
    from engine.supervision import (
        find_report,
        latest_due_period,
        latest_due_week,
        run_due_duties,
        set_notable_cases,
    )

    with UnitOfWork(factory, engine, read_only=True) as uow:
        if latest_definition(uow.session, "callback", required=False) is None:
            return []
    now = engine.clock.now()
    history = _History(factory, engine)
    week = latest_due_week(now, engine.zone)
    month = latest_due_period("monthly", now, engine.zone, engine.messaging.monthly_report_at)
    plays = [
        (datetime.combine(week.first + timedelta(days=weekday), time(hour), engine.zone), key, path, False)
        for key, weekday, hour, path in _LAST_WEEK
    ]
    # and a few closed cases over the month period (its 2nd, 9th, 16th and 23rd days)
    plays += [
        (
            datetime.combine(month.first + timedelta(days=offset), time(10), engine.zone),
            "complaint" if n % 2 == 0 else "repair",
            "closed",
            True,
        )
        for n, offset in enumerate((1, 8, 15, 22))
    ]
    complaint_ids = []
    for index, (moment, key, path, in_month) in enumerate(sorted(plays, key=lambda p: p[0])):
        history.at(moment)
        case_id = history.play(key, index, path)
        if key == "complaint" and in_month:
            complaint_ids.append(case_id)
    run_due_duties(lambda: UnitOfWork(factory, engine), "demo")
    if complaint_ids:
        with UnitOfWork(factory, engine) as uow:
            report = find_report(uow.session, "monthly", month)
            case = uow.session.get(ProcessInstance, complaint_ids[0])
            if report is not None and case is not None:
                set_notable_cases(
                    uow.session,
                    report,
                    [(case.case_number, "供暖初期室温不达标投诉集中,需提前排查换热站。")],
                    "demo",
                    now,
                    engine.zone,
                )
            uow.commit()
    return history.numbers
