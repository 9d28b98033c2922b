"""The Monday report (M2, 003 art.19): last week's hotline cases per department.

For every department: the cases **received** in the week (Monday 00:00 to Monday 00:00, local time),
how many of them the department had **replied** to and how many were **closed** by the time the report
was made (see engine.supervision.kpi for what replied and closed mean in each procedure), the same
split by where the cases came from (case sources), and every received case
that was not replied to or not closed, with the reason (engine.supervision.reports.cases). The week's four KPIs
(M4) per department come with it, and what the sampled callbacks of the week found (M1: satisfied, not
satisfied and sent back to the department, not reached; those still open).

The content is plain JSON, kept in the `report` table as it was when made: later changes to the cases
do not change a report already made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.processes import deployed_roles
from engine.reference import load_reference_data
from engine.runtime import Runtime
from engine.supervision.kpi import kpi_table
from engine.supervision.periods import Period
from engine.supervision.reports.cases import (
    OpenReason,
    counts_by_source,
    open_reasons,
    process_names,
    reason_text,
    received_case_rows,
    reference_names,
)
from engine.supervision.sampled_outcomes import sampled_summary


def period_content(period: Period) -> dict[str, Any]:
    return {
        "kind": period.kind,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "label": period.label,
        "days": period.days,
        "working_days": period.working_days,
    }


def build_weekly_report(session: Session, engine: Runtime, period: Period, as_of: datetime) -> dict[str, Any]:
    zone = engine.zone
    reference = load_reference_data(session)
    names = reference_names(reference)
    department_names = {code: n["name"] for code, n in names["departments"].items()}
    department_names_en = {code: n["name_en"] for code, n in names["departments"].items()}
    processes = process_names(session, engine)
    cases = received_case_rows(session, period, zone, as_of, reference)
    open_cases = [c for c in cases if c.closed_at is None]
    reasons = open_reasons(session, [c.id for c in open_cases], as_of, engine)

    rows: dict[str, dict[str, int]] = {d.code: _zero() for d in reference.departments if d.active}
    for c in cases:
        row = rows.setdefault(c.department, _zero())
        row["received"] += 1
        row["replied"] += c.replied_at is not None
        row["closed"] += c.closed_at is not None
        row["not_replied"] += c.replied_at is None
        row["not_closed"] += c.closed_at is None
    total = _zero()
    for row in rows.values():
        for key in total:
            total[key] += row[key]

    kpis = kpi_table(session, period, zone, as_of, reference, group_by="department")
    start, end = period.bounds(zone)
    sampled = sampled_summary(session, deployed_roles(session), start, end, as_of)
    listed = []
    for c in open_cases:
        reason = reasons.get(c.id) or OpenReason()
        listed.append(
            {
                "case_number": c.case_number,
                "process": c.process_key,
                "process_name": processes.get(c.process_key, (c.process_key, c.process_key))[0],
                "process_name_en": processes.get(c.process_key, (c.process_key, c.process_key))[1],
                "department": c.department,
                "category": c.category,
                "opened_at": c.opened_at.isoformat(),
                "replied": c.replied_at is not None,
                "replied_at": c.replied_at.isoformat() if c.replied_at else None,
                "overdue": any(w.overdue for w in reason.waiting),
                "waiting": [
                    {
                        "task": w.task,
                        "groups": w.groups,
                        "assignee": w.assignee,
                        "since": w.since.isoformat(),
                        "due": w.due.isoformat() if w.due else None,
                        "overdue": w.overdue,
                    }
                    for w in reason.waiting
                ],
                "reason": reason_text(reason, as_of, zone, "zh", department_names),
                "reason_en": reason_text(reason, as_of, zone, "en", department_names_en),
            }
        )
    return {
        "rule": "M2",
        "period": period_content(period),
        "as_of": as_of.isoformat(),
        "zone": str(zone),
        "names": names,
        "departments": [
            {
                "code": code,
                **counts,
                "rates": kpis.rows[code].as_dict()["rates"] if code in kpis.rows else None,
            }
            for code, counts in rows.items()
        ],
        "total": {**total, "rates": kpis.total.as_dict()["rates"]},
        # Where the week's cases came from (issue 19): the own hotline, walk-ins, platforms, ...
        "sources": counts_by_source(cases, reference),
        "open_cases": listed,
        # M1: what the week's sampled callbacks found, and those still open (engine.supervision.sampled_outcomes)
        "sampled_callbacks": sampled.as_dict(),
    }


def _zero() -> dict[str, int]:
    return {"received": 0, "replied": 0, "closed": 0, "not_replied": 0, "not_closed": 0}
