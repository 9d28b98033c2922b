"""consultation.bpmn, every path, rule Q1 of PROCEDURES.md.

Every step is its own unit of work and the case is reloaded from the database before the next one (see
driver.py). After every step the test checks the open tasks and their groups, the case data and summary
columns, and exactly the history events the step wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.cases.runner import due_timer_ids, start_case
from engine.clock import SettableClock
from engine.db.models import OutboxMessage, ProcessDefinition
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, SUPERVISOR, department_handler, row_counts
from tests.scenarios.driver import CLOSED, CaseDriver, completed, created, end, new, script, timer_fired

TASK_NAMES = {"intake": "登记咨询", "reply_customer": "答复客户"}
SECOND_OPERATOR = Actor("op2", frozenset({"operator"}))
QUESTION = "今年什么时候开始供暖?按面积收费的标准是多少?"
ANSWER = "11月15日开始供暖;居民按建筑面积每平方米24元收费。"


# The runtime of the tests says messages in English (no catalogs loaded).
REPLY_TEXT = f"Reply from the hotline to your enquiry (case ZX-20261123-0001): {ANSWER}"


def reply_sent(channel: str) -> Any:
    """Q1: the answer went to the outbox; its text is kept in the case's history."""
    return (
        "reply_sent",
        "system",
        "reply_customer",
        {"channel": [None, channel], "text": [None, REPLY_TEXT]},
    )


def sent_replies(case: CaseDriver) -> list[tuple[str, str, str, str]]:
    with case.sessions() as session:
        rows = session.execute(
            select(
                OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.text
            ).where(OutboxMessage.instance_id == case.id)
        ).all()
    return [tuple(row) for row in rows]


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> str:
    """A November time in Asia/Shanghai as the case data keeps it."""
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00+08:00"


def intake(**overrides: Any) -> dict[str, Any]:
    """A consultation the operator could not answer at once: a reply by SMS promised for 15:00 today."""
    form: dict[str, Any] = {
        "customer_name": "王芳",
        "customer_phone": "13900000004",
        "question": QUESTION,
        "category": "billing",
        "answered_now": "",
        "answer": "",
        "answered_from": "",
        "promised_reply_at": "2026-11-23T15:00",
        "reply_channel": "sms",
        "contact": "13900000004",
    }
    form.update(overrides)
    return form


def intake_changes(**overrides: Any) -> dict[str, list[Any]]:
    values = {
        "customer_name": "王芳",
        "customer_phone": "13900000004",
        "question": QUESTION,
        "category": "billing",
        "answered_now": False,
        "answer": None,
        "answered_from": None,
        "promised_reply_at": local(23, 15),
        "reply_channel": "sms",
        "contact": "13900000004",
        "case_source": "hotline",
        "upstream_reference": None,
        "upstream_deadline": None,
    }
    return new(**{**values, **overrides})


@pytest.fixture
def case(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Any,
) -> CaseDriver:
    definition: ProcessDefinition = deploy_process("consultation")
    assert (definition.key, definition.name, definition.case_prefix) == ("consultation", "咨询", "ZX")
    return CaseDriver(sessions, runtime, clock, "consultation", TASK_NAMES)


def start_with_promise(case: CaseDriver, **overrides: Any) -> None:
    """Q1: not answered on the spot: a reply time is promised and the contact recorded."""
    expected = {k: v for k, v in overrides.items() if k != "promised_reply_at"}
    if "promised_reply_at" in overrides:
        expected["promised_reply_at"] = overrides["promised_reply_at"] + ":00+08:00"
    case.start(
        OPERATOR,
        intake(**overrides),
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            completed(OPERATOR, "intake", intake_changes(**expected)),
            created("reply_customer", "operator"),
        ],
        open_now=[("reply_customer", "operator")],
    )


def closed(case: CaseDriver) -> None:
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.status, instance.closed_at, instance.current_step) == (
            "completed",
            case.clock.now(),
            None,
        )


# --- answered on the spot ---------------------------------------------------------------------------------------------


def test_answered_on_the_spot_closes_the_case_at_once_q1(case: CaseDriver, clock: SettableClock) -> None:
    """Q1: answered where possible on the spot: recorded with the answer, and closed; no reply is promised."""
    case.start(
        OPERATOR,
        intake(answered_now="on", answer=ANSWER, promised_reply_at="", reply_channel="", contact=""),
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            completed(
                OPERATOR,
                "intake",
                intake_changes(
                    answered_now=True, answer=ANSWER, promised_reply_at=None, reply_channel=None, contact=None
                ),
            ),
            end("end_answered_now"),
            CLOSED,
        ],
        open_now=[],
    )
    closed(case)
    assert case.timers() == []
    with case.sessions() as session:
        instance = case.instance(session)
        assert (instance.case_number, instance.opened_by, instance.category) == (
            "ZX-20261123-0001",
            "op1",
            "billing",
        )


# --- a reply is promised -------------------------------------------------------------------------------------------------


def test_promised_reply_is_given_in_time_q1(case: CaseDriver, clock: SettableClock) -> None:
    """Q1: a reply time is promised and the contact recorded; the reply by SMS before that time closes the case."""
    start_with_promise(case)
    assert case.task("reply_customer").due_at == utc(23, 7)
    assert case.timers() == [("reply_due", utc(23, 7), "waiting")]

    clock.set(utc(23, 6, 30))
    case.complete(
        "reply_customer",
        OPERATOR,
        {"answer": ANSWER, "channel_used": "sms", "contact": "13900000004", "replied": "on"},
        events=[
            completed(
                OPERATOR,
                "reply_customer",
                {"answer": [None, ANSWER], "channel_used": [None, "sms"], "replied": [None, True]},
            ),
            reply_sent("sms"),
            end("end_replied"),
            CLOSED,
        ],
        open_now=[],
    )
    closed(case)
    assert case.timers() == [("reply_due", utc(23, 7), "cancelled")]
    assert "reply_overdue" not in case.data
    assert sent_replies(case) == [("sms", "13900000004", "consultation_reply", REPLY_TEXT)]


