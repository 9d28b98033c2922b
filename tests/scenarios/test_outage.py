"""outage.bpmn, every path, rules O1-O3 of PROCEDURES.md.

Every step is its own unit of work and the case is reloaded from the database before the next one (see
driver.py). After every step the test checks the open tasks and their groups, the case data and exactly
the history events the step wrote; after the steps that publish, it checks the public notices and their
recipients from the customer register (金明区: 3号楼 1单元 two customers, 3号楼 2单元 one, 5号楼 two of
which one has no phone and is told by e-mail; 兴华区 one customer, never affected here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.cases.runner import due_timer_ids, start_case
from engine.clock import SettableClock
from engine.db.models import Customer, HumanTask, Notice, NoticeRecipient, Notification, ProcessDefinition
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, SUPERVISOR, department_handler, row_counts
from tests.scenarios.driver import CLOSED, CaseDriver, Ev, completed, created, end, new, script, timer_fired

TASK_NAMES = {
    "register_outage": "登记停止供应",
    "correct_times": "更正停止时间",
    "restore_service": "抢修并恢复供应",
}
DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
REPAIR = department_handler("repair")
OPERATIONS = department_handler("operations")
REGISTRARS = "dispatcher,operations"
CREW = "operations,repair"
CAUSE = "换热站主管道爆裂"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> str:
    """A November time in Asia/Shanghai as the case data keeps it."""
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00+08:00"


class NewId:
    """Equal to the first whole number it is compared with, which it keeps: the id of a row the step
    inserted (notice ids come from the database, so a test cannot know them beforehand)."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self.value: int | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, int) or isinstance(other, bool):
            return False
        if self.value is None:
            self.value = other
        return self.value == other

    def __repr__(self) -> str:
        return f"NewId({self.value})"


def published(element: str, notice: NewId, recipients: int) -> Ev:
    return (
        "notice_published",
        "system",
        element,
        {"notice": [None, notice], "recipients": [None, recipients]},
    )


def supervisors_notified(element: str) -> Ev:
    return ("notification_sent", "system", element, {"recipients": [None, [SUPERVISOR.username]]})


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Any,
) -> CaseDriver:
    definition: ProcessDefinition = deploy_process("outage")
    assert (definition.key, definition.name, definition.case_prefix) == ("outage", "停热停水通知", "TZ")
    return CaseDriver(sessions, runtime, clock, "outage", TASK_NAMES)


# --- what the tests read back ---------------------------------------------------------------------------------


def notices(case: CaseDriver) -> list[tuple[Any, ...]]:
    with case.sessions() as session:
        rows = session.scalars(select(Notice).where(Notice.instance_id == case.id).order_by(Notice.id))
        return [
            (
                n.id,
                n.kind,
                n.case_number,
                n.service,
                n.outage_type,
                n.district,
                n.building,
                n.unit,
                n.cause,
                n.starts_at,
                n.estimated_restore_at,
                n.restored_at,
                n.published_at,
            )
            for n in rows
        ]


def recipients(case: CaseDriver, notice: NewId) -> list[tuple[str, str, str]]:
    """(customer account, channel, status) of a notice's recipients, in register order."""
    with case.sessions() as session:
        rows = session.execute(
            select(Customer.account_no, NoticeRecipient.channel, NoticeRecipient.status)
            .join(Customer, Customer.id == NoticeRecipient.customer_id)
            .where(NoticeRecipient.notice_id == notice.value)
            .order_by(Customer.id)
        )
        return [tuple(row) for row in rows]


def notifications(case: CaseDriver) -> list[tuple[str, str | None, str, str]]:
    with case.sessions() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.instance_id == case.id, Notification.kind == "notify")
            .order_by(Notification.id)
        )
        return [(n.recipient, n.element_id, n.message, n.message_en) for n in rows]


def status(case: CaseDriver) -> tuple[str, str | None, str | None]:
    """What the shift handover reads (O3): the case's status, current step and cause."""
    with case.sessions() as session:
        instance = case.instance(session)
        return instance.status, instance.current_step, instance.data.get("cause")


# --- common stretches ---------------------------------------------------------------------------------------


