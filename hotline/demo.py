"""Demo users (one per role) and a few demo cases, for a first look at the system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.deployment import latest_definition
from engine.models import Customer, HumanTask
from engine.runner import complete_task, start_case
from engine.runtime import Engine
from engine.users import actor_of, create_user, find_user


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    roles: tuple[str, ...]
    password: str = "hotline123"


DEMO_USERS = (
    DemoUser("operator", "王接线 (热线接线员)", ("operator",)),
    DemoUser("dispatcher", "李调度 (维修调度)", ("dispatcher",)),
    DemoUser("ops_handler", "赵运行 (生产运行部)", ("operations",)),
    DemoUser("ops_head", "冯部长 (生产运行部负责人)", ("operations", "department_head")),
    DemoUser("repair_head", "褚部长 (维修部负责人)", ("repair", "department_head")),
    DemoUser("repair_handler", "钱维修 (维修部)", ("repair",)),
    DemoUser("billing_handler", "孙收费 (收费部)", ("billing",)),
    DemoUser("tech_handler", "周技术 (技术部)", ("technical",)),
    DemoUser("worker", "吴师傅 (维修工)", ("repair_worker",)),
    DemoUser("liaison", "郑联络 (联络员)", ("liaison",)),
    DemoUser("supervisor", "陈主管 (值班主管)", ("supervisor",)),
    DemoUser("owner", "林流程 (流程负责人)", ("process_owner",)),
    DemoUser("admin", "管理员", ("admin", "supervisor", "process_owner")),
)

_COMPLAINTS = (
    dict(customer_name="张伟", customer_phone="13800001111", address="金明小区3号楼2单元501",
         description="室内温度只有14度,已经持续三天,家里有老人。", category="temperature",
         department="operations", needs_site_visit="", apologised="on"),
    dict(customer_name="刘芳", customer_phone="0951-5012345", address="银湖路88号",
         description="收费窗口工作人员态度恶劣,拒绝解释账单。", category="conduct",
         department="billing", needs_site_visit="", apologised="on"),
    dict(customer_name="马强", customer_phone="13912345678", address="新华街17号楼1单元",
         description="楼道暖气管漏水,地面结冰。", category="facility",
         department="repair", needs_site_visit="on", apologised="on"),
)


# (account, name, phone, district, building, unit, room, heated m²): the customer register (M5).
DEMO_CUSTOMERS = tuple(
    (f"JM-{b:02d}{u:02d}-{floor}0{door}", name, f"139{b:02d}{u:02d}{floor:02d}{door:02d}", "金明区", f"{b}号楼", f"{u}单元",
     f"{floor}0{door}", 70.0 + 10 * door)
    for b in (3, 5) for u in (1, 2) for floor in (1, 3, 5) for door, name in ((1, "住户甲"), (2, "住户乙"))
) + (("XH-0101-101", "赵敏", "13900000006", "兴华区", "1号楼", "1单元", "101", 95.0),)


def create_demo_customers(session: Session) -> int:
    if session.scalar(select(func.count(Customer.id))):
        return 0
    session.add_all(Customer(account_no=a, name=n, phone=p, email="", district=d, building=b, unit=u, room=r, heated_area=m)
                    for a, n, p, d, b, u, r, m in DEMO_CUSTOMERS)
    session.flush()
    return len(DEMO_CUSTOMERS)


def create_demo_users(session: Session, engine: Engine) -> list[DemoUser]:
    created = []
    for demo in DEMO_USERS:
        if find_user(session, demo.username) is None:
            create_user(session, engine.clock, demo.username, demo.password, demo.display_name, list(demo.roles))
            created.append(demo)
    return created


# (process, who opens it, intake form): one open case of every other procedure.
_OTHER_CASES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("repair", "dispatcher", dict(customer_name="马强", customer_phone="13912345678", address="金明区5号楼2单元602",
                                  description="厨房水管爆裂,水流不止。", category="burst", urgent="on")),
    ("consultation", "operator", dict(customer_name="赵敏", customer_phone="13900000006", question="明年供暖费标准是否调整?",
                                      category="billing", answered_now="", promised_reply_at="{tomorrow}T10:00",
                                      reply_channel="sms", contact="13900000006")),
    ("outage", "dispatcher", dict(service="heating", outage_type="fault", district="金明区", building="3号楼",
                                  unit="1单元", cause="一次网管道爆裂,正在抢修。", starts_at="{an_hour_ago}",
                                  estimated_restore_at="{in_six_hours}")),
    ("connection", "operator", dict(customer_name="孙丽", customer_phone="13600000001", address="金明区5号楼2单元602",
                                    heated_area="96", accepted_on="{today}", acceptance_passed="on")),
    ("liaison", "liaison", dict(customer_name="周老师", customer_phone="13700000088", address="金明区5号楼1单元301",
                                collection_method="visit", feedback="整栋楼暖气不热,多户反映室温不足15度。",
                                category="temperature",
                                urgency="urgent")),
)


def _start_other_cases(factory: sessionmaker[Session], engine: Engine) -> list[str]:
    now = engine.clock.now().astimezone(engine.zone).replace(second=0, microsecond=0)
    dates = {"today": now.date().isoformat(), "tomorrow": (now.date() + timedelta(days=1)).isoformat(),
             "an_hour_ago": (now - timedelta(hours=1)).isoformat(timespec="minutes")[:16],
             "in_six_hours": (now + timedelta(hours=6)).isoformat(timespec="minutes")[:16]}
    numbers = []
    for key, username, form in _OTHER_CASES:
        with factory.begin() as session:
            if latest_definition(session, key, required=False) is None:
                continue
            actor = actor_of(find_user(session, username))  # type: ignore[arg-type]
            filled = {name: value.format(**dates) for name, value in form.items()}
            numbers.append(start_case(session, engine, key, actor, filled).case_number)
    return numbers


def create_demo_cases(factory: sessionmaker[Session], engine: Engine) -> list[str]:
    """Three complaints (one waiting for its department, one resolved and waiting for the callback, one
    waiting for the site order) and an open case of every other procedure. Each step is its own
    transaction, as in real use."""
    numbers = []
    with factory.begin() as session:
        operator = actor_of(find_user(session, "operator"))
    for form in _COMPLAINTS:
        with factory.begin() as session:
            numbers.append(start_case(session, engine, "complaint", operator, dict(form)).case_number)
    with factory.begin() as session:
        billing = actor_of(find_user(session, "billing_handler"))
        task = session.scalars(
            select(HumanTask).where(HumanTask.status == "open", HumanTask.candidate_groups == "billing")
        ).first()
        if task is not None:
            complete_task(session, engine, task.id, billing, {
                "investigation": "调取窗口录像,确认工作人员解释不耐心。", "outcome": "resolved",
                "result": "已向客户道歉并详细解释账单,对工作人员进行批评教育。",
            })
    return numbers + _start_other_cases(factory, engine)
