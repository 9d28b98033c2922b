"""The departments' send-backs (退单: "not ours", reviewed by the dispatcher, C4) as the monthly department
assessment counts them: per department code, one item per send-back the department made in [start, end)
by `as_of`, read by engine.supervision.sendbacks from the steps with the role `sendback_review`. None
while no deployed procedure has such a step (the figure is then "—" and its weight drops out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import SENDBACK_REVIEW
from engine.db import ProcessInstance
from engine.processes import deployed_roles
from engine.supervision.sendbacks import send_backs


@dataclass(frozen=True)
class DepartmentSendBack:
    case_number: str
    process_key: str
    sent_at: datetime


def department_send_backs(
    session: Session, start: datetime, end: datetime, as_of: datetime
) -> dict[str, list[DepartmentSendBack]] | None:
    """Send-backs by department code in the period; None while no procedure can send a case back."""
    roles = deployed_roles(session)
    if not roles.element_ids(SENDBACK_REVIEW):
        return None
    found = send_backs(session, start, end, as_of, roles)
    cases = {
        row.id: (row.case_number, row.process_key)
        for row in session.execute(
            select(ProcessInstance.id, ProcessInstance.case_number, ProcessInstance.process_key).where(
                ProcessInstance.id.in_(sorted({s.instance_id for s in found}))
            )
        )
    }
    by_department: dict[str, list[DepartmentSendBack]] = {}
    for sent in found:
        number, process_key = cases.get(sent.instance_id, ("", ""))
        for department in (d for d in sent.department.split(",") if d):
            by_department.setdefault(department, []).append(
                DepartmentSendBack(number, process_key, sent.sent_at)
            )
    return by_department
