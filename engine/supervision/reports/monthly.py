"""The monthly statistics (M3, 003 art.22): the 26th of last month to the 25th of this month, by category —
counted from the previous summary's cut-off (the 25th of last month, at the hour it falls due) to this
one's, so that a case received on the 25th after the cut-off is in the next month's summary:

- the total of cases received (热线受理总量) and the count per procedure;
- per category, in the order of the reference data: received, replied, closed, complaints among them
  and the four KPIs (M4); a parent category (IC卡水表故障) shows the subtotal of its sub-categories
  (无显无水, 液晶不采样, …) followed by them, and the cases filed under the parent itself;
- complaints per department (art.22 (八));
- the cases that came from each higher authority (art.22 (三), M10): 12345, 政民互动, letters forwarded by
  the 信访局 or 建设局, 消协, 数字城管, media — the case sources an administrator marks as platforms;
- the notable cases (案例分析, "one or two special events or hot issues"), chosen afterwards by a
  supervisor with a note each and kept with the report (engine.supervision.reports.store.set_notable_cases).

As for the weekly report, figures are as they stood when the report was made (engine.supervision.kpi).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import COMPLAINT
from engine.processes import deployed_roles
from engine.reference import load_reference_data
from engine.runtime import Runtime
from engine.supervision.kpi import Counts, kpi_table
from engine.supervision.periods import Period
from engine.supervision.reports.cases import (
    counts_by_source,
    process_names,
    received_case_rows,
    reference_names,
)
from engine.supervision.reports.weekly import period_content

MAX_CANDIDATES = 200


def build_monthly_report(
    session: Session, engine: Runtime, period: Period, as_of: datetime, span: tuple[datetime, datetime]
) -> dict[str, Any]:
    """The month's figures over `span` (from the previous summary's cut-off to this one's, see
    engine.supervision.reports.store.summary_span), as at `as_of`."""
    zone = engine.zone
    reference = load_reference_data(session)
    processes = process_names(session, engine)
    cases = received_case_rows(session, period, zone, as_of, reference, span)
    by_category = kpi_table(session, period, zone, as_of, reference, group_by="category", span=span)
    complaint_keys = deployed_roles(session).keys_with(COMPLAINT)

    by_process: dict[str, dict[str, int]] = {}
    complaints: dict[str, dict[str, int]] = {d.code: _zero() for d in reference.departments if d.active}
    for c in cases:
        row = by_process.setdefault(c.process_key, _zero())
        _count(row, c.replied_at, c.closed_at)
        if c.process_key in complaint_keys:
            _count(complaints.setdefault(c.department, _zero()), c.replied_at, c.closed_at)

    categories = []
    children_of: dict[str, list[str]] = {}
    for cat in reference.categories:
        if cat.parent_code:
            children_of.setdefault(cat.parent_code, []).append(cat.code)
    for cat in reference.categories:
        if cat.parent_code:
            continue
        own = by_category.rows.get(cat.code, Counts())
        subtotal = Counts()
        subtotal.add(own)
        children = []
        for child in children_of.get(cat.code, []):
            counts = by_category.rows.get(child, Counts())
            subtotal.add(counts)
            children.append({"code": child, **_figures(counts)})
        if children and own.received:
            children.append({"code": cat.code, "unspecified": True, **_figures(own)})
        categories.append({"code": cat.code, **_figures(subtotal), "children": children})
    known = {c.code for c in reference.categories}
    unknown = Counts()
    for code, counts in by_category.rows.items():
        if code not in known:
            unknown.add(counts)

    candidates = [
        {
            "case_number": c.case_number,
            "process": c.process_key,
            "category": c.category,
            "department": c.department,
            "closed": c.closed_at is not None,
        }
        for c in cases
        if c.process_key in complaint_keys or c.closed_at is None
    ][:MAX_CANDIDATES]
    return {
        "rule": "M3",
        "period": period_content(period),
        "as_of": as_of.isoformat(),
        "zone": str(zone),
        "names": reference_names(reference),
        "total": _figures(by_category.total),
        "processes": [
            {
                "code": key,
                "name": processes.get(key, (key, key))[0],
                "name_en": processes.get(key, (key, key))[1],
                **counts,
            }
            for key, counts in sorted(by_process.items())
        ],
        "categories": categories,
        "no_category": _figures(unknown),
        "complaints_by_department": [{"code": code, **counts} for code, counts in complaints.items()],
        "higher_authorities": counts_by_source(cases, reference, upstream_only=True),
        "candidates": candidates,
    }


def _zero() -> dict[str, int]:
    return {"received": 0, "replied": 0, "closed": 0}


def _count(row: dict[str, int], replied_at: datetime | None, closed_at: datetime | None) -> None:
    row["received"] += 1
    row["replied"] += replied_at is not None
    row["closed"] += closed_at is not None


def _figures(counts: Counts) -> dict[str, Any]:
    data = counts.as_dict()
    return {
        "received": data["received"],
        "replied": data["replied"],
        "closed": data["closed"],
        "complaints": data["complaints"],
        "rates": data["rates"],
    }
