"""The use cases called directly with a unit of work, as the CLI and the scheduler's jobs call them: they
write through the unit and never commit; leaving the unit without committing keeps nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Customer, HumanTask, IntakeKey, ProcessDefinition, ProcessInstance
from engine.errors import FormInvalid, NotFound
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import arrive_on_site, attach_file, claim_task, complete_task, record_call
from engine.work.intake_keys import new_intake_key
from tests.helpers import OPERATOR, intake_form, open_task, row_counts

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))
WORKER = Actor("worker", frozenset({"repair_worker"}))
NEW_CALLER = {"customer_name": "林芳", "customer_phone": "13700002222"}


def test_record_call_opens_the_case_keeps_the_key_and_registers_the_caller(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    key = new_intake_key()
    with UnitOfWork(sessions, runtime) as uow:
        recorded = record_call(uow, "complaint", OPERATOR, intake_form(**NEW_CALLER), key)
        uow.commit()
    assert recorded.first
    with sessions() as session:
        case = session.scalars(select(ProcessInstance)).one()
        assert case.case_number == recorded.instance.case_number
        assert session.scalar(select(IntakeKey.instance_id).where(IntakeKey.key == key)) == case.id
        assert (
            session.scalar(select(Customer.name).where(Customer.phone == NEW_CALLER["customer_phone"]))
            == "林芳"
        )


def test_a_new_callers_account_number_carries_the_local_day_as_the_case_number_does(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """At 01:30 in Shanghai it is still yesterday in UTC: both numbers carry Shanghai's day."""
    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # 2026-11-24 01:30 Asia/Shanghai
    with UnitOfWork(sessions, runtime) as uow:
        recorded = record_call(uow, "complaint", OPERATOR, intake_form(**NEW_CALLER), new_intake_key())
        uow.commit()
    assert "-20261124-" in recorded.instance.case_number
    with sessions() as session:
        account = session.scalar(
            select(Customer.account_no).where(Customer.phone == NEW_CALLER["customer_phone"])
        )
    assert account == "T2026112400002222"  # T, the local day, the phone's last 8 digits