def registration(values: dict[str, Any], area: str, hours: float) -> list[Ev]:
    """O1: the dispatcher's registration and the computed duration."""
    return [
        ("case_started", DISPATCHER.username, None, {"process_version": [None, 1]}),
        completed(DISPATCHER, "register_outage", new(**values)),
        script(
            "compute_duration",
            new(affected_area=area, duration_hours=hours, estimate_updates=0, late_count=0),
        ),
    ]


def restore(
    case: CaseDriver,
    crew: Actor,
    restored_at: tuple[int, int, int],
    hours: float,
    notice: NewId,
    recipient_count: int,
    before: dict[str, Any] | None = None,
) -> None:
    """O2: the crew reports the restoration; it is announced and the case closes."""
    day, hour, minute = restored_at
    values = {
        "work_status": "restored",
        "restored_at": f"2026-11-{day:02d}T{hour:02d}:{minute:02d}",
        "work_done": "更换破损管段,试压合格,已恢复",
    }
    before = before or {}
    changes = {
        "work_status": [before.get("work_status"), "restored"],
        "new_estimate": [before.get("new_estimate"), None],
        "progress_note": [before.get("progress_note"), None],
        "restored_at": [before.get("restored_at"), local(day, hour, minute)],
        "work_done": [before.get("work_done"), values["work_done"]],
    }
    case.complete(
        "restore_service",
        crew,
        values,
        events=[
            completed(
                crew,
                "restore_service",
                {k: v for k, v in changes.items() if v[0] != v[1] or k not in case.data},
            ),
            script(
                "announce_restoration",
                new(outage_hours=hours, restoration_announced_at=shanghai(case.clock.now())),
            ),
            published("announce_restoration", notice, recipient_count),
            end("end_restored"),
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


def shanghai(moment: datetime) -> str:
    """A moment as the hotline's local ISO time, as now() gives it to the scripts."""
    return moment.astimezone(SHANGHAI).isoformat()


# --- O1: a fault is announced at once, O2: repaired at once and its restoration announced ---------------------


def test_fault_outage_is_announced_at_once_and_its_restoration_too_o1_o2(
    case: CaseDriver, clock: SettableClock
) -> None:
    """O1: a facility fault is announced to the affected unit the moment it is registered; O2: the repair
    task opens at once with the estimated restoration as its deadline; the restoration is announced."""
    form = {
        "service": "heating",
        "outage_type": "fault",
        "district": "金明区",
        "building": "3号楼",
        "unit": "2单元",
        "cause": CAUSE,
        "starts_at": "2026-11-23T08:30",
        "estimated_restore_at": "2026-11-23 14:00",
    }
    first = NewId()
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration(
                {**form, "starts_at": local(23, 8, 30), "estimated_restore_at": local(23, 14)},
                "金明区 3号楼 2单元",
                5.5,
            ),
            script("announce_fault", new(announced_at=local(23, 9), notice_basis="fault")),
            published("announce_fault", first, 1),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )
    assert notices(case) == [
        (
            first.value,
            "outage",
            "TZ-20261123-0001",
            "heating",
            "fault",
            "金明区",
            "3号楼",
            "2单元",
            CAUSE,
            utc(23, 0, 30),
            utc(23, 6),
            None,
            clock.now(),
        )
    ]
    assert recipients(case, first) == [("JM-0302-501", "sms", "pending")]
    assert case.task("restore_service").due_at == utc(23, 6)
    assert case.timers() == [("restore_overdue", utc(23, 6), "waiting")]

    clock.set(utc(23, 4, 30))
    restoration = NewId()
    restore(case, REPAIR, (23, 12, 20), 3.83, restoration, 1)
    assert notices(case)[1] == (
        restoration.value,
        "restoration",
        "TZ-20261123-0001",
        "heating",
        "fault",
        "金明区",
        "3号楼",
        "2单元",
        CAUSE,
        utc(23, 0, 30),
        utc(23, 6),
        utc(23, 4, 20),
        clock.now(),
    )
    assert recipients(case, restoration) == [("JM-0302-501", "sms", "pending")]
    assert case.timers() == [("restore_overdue", utc(23, 6), "cancelled")]
    assert notifications(case) == []


# --- O1: planned, 8 hours or more: announced at registration, before it starts --------------------------------


def test_planned_outage_of_8_hours_or_more_is_announced_before_it_starts_o1_o2_o3(
    case: CaseDriver, clock: SettableClock
) -> None:
    """O1: exactly 8 hours counts: announced at registration, the day before; the work starts at the
    planned start (timeDate timer); O3: meanwhile the open case is on the shift handover with its cause."""
    form = {
        "service": "water",
        "outage_type": "planned",
        "district": "金明区",
        "building": "5号楼",
        "unit": "",
        "cause": "二次供水水箱清洗",
        "starts_at": local(24, 8),
        "estimated_restore_at": local(24, 16),
    }
    first = NewId()
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration({**form, "unit": None}, "金明区 5号楼", 8.0),
            script(
                "announce_planned_long", new(announced_at=local(23, 9), notice_basis="planned_8h_or_more")
            ),
            published("announce_planned_long", first, 2),
        ],
        open_now=[],
    )
    assert notices(case) == [
        (
            first.value,
            "outage",
            "TZ-20261123-0001",
            "water",
            "planned",
            "金明区",
            "5号楼",
            "",
            "二次供水水箱清洗",
            utc(24, 0),
            utc(24, 8),
            None,
            utc(23, 1),
        )
    ]
    # the whole building: both customers, the one without a phone by e-mail
    assert recipients(case, first) == [("JM-0501-301", "sms", "pending"), ("JM-0502-602", "email", "pending")]
    assert case.timers() == [("wait_for_start", utc(24, 0), "waiting")]
    assert status(case) == ("running", None, "二次供水水箱清洗")  # O3: open, listed on the handover

    clock.set(utc(23, 23, 59, 59))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []

    clock.set(utc(24, 0))  # 08:00 in Shanghai: the planned start
    case.fire_due_timers(
        events=[
            timer_fired("wait_for_start"),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )
    assert case.timers() == [
        ("wait_for_start", utc(24, 0), "fired"),
        ("restore_overdue", utc(24, 8), "waiting"),
    ]
    assert case.task("restore_service").due_at == utc(24, 8)
    assert status(case) == ("running", "抢修并恢复供应", "二次供水水箱清洗")

    clock.set(utc(24, 7, 5))
    restoration = NewId()
    restore(case, OPERATIONS, (24, 15, 0), 7.0, restoration, 2)
    assert [n[1] for n in notices(case)] == ["outage", "restoration"]
    assert notices(case)[1][11] == utc(24, 7)
    assert recipients(case, restoration) == [
        ("JM-0501-301", "sms", "pending"),
        ("JM-0502-602", "email", "pending"),
    ]
    assert status(case) == ("completed", None, "二次供水水箱清洗")


# --- O3: planned, under 8 hours: still published, as it affects at least a whole unit ----------------------------


def test_short_planned_outage_is_still_published_on_the_public_channel_o3(
    case: CaseDriver, clock: SettableClock
) -> None:
    """O3: a planned outage under 8 hours (7.5 h) is not an O1 case, but it affects a whole building unit,
    so it is published too; the work starts at the planned start; open until restored (shift handover)."""
    form = {
        "service": "heating",
        "outage_type": "planned",
        "district": "金明区",
        "building": "3号楼",
        "unit": "1单元",
        "cause": "更换单元供热阀门",
        "starts_at": local(23, 13),
        "estimated_restore_at": local(23, 20, 30),
    }
    first = NewId()
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration(form, "金明区 3号楼 1单元", 7.5),
            script("announce_planned_short", new(announced_at=local(23, 9), notice_basis="planned_under_8h")),
            published("announce_planned_short", first, 2),
        ],
        open_now=[],
    )
    assert notices(case) == [
        (
            first.value,
            "outage",
            "TZ-20261123-0001",
            "heating",
            "planned",
            "金明区",
            "3号楼",
            "1单元",
            "更换单元供热阀门",
            utc(23, 5),
            utc(23, 12, 30),
            None,
            utc(23, 1),
        )
    ]
    assert recipients(case, first) == [("JM-0301-101", "sms", "pending"), ("JM-0301-202", "sms", "pending")]
    assert status(case) == ("running", None, "更换单元供热阀门")

    clock.set(utc(23, 4, 59, 59))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []
    clock.set(utc(23, 5))
    case.fire_due_timers(
        events=[timer_fired("wait_for_start"), created("restore_service", CREW)],
        open_now=[("restore_service", CREW)],
    )

    clock.set(utc(23, 11))
    restoration = NewId()
    restore(case, REPAIR, (23, 19, 0), 6.0, restoration, 2)
    assert case.timers() == [
        ("wait_for_start", utc(23, 5), "fired"),
        ("restore_overdue", utc(23, 12, 30), "cancelled"),
    ]
    assert status(case) == ("completed", None, "更换单元供热阀门")


