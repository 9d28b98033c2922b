"""The monthly liaison assessment (M9, 000 §6): four figures per liaison, each with the cases behind it.

What the diagrams declare (engine.bpmn.roles): an **information form** is a case of a procedure with the
process role `liaison_report` (liaison.bpmn); its **liaison** is the person who opened it
(`process_instance.opened_by`). A **feedback step** is a user task with the role `liaison_feedback` (the
written report within 1 hour, L2; the hand-over to the department within 24 hours, L3).

1. **Information forms submitted** (信息收集表) = the liaison's forms opened in the period.
2. **On-time feedback** (反馈及时率) = feedback steps of the liaison's forms whose deadline fell in the
   period and were completed by it ÷ such steps completed or past their deadline by the time of the
   figures.
3. **Resolution rate** (问题解决率) = the liaison's forms opened in the period and closed by the time of the
   figures ÷ the liaison's forms opened in the period.
4. **Satisfaction of their customers** (客户满意率) = callback answers "satisfied" ÷ callback answers
   given in the period about the liaison's forms (the procedure's callback, L5, and any sampled
   callback, M1), as the KPI's satisfaction rate counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import LIAISON_FEEDBACK, LIAISON_REPORT, SATISFIED
from engine.db import HumanTask, ProcessInstance
from engine.processes import deployed_roles, of_elements
from engine.supervision.department_assessment import Figure, Item
from engine.supervision.kpi import procedure_callback_answers, sampled_callback_answers
from engine.supervision.periods import Period

LIAISON_FIGURES = ("forms", "feedback", "resolution", "satisfaction")


@dataclass
class LiaisonRow:
    liaison: str
    figures: dict[str, Figure] = field(default_factory=lambda: {name: Figure() for name in LIAISON_FIGURES})


@dataclass
class LiaisonAssessment:
    period: Period
    as_of: datetime
    rows: list[LiaisonRow]

    def row(self, liaison: str) -> LiaisonRow | None:
        return next((row for row in self.rows if row.liaison == liaison), None)


def liaison_assessment(
    session: Session, period: Period, zone: ZoneInfo, as_of: datetime
) -> LiaisonAssessment:
    """The four figures of every liaison with a form or an answer in the period, by login."""
    start, end = period.bounds(zone)
    roles = deployed_roles(session)
    keys = roles.keys_with(LIAISON_REPORT)
    rows: dict[str, LiaisonRow] = {}
    if not keys:
        return LiaisonAssessment(period, as_of, [])

    def row_of(liaison: str) -> LiaisonRow:
        return rows.setdefault(liaison, LiaisonRow(liaison))

    liaison_of: dict[str, str] = {}
    for number, key, liaison, opened, closed in session.execute(
        select(
            ProcessInstance.case_number,
            ProcessInstance.process_key,
            ProcessInstance.opened_by,
            ProcessInstance.opened_at,
            ProcessInstance.closed_at,
        )
        .where(ProcessInstance.process_key.in_(keys), ProcessInstance.opened_at <= as_of)
        .order_by(ProcessInstance.opened_at, ProcessInstance.id)
    ):
        liaison_of[number] = liaison
        if start <= opened < end:
            row = row_of(liaison)
            row.figures["forms"].items.append(Item(number, "", opened, None, True, key))
            resolved = closed is not None and closed <= as_of
            row.figures["resolution"].items.append(
                Item(number, "", closed if resolved else None, None, resolved, key)
            )

    steps = {key: ids for key, ids in roles.element_ids(LIAISON_FEEDBACK).items() if key in keys}
    if steps:
        done = and_(HumanTask.status == "completed", HumanTask.completed_at <= as_of)
        for number, key, liaison, name, element, due, completed in session.execute(
            select(
                ProcessInstance.case_number,
                ProcessInstance.process_key,
                ProcessInstance.opened_by,
                HumanTask.name,
                HumanTask.element_id,
                HumanTask.due_at,
                HumanTask.completed_at,
            )
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(
                of_elements(steps, HumanTask.element_id),
                HumanTask.status != "cancelled",
                HumanTask.due_at >= start,
                HumanTask.due_at < end,
                or_(HumanTask.due_at <= as_of, done),
            )
            .order_by(HumanTask.due_at, HumanTask.id)
        ):
            finished = completed if completed is not None and completed <= as_of else None
            on_time = finished is not None and due is not None and finished <= due
            row_of(liaison).figures["feedback"].items.append(
                Item(number, name, finished, due, on_time, key, element)
            )

    answers = procedure_callback_answers(session, start, end, as_of, roles) + sampled_callback_answers(
        session, start, end, as_of, roles
    )
    for _group, number, answer, at in sorted(answers, key=lambda a: (a[3], a[1])):
        if number in liaison_of:
            item = Item(number, answer or "", at, None, answer == SATISFIED)
            row_of(liaison_of[number]).figures["satisfaction"].items.append(item)
    return LiaisonAssessment(period, as_of, [rows[name] for name in sorted(rows)])