def test_the_same_key_again_returns_the_first_case_and_opens_no_second(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    key = new_intake_key()
    with UnitOfWork(sessions, runtime) as uow:
        first = record_call(uow, "complaint", OPERATOR, intake_form(), key)
        uow.commit()
    with UnitOfWork(sessions, runtime) as uow:
        again = record_call(uow, "complaint", OPERATOR, intake_form(), key)
        uow.commit()
    assert not again.first and again.instance.case_number == first.instance.case_number
    with sessions() as session:
        assert len(session.scalars(select(ProcessInstance)).all()) == 1


def test_a_refused_form_writes_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    with sessions() as session:
        before = row_counts(session)
    with pytest.raises(FormInvalid) as refused, UnitOfWork(sessions, runtime) as uow:
        record_call(uow, "complaint", OPERATOR, intake_form(customer_phone="12"), new_intake_key())
    assert "customer_phone" in refused.value.errors
    with sessions() as session:
        assert row_counts(session) == before


def test_a_unit_left_by_an_error_after_a_use_case_wrote_keeps_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    """The call was recorded (flushed) in the unit, then the next step failed: neither is kept."""
    with sessions() as session:
        before = row_counts(session)
    with pytest.raises(NotFound), UnitOfWork(sessions, runtime) as uow:
        recorded = record_call(uow, "complaint", OPERATOR, intake_form(**NEW_CALLER), new_intake_key())
        assert uow.session.get(ProcessInstance, recorded.instance.id) is not None
        claim_task(uow, 987654, OPERATOR)
    with sessions() as session:
        assert row_counts(session) == before


def dispatched_repair(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    with UnitOfWork(sessions, runtime) as uow:
        form = {**intake_form(), "description": "厨房水管爆裂", "category": "burst"}
        case_id = record_call(uow, "repair", DISPATCHER, form).instance.id
        dispatch = open_task(uow.session, case_id, "dispatch")
        values = {"worker": "repair_worker", "expected_arrival": "2026-11-23T09:25", "arrival_told": "on"}
        complete_task(uow, dispatch.id, DISPATCHER, values)
        uow.commit()
    return case_id


def test_arrive_on_site_records_now_and_makes_the_next_step_the_workers(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Any,
    reference_data: None,
) -> None:
    deploy_process("repair")
    case_id = dispatched_repair(sessions, runtime)
    clock.advance(timedelta(minutes=20))
    with sessions() as session:
        arrive = open_task(session, case_id, "arrive_on_site").id
    with UnitOfWork(sessions, runtime) as uow:
        arrival = arrive_on_site(uow, arrive, WORKER)
        uow.commit()
    assert arrival.recorded_at == "2026-11-23T09:20"  # 01:20 UTC in Asia/Shanghai
    with sessions() as session:
        assert session.get(HumanTask, arrive).status == "completed"
        assert session.get(ProcessInstance, case_id).data["arrived_at"] == "2026-11-23T09:20:00+08:00"
        report = open_task(session, case_id, "onsite_report")
        assert report.assignee == "worker"


def test_arrive_on_site_refuses_a_step_that_asks_for_more_than_a_time(
    sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any, reference_data: None
) -> None:
    deploy_process("repair")
    case_id = dispatched_repair(sessions, runtime)
    with UnitOfWork(sessions, runtime) as uow:
        arrive = open_task(uow.session, case_id, "arrive_on_site").id
        arrive_on_site(uow, arrive, WORKER)
        uow.commit()
    with sessions() as session:
        before = row_counts(session)
        report = open_task(session, case_id, "onsite_report").id
    with pytest.raises(Exception, match="asks for more than a time"), UnitOfWork(sessions, runtime) as uow:
        arrive_on_site(uow, report, WORKER)
    with sessions() as session:
        assert row_counts(session) == before


def test_a_send_back_needs_evidence_attached_at_the_step_c4(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    """C4: "not ours" is refused, with the typed values kept, until a file is attached at the step."""
    handler = Actor("ops", frozenset({"operations"}))
    values = {
        "investigation": "现场核实为欠费停供",
        "outcome": "not_ours",
        "sendback_reason": "属收费部门职责",
    }
    with UnitOfWork(sessions, runtime) as uow:
        record_call(uow, "complaint", OPERATOR, intake_form(), new_intake_key())
        uow.commit()
    with sessions() as session:
        task_id = session.scalars(
            select(HumanTask.id).where(HumanTask.element_id == "department_handling")
        ).one()
    with pytest.raises(FormInvalid) as refused, UnitOfWork(sessions, runtime) as uow:
        complete_task(uow, task_id, handler, values)
    assert {k: e.code for k, e in refused.value.errors.items()} == {"sendback_reason": "attachment_required"}
    assert refused.value.values == values
    # the missing file and the form's own problems are all said at once, the typed values kept
    incomplete = {**values, "investigation": ""}
    with pytest.raises(FormInvalid) as refused, UnitOfWork(sessions, runtime) as uow:
        complete_task(uow, task_id, handler, incomplete)
    assert {k: e.code for k, e in refused.value.errors.items()} == {
        "investigation": "required",
        "sendback_reason": "attachment_required",
    }
    assert refused.value.values == incomplete
    # no reason and no file: the field says both (its own problem, then the file), not one per try
    with pytest.raises(FormInvalid) as refused, UnitOfWork(sessions, runtime) as uow:
        complete_task(uow, task_id, handler, {**values, "sendback_reason": ""})
    both = refused.value.errors["sendback_reason"]
    assert (both.code, dict(both.params)) == ("and_attachment_required", {"own": "required"})
    with UnitOfWork(sessions, runtime) as uow:
        attach_file(uow, task_id, "欠费通知.pdf", b"%PDF-1.4 evidence", handler.username)
        complete_task(uow, task_id, handler, values)
        uow.commit()
    with sessions() as session:
        open_now = session.scalars(select(HumanTask.element_id).where(HumanTask.status == "open")).all()
    assert open_now == ["review_sendback"]