def test_planned_outage_registered_after_its_start_opens_the_work_at_once_o1_o2(case: CaseDriver) -> None:
    """O1: announced even when registered late; O2: the start time has passed, so the work opens at once."""
    form = {
        "service": "water",
        "outage_type": "planned",
        "district": "金明区",
        "building": "3号楼",
        "unit": "2单元",
        "cause": "管网碰头施工",
        "starts_at": local(23, 8),
        "estimated_restore_at": local(23, 18),
    }
    first = NewId()
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration(form, "金明区 3号楼 2单元", 10.0),
            script(
                "announce_planned_long", new(announced_at=local(23, 9), notice_basis="planned_8h_or_more")
            ),
            published("announce_planned_long", first, 1),
            timer_fired("wait_for_start"),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )
    # the start timer never waited, but its due time and firing are on record
    assert case.timers() == [
        ("restore_overdue", utc(23, 10), "waiting"),
        ("wait_for_start", utc(23, 0), "fired"),
    ]


# --- O2: the estimate is updated twice and republished; late restoration is reported --------------------------------


def test_estimate_updated_twice_is_republished_and_late_restoration_notifies_supervisors_o1_o2(
    case: CaseDriver, clock: SettableClock
) -> None:
    """O2: each new estimated restoration time republishes the outage notice (O1) to the whole district and
    moves the late-restoration timer; when the estimate passes, lateness is recorded and the duty
    supervisors are notified while the repair goes on."""
    form = {
        "service": "heating",
        "outage_type": "fault",
        "district": "金明区",
        "building": "",
        "unit": "",
        "cause": "热源厂循环泵故障",
        "starts_at": local(23, 7, 40),
        "estimated_restore_at": local(23, 11),
    }
    first, second, third, restoration = NewId(), NewId(), NewId(), NewId()
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration({**form, "building": None, "unit": None}, "金明区", 3.33),
            script("announce_fault", new(announced_at=local(23, 9), notice_basis="fault")),
            published("announce_fault", first, 5),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )
    district = [
        ("JM-0301-101", "sms", "pending"),
        ("JM-0301-202", "sms", "pending"),
        ("JM-0302-501", "sms", "pending"),
        ("JM-0501-301", "sms", "pending"),
        ("JM-0502-602", "email", "pending"),
    ]
    assert recipients(case, first) == district  # the whole district, not 兴华区

    # first update, before the estimate passes
    clock.set(utc(23, 2, 30))
    case.complete(
        "restore_service",
        REPAIR,
        {
            "work_status": "update_estimate",
            "new_estimate": "2026-11-23T15:00",
            "progress_note": "需更换循环泵,备件在途",
        },
        events=[
            completed(
                REPAIR,
                "restore_service",
                new(
                    work_status="update_estimate",
                    new_estimate=local(23, 15),
                    progress_note="需更换循环泵,备件在途",
                    restored_at=None,
                    work_done=None,
                ),
            ),
            script(
                "apply_new_estimate",
                {
                    "duration_hours": [3.33, 7.33],
                    "estimate_updates": [0, 1],
                    "estimated_restore_at": [local(23, 11), local(23, 15)],
                },
            ),
            published("apply_new_estimate", second, 5),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )
    assert [n[1:3] + n[9:12] for n in notices(case)] == [
        ("outage", "TZ-20261123-0001", utc(22, 23, 40), utc(23, 3), None),
        ("outage", "TZ-20261123-0001", utc(22, 23, 40), utc(23, 7), None),
    ]
    assert recipients(case, second) == district
    assert case.timers() == [
        ("restore_overdue", utc(23, 3), "cancelled"),
        ("restore_overdue", utc(23, 7), "waiting"),
    ]
    assert case.task("restore_service").due_at == utc(23, 7)

    # the new estimate passes with the service still off
    clock.set(utc(23, 6, 59, 59))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []
    clock.set(utc(23, 7))
    case.fire_due_timers(
        events=[
            timer_fired("restore_overdue"),
            script("record_restoration_late", {"late_count": [0, 1], "restoration_late": [None, True]}),
            supervisors_notified("record_restoration_late"),
            end("end_late_recorded"),
        ],
        open_now=[("restore_service", CREW)],
    )
    assert notifications(case) == [
        (
            "sup1",
            "record_restoration_late",
            f"金明区 停止供应已超过预计恢复时间 {local(23, 15)}，仍未恢复。原因：热源厂循环泵故障",
            f"The outage in 金明区 is past its estimated restoration time {local(23, 15)} and not restored yet. "
            "Cause: 热源厂循环泵故障",
        )
    ]
    assert case.task("restore_service").due_at == utc(23, 7)  # still visibly late
    assert len(notices(case)) == 2  # lateness publishes nothing by itself

    # second update
    clock.set(utc(23, 7, 30))
    case.complete(
        "restore_service",
        OPERATIONS,
        {
            "work_status": "update_estimate",
            "new_estimate": "2026-11-23T18:00",
            "progress_note": "循环泵已到,正在安装",
        },
        events=[
            completed(
                OPERATIONS,
                "restore_service",
                {
                    "new_estimate": [local(23, 15), local(23, 18)],
                    "progress_note": ["需更换循环泵,备件在途", "循环泵已到,正在安装"],
                },
            ),
            script(
                "apply_new_estimate",
                {
                    "duration_hours": [7.33, 10.33],
                    "estimate_updates": [1, 2],
                    "estimated_restore_at": [local(23, 15), local(23, 18)],
                },
            ),
            published("apply_new_estimate", third, 5),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )
    assert notices(case)[2][10] == utc(23, 10)
    assert case.timers() == [
        ("restore_overdue", utc(23, 3), "cancelled"),
        ("restore_overdue", utc(23, 7), "fired"),
        ("restore_overdue", utc(23, 10), "waiting"),
    ]

    # restored before the second new estimate
    clock.set(utc(23, 9, 45))
    restore(case, REPAIR, (23, 17, 40), 10.0, restoration, 5, before=case.data)
    assert [n[0] for n in notices(case)] == [first.value, second.value, third.value, restoration.value]
    assert notices(case)[3][1] == "restoration" and notices(case)[3][11] == utc(23, 9, 40)
    assert recipients(case, restoration) == district
    assert case.timers()[-1] == ("restore_overdue", utc(23, 10), "cancelled")
    assert (case.data["estimate_updates"], case.data["late_count"], case.data["restoration_late"]) == (
        2,
        1,
        True,
    )
    assert len(notifications(case)) == 1


# --- O1: impossible times are corrected before anything is announced ------------------------------------------------


def test_restoration_not_after_the_start_is_corrected_before_announcing_o1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """O1: a notice must say how long the outage lasts; a restoration before the start goes back to the
    dispatcher, and nothing is published until the times are right."""
    form = {
        "service": "heating",
        "outage_type": "planned",
        "district": "金明区",
        "building": "3号楼",
        "unit": "1单元",
        "cause": "管道保温改造",
        "starts_at": local(24, 8),
        "estimated_restore_at": local(24, 6),
    }
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration(form, "金明区 3号楼 1单元", -2.0),
            created("correct_times", REGISTRARS),
        ],
        open_now=[("correct_times", REGISTRARS)],
    )
    assert notices(case) == []

    refused = case.refused(
        "correct_times", DISPATCHER, {"starts_at": local(24, 8), "estimated_restore_at": ""}, FormInvalid
    )
    assert refused.errors == {"estimated_restore_at": FieldError("required")}
    case.refused(
        "correct_times",
        REPAIR,
        {"starts_at": local(24, 8), "estimated_restore_at": local(24, 18)},
        NotAllowed,
    )

    clock.set(utc(23, 1, 10))
    first = NewId()
    case.complete(
        "correct_times",
        OPERATIONS,
        {"starts_at": local(24, 8), "estimated_restore_at": "2026-11-24T18:00"},
        events=[
            completed(OPERATIONS, "correct_times", {"estimated_restore_at": [local(24, 6), local(24, 18)]}),
            script("compute_duration", {"duration_hours": [-2.0, 10.0]}),
            script(
                "announce_planned_long", new(announced_at=local(23, 9, 10), notice_basis="planned_8h_or_more")
            ),
            published("announce_planned_long", first, 2),
        ],
        open_now=[],
    )
    assert [n[0:2] + n[9:11] for n in notices(case)] == [(first.value, "outage", utc(24, 0), utc(24, 10))]
    assert case.timers() == [("wait_for_start", utc(24, 0), "waiting")]


