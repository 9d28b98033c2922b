"""The on-the-spot rate (直办率, Q1, issue 20 item 8) beside the KPIs (M4).

What the diagrams declare (engine.bpmn.roles): a **consultation** is a case of a procedure with the process
role `consultation`; its property `answeredField` names the yes/no field that says the question was
answered on the spot (consultation.bpmn: `answered_now`), `entryField` the field holding the knowledge
base entry the answer came from (`answered_from`).

- **Received**: consultations opened in the period (by the time of the figures).
- **On-the-spot rate** = of those, answered on the spot ÷ received.
- **Answered from the knowledge base** = of those, answered on the spot with an entry recorded ÷ received.

Rows follow the KPI table: by the case's department (engine.supervision.kpi.department_of_case) or by
category. One query per procedure with the role; it reads the case data of the consultations of the
period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import CONSULTATION
from engine.db import ProcessInstance
from engine.processes import deployed_roles
from engine.reference import ReferenceData
from engine.supervision.kpi import NONE, Rate, department_of_case, routed_departments
from engine.supervision.periods import Period


@dataclass
class OnTheSpotCounts:
    received: int = 0
    on_the_spot: int = 0
    from_entry: int = 0

    @property
    def rate(self) -> Rate:
        return Rate(self.on_the_spot, self.received)

    @property
    def entry_rate(self) -> Rate:
        return Rate(self.from_entry, self.received)

    def add(self, on_the_spot: bool, from_entry: bool) -> None:
        self.received += 1
        self.on_the_spot += 1 if on_the_spot else 0
        self.from_entry += 1 if on_the_spot and from_entry else 0


@dataclass
class OnTheSpotTable:
    rows: dict[str, OnTheSpotCounts] = field(default_factory=dict)
    total: OnTheSpotCounts = field(default_factory=OnTheSpotCounts)


def on_the_spot_table(
    session: Session,
    period: Period,
    zone: ZoneInfo,
    as_of: datetime,
    reference: ReferenceData,
    group_by: str = "department",
    department: str | None = None,
    categories: set[str] | None = None,
) -> OnTheSpotTable:
    """The consultations of the period by department or category, and in all; optionally only those of
    one department and/or of some categories (as the KPI table filters)."""
    start, end = period.bounds(zone)
    roles = deployed_roles(session)
    routed = routed_departments(session, reference)
    table = OnTheSpotTable()
    for key in roles.keys_with(CONSULTATION):
        declared = roles.latest(key)
        answered, entry = declared.answered_field, declared.entry_field
        if not answered:
            continue
        for case_department, category, data in session.execute(
            select(ProcessInstance.department, ProcessInstance.category, ProcessInstance.data).where(
                ProcessInstance.process_key == key,
                ProcessInstance.opened_at >= start,
                ProcessInstance.opened_at < end,
                ProcessInstance.opened_at <= as_of,
            )
        ):
            values = data or {}
            on_the_spot = values.get(answered) is True
            from_entry = bool(entry and values.get(entry))
            owner = department_of_case(key, case_department, category, routed, roles)
            if (department and owner != department) or (
                categories is not None and category not in categories
            ):
                continue
            row = owner if group_by == "department" else category or NONE
            table.rows.setdefault(row, OnTheSpotCounts()).add(on_the_spot, from_entry)
            table.total.add(on_the_spot, from_entry)
    return table
