"""Send-backs by department (C4, engine/supervision/sendbacks.py) against figures computed by hand.

Three complaints received on Monday 23 November 2026, driven through complaint.bpmn step by step
(times in UTC):

- A (operations): received 01:00, sent back 03:00, approved 04:00 → billing, which replies. Time lost 3 h.
- B (operations): received 01:00, sent back 02:00, rejected 05:00 (time lost 4 h); sent back again
  06:00, rejected again 07:00 with the same decision (time lost from 05:00, when the department got the
  case back, to 07:00: 2 h).
- C (billing): received 01:00, sent back 08:00, still awaiting review at the time of the figures.

By hand: operations 3 send-backs, 1 approved, 2 rejected, 0 awaiting, 9 h lost; billing 1 send-back,
awaiting 1, 0 h lost; total 4, 1, 2, 1, 9 h. A send-back of Tuesday is outside a Monday-only period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.reference import load_reference_data
from engine.runtime import Actor, Runtime
from engine.supervision import Period, sendback_table
from engine.supervision.sendbacks import department_send_backs
from tests.helpers import OPERATOR, department_handler, intake_form

DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
NOT_OURS = {"investigation": "核实后不属本部门", "outcome": "not_ours", "sendback_reason": "属其他部门职责"}


def at(hour: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


class Cases:
    def __init__(self, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock) -> None:
        self.sessions, self.runtime, self.clock = sessions, runtime, clock

    def start(self, department: str) -> int:
        self.clock.set(at(1))
        with self.sessions.begin() as session:
            return start_case(
                session, self.runtime, "complaint", OPERATOR, intake_form(department=department)
            ).id

    def step(self, case_id: int, element: str, actor: Actor, values: dict[str, Any], when: datetime) -> None:
        self.clock.set(when)
        with self.sessions.begin() as session:
            task = session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == case_id,
                    HumanTask.element_id == element,
                    HumanTask.status == "open",
                )
            ).one()
            complete_task(session, self.runtime, task.id, actor, values)
        self.runtime.workflows.clear()


def test_send_backs_by_department_match_the_hand_computed_figures_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    ops, billing = department_handler("operations"), department_handler("billing")
    cases = Cases(sessions, runtime, clock)
    a, b, c = cases.start("operations"), cases.start("operations"), cases.start("billing")
    cases.step(a, "department_handling", ops, NOT_OURS, at(3))
    cases.step(
        a,
        "review_sendback",
        DISPATCHER,
        {"sendback_decision": "approve", "redispatch_department": "billing"},
        at(4),
    )
    cases.step(
        a,
        "department_handling",
        billing,
        {"investigation": "已核实欠费情况", "outcome": "resolved", "result": "已答复"},
        at(5),
    )
    cases.step(b, "department_handling", ops, NOT_OURS, at(2))
    cases.step(
        b, "review_sendback", DISPATCHER, {"sendback_decision": "reject", "review_comment": "属本部门"}, at(5)
    )
    cases.step(b, "department_handling", ops, NOT_OURS, at(6))
    cases.step(
        b, "review_sendback", DISPATCHER, {"sendback_decision": "reject", "review_comment": "属本部门"}, at(7)
    )
    cases.step(c, "department_handling", billing, NOT_OURS, at(8))
    # Tuesday: outside the period
    cases.step(b, "department_handling", ops, NOT_OURS, at(2, day=24))

    clock.set(at(3, day=24))
    monday = Period("custom", date(2026, 11, 23), date(2026, 11, 23))
    with sessions() as session:
        reference = load_reference_data(session)
        table = sendback_table(session, monday, runtime.zone, clock.now(), reference)
        by_department = department_send_backs(session, *monday.bounds(runtime.zone), clock.now())
        numbers = {i: n for i, n in session.execute(select(ProcessInstance.id, ProcessInstance.case_number))}
    figures = {
        code: (n.sent_back, n.approved, n.rejected, n.awaiting, n.time_lost) for code, n in table.rows.items()
    }
    assert figures == {
        "operations": (3, 1, 2, 0, timedelta(hours=9)),
        "billing": (1, 0, 0, 1, timedelta(0)),
    }
    total = table.total
    assert (total.sent_back, total.approved, total.rejected, total.awaiting, total.hours_lost) == (
        4,
        1,
        2,
        1,
        9.0,
    )
    # The department assessment's send-back figure: the same send-backs, each with its case.
    assert by_department is not None
    assert {
        code: [(sent.case_number, sent.process_key, sent.sent_at) for sent in items]
        for code, items in by_department.items()
    } == {
        "operations": [
            (numbers[b], "complaint", at(2)),
            (numbers[a], "complaint", at(3)),
            (numbers[b], "complaint", at(6)),
        ],
        "billing": [(numbers[c], "complaint", at(8))],
    }


def test_a_review_decided_after_the_time_of_the_figures_is_still_awaiting_c4(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    ops = department_handler("operations")
    cases = Cases(sessions, runtime, clock)
    a = cases.start("operations")
    cases.step(a, "department_handling", ops, NOT_OURS, at(3))
    cases.step(
        a, "review_sendback", DISPATCHER, {"sendback_decision": "reject", "review_comment": "属本部门"}, at(6)
    )
    with sessions() as session:
        reference = load_reference_data(session)
        table = sendback_table(
            session, Period("custom", date(2026, 11, 23), date(2026, 11, 23)), runtime.zone, at(5), reference
        )
    counts = table.rows["operations"]
    assert (counts.sent_back, counts.rejected, counts.awaiting, counts.time_lost) == (1, 0, 1, timedelta(0))