# --- refusals: bad values and the wrong group write nothing ----------------------------------------------------------


def test_registration_refuses_bad_values_and_other_groups_writing_nothing_o1(
    case: CaseDriver, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """O1: an outage cannot be registered (or announced) with a wrong service, a start that is not a time,
    no restoration estimate or no district; hotline operators do not register outages."""
    tables = (
        "process_instance",
        "event",
        "human_task",
        "timer",
        "notice",
        "notice_recipient",
        "case_counter",
    )
    with sessions() as session:
        before = row_counts(session, tables)
    bad = {
        "service": "gas",
        "outage_type": "fault",
        "district": " ",
        "building": "3号楼",
        "unit": "2单元",
        "cause": CAUSE,
        "starts_at": "明天早上",
        "estimated_restore_at": "",
    }
    with pytest.raises(FormInvalid) as failure, sessions.begin() as session:
        start_case(session, runtime, "outage", DISPATCHER, bad)
    assert failure.value.errors == {
        "service": FieldError("not_option"),
        "district": FieldError("required"),
        "starts_at": FieldError("not_datetime"),
        "estimated_restore_at": FieldError("required"),
    }
    good = {
        **bad,
        "service": "water",
        "district": "金明区",
        "starts_at": local(23, 8),
        "estimated_restore_at": local(23, 12),
    }
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "outage", OPERATOR, good)
    with sessions() as session:
        assert row_counts(session, tables) == before


