"""Effects a diagram asks for: in-app notifications (notify) and outage notices (publishNotice)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.parser import DefinitionError, parse_definition
from engine.cases.runner import start_case
from engine.db.models import Customer, Notice, NoticeRecipient, Notification, User, UserRole
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, events_of, form_field, linear, user_task


def effect_task(element_id: str, **properties: str) -> str:
    props = "".join(f'<camunda:property name="{k}" value="{v}"/>' for k, v in properties.items())
    return (
        f'<bpmn:scriptTask id="{element_id}" name="{element_id}" scriptFormat="python">'
        f"<bpmn:extensionElements><camunda:properties>{props}</camunda:properties></bpmn:extensionElements>"
        f"<bpmn:script>done_{element_id} = True</bpmn:script></bpmn:scriptTask>"
    )


FIELDS = "".join(
    form_field(name)
    for name in ("department", "address", "service", "outage_type", "district", "building", "unit", "cause")
) + "".join(form_field(name, "datetime") for name in ("starts_at", "estimated_restore_at", "restored_at"))


def _run(sessions: sessionmaker[Session], runtime: Runtime, task: str, form: dict[str, Any]) -> int:
    with sessions.begin() as session:
        deploy(
            session,
            runtime,
            linear(user_task("intake", fields=FIELDS), task, user_task("wait")),
            "e.bpmn",
            "test",
        )
    with sessions.begin() as session:
        return start_case(session, runtime, "small", OPERATOR, form).id


def test_urgent_notice_reaches_the_heads_of_the_department_l2(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """L2: the head of the case's department is told in the app, with the case's own words."""
    task = effect_task(
        "tell_head",
        notify="head:${department}",
        notifyMessage="紧急: {address} 大面积停热",
        notifyMessage_en="Urgent: no heating at {address}",
    )
    case_id = _run(sessions, runtime, task, {"department": "operations", "address": "金明区3号楼"})
    with sessions() as session:
        rows = session.scalars(select(Notification)).all()
        assert [
            (n.recipient, n.instance_id, n.element_id, n.message, n.message_en, n.read_at) for n in rows
        ] == [
            (
                "operations_head",
                case_id,
                "tell_head",
                "紧急: 金明区3号楼 大面积停热",
                "Urgent: no heating at 金明区3号楼",
                None,
            )
        ]
        assert [(e.kind, e.element_id, e.changes) for e in events_of(session, case_id)][-3:-1] == [
            ("script_ran", "tell_head", {"done_tell_head": [None, True]}),
            ("notification_sent", "tell_head", {"recipients": [None, ["operations_head"]]}),
        ]


def test_a_department_without_a_head_notifies_the_supervisors_l2(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    task = effect_task(
        "tell_head", notify="head:${department},role:supervisor", notifyMessage="紧急 {nothing}"
    )
    _run(sessions, runtime, task, {"department": "billing"})
    with sessions() as session:
        assert [(n.recipient, n.message) for n in session.scalars(select(Notification))] == [
            ("sup1", "紧急 {nothing}")
        ]


def test_outage_notice_lists_the_customers_of_the_unit_o1_o3(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """O1/O3: the notice is published and every customer of the affected unit becomes a recipient."""
    form = {
        "service": "heating",
        "outage_type": "fault",
        "district": "金明区",
        "building": "3号楼",
        "unit": "1单元",
        "cause": "管道爆裂",
        "starts_at": "2026-11-23T08:40",
        "estimated_restore_at": "2026-11-23T18:00",
    }
    case_id = _run(sessions, runtime, effect_task("announce", publishNotice="outage"), form)
    with sessions() as session:
        (notice,) = session.scalars(select(Notice)).all()
        assert (
            notice.kind,
            notice.district,
            notice.building,
            notice.unit,
            notice.cause,
            notice.instance_id,
        ) == ("outage", "金明区", "3号楼", "1单元", "管道爆裂", case_id)
        assert notice.starts_at.isoformat() == "2026-11-23T00:40:00+00:00"
        assert notice.estimated_restore_at.isoformat() == "2026-11-23T10:00:00+00:00"
        assert notice.restored_at is None and notice.case_number.startswith("SM-")
        recipients = session.execute(
            select(Customer.account_no, NoticeRecipient.channel, NoticeRecipient.status)
            .join(Customer, Customer.id == NoticeRecipient.customer_id)
            .order_by(Customer.account_no)
        ).all()
        assert recipients == [("JM-0301-101", "sms", "pending"), ("JM-0301-202", "sms", "pending")]
        assert [(e.kind, e.changes) for e in events_of(session, case_id)][-2] == (
            "notice_published",
            {"notice": [None, notice.id], "recipients": [None, 2]},
        )


@pytest.mark.parametrize(
    ("building", "unit", "accounts"),
    [
        ("5号楼", "", ["JM-0501-301", "JM-0502-602"]),
        ("", "", ["JM-0301-101", "JM-0301-202", "JM-0302-501", "JM-0501-301", "JM-0502-602"]),
    ],
)
def test_a_whole_building_or_district_reaches_all_its_customers_o3(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    reference_data: None,
    building: str,
    unit: str,
    accounts: list[str],
) -> None:
    form = {
        "service": "water",
        "outage_type": "planned",
        "district": "金明区",
        "building": building,
        "unit": unit,
    }
    _run(sessions, runtime, effect_task("announce", publishNotice="outage"), form)
    with sessions() as session:
        found = session.scalars(
            select(Customer.account_no)
            .join(NoticeRecipient, NoticeRecipient.customer_id == Customer.id)
            .order_by(Customer.account_no)
        ).all()
        assert found == accounts
        channels = dict(
            session.execute(
                select(Customer.account_no, NoticeRecipient.channel).join(
                    NoticeRecipient, NoticeRecipient.customer_id == Customer.id
                )
            ).all()
        )
        assert channels["JM-0502-602"] == "email"  # no phone on record


def test_inactive_staff_are_not_notified(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        head = session.scalars(select(User).where(User.username == "repair_head")).one()
        head.active = False
    _run(
        sessions,
        runtime,
        effect_task("tell", notify="head:repair", notifyMessage="x"),
        {"department": "repair"},
    )
    with sessions() as session:
        assert session.scalars(select(Notification.recipient)).all() == ["sup1"]


def test_progress_goes_to_the_liaison_who_opened_the_case_not_to_every_liaison_l4(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """L4: progress is reported to the liaison who brought the matter (`opener`), not to all liaisons."""
    with sessions.begin() as session:
        for username in ("liaison_a", "liaison_b"):
            session.add(
                User(
                    username=username,
                    display_name=username,
                    password_hash="!",
                    active=True,
                    created_at=runtime.clock.now(),
                    roles=[UserRole(role="liaison")],
                )
            )
    _run(sessions, runtime, effect_task("tell", notify="opener,role:supervisor", notifyMessage="进展"), {})
    with sessions() as session:
        assert session.scalars(select(Notification.recipient).order_by(Notification.id)).all() == [
            OPERATOR.username,
            "sup1",
        ]


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        (
            {"notify": "boss:operations", "notifyMessage": "x"},
            "'boss:operations' must read head:<department>, role:<role> or opener",
        ),
        ({"notify": "role:supervisor"}, "notify needs a notifyMessage"),
        ({"publishNotice": "flyer"}, "publishNotice must be one of outage, restoration, not 'flyer'"),
    ],
)
def test_bad_effect_properties_refuse_the_diagram(properties: dict[str, str], reason: str) -> None:
    with pytest.raises(DefinitionError) as failure:
        parse_definition(linear(effect_task("tell", **properties)), "bad.bpmn")
    assert "element 'tell'" in str(failure.value) and reason in str(failure.value)


def test_a_chase_names_the_task_in_english_in_the_english_message(sessions: sessionmaker[Session]) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from engine.cases.effects import chase_overdue

    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            User(
                username="sup1",
                display_name="sup",
                password_hash="!",
                active=True,
                created_at=now,
                roles=[UserRole(role="supervisor")],
            )
        )
    with sessions.begin() as session:
        chase_overdue(
            session,
            None,
            "TS-20261123-0001",
            "reply_deadline",
            "调查处理并答复",
            ["operations"],
            now,
            now,
            ZoneInfo("Asia/Shanghai"),
            "Investigate, handle and reply",
        )
    with sessions() as session:
        (note,) = session.scalars(select(Notification)).all()
    assert "「调查处理并答复」" in note.message
    assert (
        note.message_en
        == "Overdue: task “Investigate, handle and reply” of case TS-20261123-0001 was due 2026-11-23 10:00."
    )