def test_a_reply_the_contact_cannot_take_is_not_sent_and_the_history_says_so_q1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """Q1: "send as e-mail" to a phone number sends nothing; the history tells the operator, who may call."""
    start_with_promise(case)
    clock.set(utc(23, 6, 30))
    case.complete(
        "reply_customer",
        OPERATOR,
        {"answer": ANSWER, "channel_used": "email", "contact": "13900000004", "replied": "on"},
        events=[
            completed(
                OPERATOR,
                "reply_customer",
                {"answer": [None, ANSWER], "channel_used": [None, "email"], "replied": [None, True]},
            ),
            ("reply_not_sent", "system", "reply_customer", {"channel": [None, "email"]}),
            end("end_replied"),
            CLOSED,
        ],
        open_now=[],
    )
    assert sent_replies(case) == []


def test_promised_reply_time_passing_records_the_overdue_reply_q1(
    case: CaseDriver, clock: SettableClock
) -> None:
    """Q1: when the promised time passes without a reply, that is recorded; the reply task stays open, still
    visibly overdue, and any operator may still reply (here by e-mail)."""
    start_with_promise(
        case, promised_reply_at="2026-11-23T11:00", reply_channel="email", contact="wang.fang@example.com"
    )
    task_before = case.task("reply_customer")

    clock.set(utc(23, 2, 59, 59))
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []
    clock.set(utc(23, 3))  # 11:00 in Shanghai
    case.fire_due_timers(
        events=[
            timer_fired("reply_due"),
            script("record_reply_overdue", new(reply_overdue=True)),
            end("end_reply_overdue"),
        ],
        open_now=[("reply_customer", "operator")],
    )
    task_after = case.task("reply_customer")
    assert (task_after.id, task_after.status, task_after.due_at) == (task_before.id, "open", utc(23, 3))
    assert case.timers() == [("reply_due", utc(23, 3), "fired")]
    with case.sessions() as session:
        assert due_timer_ids(session, clock.now()) == []  # recorded once only

    clock.set(utc(23, 4))
    case.complete(
        "reply_customer",
        SECOND_OPERATOR,
        {"answer": ANSWER, "channel_used": "email", "contact": "wang.fang@example.com", "replied": True},
        events=[
            completed(
                SECOND_OPERATOR,
                "reply_customer",
                {"answer": [None, ANSWER], "channel_used": [None, "email"], "replied": [None, True]},
            ),
            reply_sent("email"),
            end("end_replied"),
            CLOSED,
        ],
        open_now=[],
    )
    closed(case)
    assert (case.data["reply_overdue"], case.data["contact"]) == (True, "wang.fang@example.com")
    assert sent_replies(case) == [("email", "wang.fang@example.com", "consultation_reply", REPLY_TEXT)]


# --- refusals ------------------------------------------------------------------------------------------------------------


def test_intake_refuses_bad_values_and_other_groups_writing_nothing_q1(
    sessions: sessionmaker[Session], runtime: Runtime, case: CaseDriver
) -> None:
    """Q1: an answer on the spot needs the answer; a promised reply needs the time, the channel and a phone
    number or e-mail address to reply to; the category is one of the reference data."""
    tables = ("process_instance", "event", "human_task", "timer", "case_counter")
    with sessions() as session:
        before = row_counts(session, tables)

    def errors(form: dict[str, Any]) -> dict[str, FieldError]:
        with pytest.raises(FormInvalid) as failure, sessions.begin() as session:
            start_case(session, runtime, "consultation", OPERATOR, form)
        return failure.value.errors

    assert errors(intake(answered_now="on", answer="")) == {"answer": FieldError("required")}
    assert errors(intake(promised_reply_at="", reply_channel="", contact="")) == {
        "promised_reply_at": FieldError("required"),
        "reply_channel": FieldError("required"),
        "contact": FieldError("required"),
    }
    assert errors(
        intake(
            customer_phone="12345",
            category="gas",
            promised_reply_at="下午三点",
            reply_channel="fax",
            contact="wang.fang@",
        )
    ) == {
        "customer_phone": FieldError("pattern"),
        "category": FieldError("not_option"),
        "promised_reply_at": FieldError("not_datetime"),
        "reply_channel": FieldError("not_option"),
        "contact": FieldError("pattern"),
    }
    assert errors(intake(question="", customer_name="")) == {
        "question": FieldError("required"),
        "customer_name": FieldError("required"),
    }
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "consultation", department_handler("repair"), intake())
    with sessions() as session:
        assert row_counts(session, tables) == before


def test_reply_refuses_bad_values_and_other_groups_q1(case: CaseDriver) -> None:
    """Q1: the reply records the answer, the channel used and that the customer has it; only operators reply."""
    start_with_promise(case, contact="0951-6012345")
    refused = case.refused(
        "reply_customer", OPERATOR, {"answer": "", "channel_used": "fax", "replied": ""}, FormInvalid
    )
    assert isinstance(refused, FormInvalid)
    assert refused.errors == {
        "answer": FieldError("required"),
        "channel_used": FieldError("not_option"),
        "replied": FieldError("required"),
    }
    for outsider in (SUPERVISOR, department_handler("customer_service")):
        case.refused(
            "reply_customer",
            outsider,
            {"answer": ANSWER, "channel_used": "phone", "replied": "on"},
            NotAllowed,
        )
    assert case.data["contact"] == "0951-6012345"