def test_repair_form_refuses_bad_values_and_other_groups_o2(case: CaseDriver) -> None:
    """O2: a new estimate needs the time and the progress; a restoration needs the time and the work done;
    only the repair and operations crews report on the repair. Nothing is published by a refused step."""
    form = {
        "service": "heating",
        "outage_type": "fault",
        "district": "金明区",
        "building": "3号楼",
        "unit": "2单元",
        "cause": CAUSE,
        "starts_at": local(23, 8, 30),
        "estimated_restore_at": local(23, 14),
    }
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration(form, "金明区 3号楼 2单元", 5.5),
            script("announce_fault", new(announced_at=local(23, 9), notice_basis="fault")),
            published("announce_fault", NewId(), 1),
            created("restore_service", CREW),
        ],
        open_now=[("restore_service", CREW)],
    )

    refused = case.refused("restore_service", REPAIR, {"work_status": "update_estimate"}, FormInvalid)
    assert refused.errors == {"new_estimate": FieldError("required"), "progress_note": FieldError("required")}
    refused = case.refused(
        "restore_service",
        REPAIR,
        {"work_status": "restored", "restored_at": "中午", "work_done": ""},
        FormInvalid,
    )
    assert refused.errors == {"restored_at": FieldError("not_datetime"), "work_done": FieldError("required")}
    refused = case.refused("restore_service", REPAIR, {"work_status": "done"}, FormInvalid)
    assert refused.errors == {"work_status": FieldError("not_option")}
    # a restoration or a new estimate before the outage started (08:30) is a typing mistake
    refused = case.refused(
        "restore_service",
        REPAIR,
        {"work_status": "restored", "restored_at": local(23, 8, 15), "work_done": "已恢复"},
        FormInvalid,
    )
    assert refused.errors == {
        "restored_at": FieldError(
            "before_other",
            {"other": "停止开始时间（故障：发生时间）", "other_en": "Starts at (fault: started at)"},
        )
    }
    refused = case.refused(
        "restore_service",
        REPAIR,
        {"work_status": "update_estimate", "new_estimate": local(22, 20), "progress_note": "抢修中"},
        FormInvalid,
    )
    assert list(refused.errors) == ["new_estimate"]
    restored = {"work_status": "restored", "restored_at": local(23, 12), "work_done": "已恢复"}
    for outsider in (OPERATOR, DISPATCHER, department_handler("billing")):
        case.refused("restore_service", outsider, restored, NotAllowed)
    assert len(notices(case)) == 1


# --- O1: the correction loop taken twice ---------------------------------------------------------------------------


def test_times_corrected_twice_before_the_outage_is_announced_o1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """O1: a correction that is still wrong (restoration equal to the start: zero hours) goes back to the
    correction again; nothing is published until the times are right, and then the notice goes out once."""
    form = {
        "service": "heating",
        "outage_type": "planned",
        "district": "金明区",
        "building": "3号楼",
        "unit": "1单元",
        "cause": "管道保温改造",
        "starts_at": local(24, 8),
        "estimated_restore_at": local(24, 6),
    }
    case.start(
        DISPATCHER,
        form,
        events=[
            *registration(form, "金明区 3号楼 1单元", -2.0),
            created("correct_times", REGISTRARS),
        ],
        open_now=[("correct_times", REGISTRARS)],
    )
    first_task = case.task("correct_times")

    # first pass: the restoration is moved, but only up to the start: still not after it
    clock.set(utc(23, 1, 10))
    case.complete(
        "correct_times",
        DISPATCHER,
        {"starts_at": "2026-11-24T08:00", "estimated_restore_at": "2026-11-24T08:00"},
        events=[
            completed(DISPATCHER, "correct_times", {"estimated_restore_at": [local(24, 6), local(24, 8)]}),
            script("compute_duration", {"duration_hours": [-2.0, 0.0]}),
            created("correct_times", REGISTRARS),
        ],
        open_now=[("correct_times", REGISTRARS)],
    )
    second_task = case.task("correct_times")
    assert second_task.id != first_task.id
    assert notices(case) == []
    assert case.timers() == []
    assert status(case) == ("running", "更正停止时间", "管道保温改造")

    # second pass: both times corrected, six hours: a short planned outage, published (O3) before it starts
    clock.set(utc(23, 1, 20))
    first = NewId()
    case.complete(
        "correct_times",
        OPERATIONS,
        {"starts_at": "2026-11-24T07:00", "estimated_restore_at": "2026-11-24T13:00"},
        events=[
            completed(
                OPERATIONS,
                "correct_times",
                {
                    "estimated_restore_at": [local(24, 8), local(24, 13)],
                    "starts_at": [local(24, 8), local(24, 7)],
                },
            ),
            script("compute_duration", {"duration_hours": [0.0, 6.0]}),
            script(
                "announce_planned_short", new(announced_at=local(23, 9, 20), notice_basis="planned_under_8h")
            ),
            published("announce_planned_short", first, 2),
        ],
        open_now=[],
    )
    assert notices(case) == [
        (
            first.value,
            "outage",
            "TZ-20261123-0001",
            "heating",
            "planned",
            "金明区",
            "3号楼",
            "1单元",
            "管道保温改造",
            utc(23, 23),
            utc(24, 5),
            None,
            utc(23, 1, 20),
        )
    ]
    assert recipients(case, first) == [("JM-0301-101", "sms", "pending"), ("JM-0301-202", "sms", "pending")]
    assert case.timers() == [("wait_for_start", utc(23, 23), "waiting")]
    assert (case.data["estimate_updates"], case.data["late_count"]) == (0, 0)
    assert status(case) == ("running", None, "管道保温改造")

    with case.sessions() as session:
        tasks = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == case.id).order_by(HumanTask.id)
        ).all()
        assert [(t.id, t.element_id, t.status, t.completed_by) for t in tasks] == [
            (first_task.id, "correct_times", "completed", "disp1"),
            (second_task.id, "correct_times", "completed", "operations_handler"),
        ]
