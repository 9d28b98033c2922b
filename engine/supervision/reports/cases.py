"""The cases a report lists: those received in a period, whether and when they were replied to and
closed, and — for those still open — why (M2: "what was not replied or not closed, with reasons").

A reason is built from what the projections say at the time of the report: the steps the case is
waiting at (task, group, since when, its deadline and whether it has passed), an extension asked for
with its reason (C3, R6), how often the customer was not satisfied and the case went back (C5, R5,
L5), and which deadlines were recorded as missed. It is kept as data and as a sentence in Chinese
and in English.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases import parsed_definition
from engine.db import HumanTask, ProcessDefinition, ProcessInstance
from engine.processes import deployed_roles
from engine.reference import ReferenceData
from engine.runtime import Runtime
from engine.supervision.kpi import department_of_case, hotline_case, replied_at_column, routed_departments
from engine.supervision.periods import Period

# Data a diagram's script sets when a deadline passed (C2, C4, R2, R3, R6, L2-L4, Q1, S2, O2).
OVERDUE_FLAGS = {
    "dispatch_overdue": ("派单超时", "dispatch late"),
    "onsite_overdue": ("到场超时", "late on site"),
    "on_site_overdue": ("到场超时", "late on site"),
    "reply_overdue": ("答复超时", "reply late"),
    "overdue_chased": ("答复超时已督办", "reply late, chased"),
    "written_report_overdue": ("书面报告超时", "written report late"),
    "submission_overdue": ("提交超时", "submission late"),
    "heat_overdue": ("通热超时", "heating late"),
    "restoration_late": ("恢复供应超时", "restoration late"),
}
# Names of the groups that are not departments, as a reason names who a step waits for.
GROUP_NAMES = {
    "operator": ("热线接线员", "hotline operators"),
    "dispatcher": ("维修调度员", "repair dispatchers"),
    "repair_worker": ("维修人员", "repair workers"),
    "liaison": ("联络员", "liaisons"),
    "supervisor": ("值班主管", "supervisors"),
    "department_head": ("部门负责人", "heads of department"),
}
# How many times a customer was not satisfied and the case went back (C5, L5; R5 counts dispatches).
RETURN_COUNTERS = {"reopen_count": 0, "replan_count": 0, "dispatch_count": 1}


@dataclass
class CaseRow:
    id: int
    case_number: str
    process_key: str
    department: str
    category: str
    opened_at: datetime
    replied_at: datetime | None
    closed_at: datetime | None
    current_step: str | None
    source: str = "hotline"


@dataclass
class Waiting:
    task: str
    groups: str
    assignee: str | None
    since: datetime
    due: datetime | None
    overdue: bool
    task_en: str = ""


@dataclass
class OpenReason:
    waiting: list[Waiting] = field(default_factory=list)
    extension_reason: str = ""
    extended_until: str = ""
    returned: int = 0
    missed: list[str] = field(default_factory=list)  # keys of OVERDUE_FLAGS


def received_case_rows(
    session: Session,
    period: Period,
    zone: ZoneInfo,
    as_of: datetime,
    reference: ReferenceData,
    span: tuple[datetime, datetime] | None = None,
) -> list[CaseRow]:
    """The hotline cases received in the period (or in `span` [start, end) where one is given), oldest
    first, with reply and closing as at `as_of`."""
    start, end = span or period.bounds(zone)
    roles = deployed_roles(session)
    routed = routed_departments(session, reference)
    rows = session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.case_number,
            ProcessInstance.process_key,
            ProcessInstance.department,
            ProcessInstance.category,
            ProcessInstance.opened_at,
            replied_at_column(roles),
            ProcessInstance.closed_at,
            ProcessInstance.current_step,
            ProcessInstance.source,
        )
        .where(
            ProcessInstance.opened_at >= start,
            ProcessInstance.opened_at < end,
            ProcessInstance.opened_at <= as_of,
            hotline_case(roles),
        )
        .order_by(ProcessInstance.opened_at, ProcessInstance.id)
    )
    found = []
    for id_, number, key, department, category, opened, replied, closed, step, source in rows:
        found.append(
            CaseRow(
                id_,
                number,
                key,
                department_of_case(key, department, category, routed, roles),
                category or "",
                opened,
                replied if replied and replied <= as_of else None,
                closed if closed and closed <= as_of else None,
                step,
                source,
            )
        )
    return found


def _english_task_name(session: Session, engine: Runtime | None, definition_id: int, element_id: str) -> str:
    """A user task's English name (its name_en in the case's diagram); '' without one."""
    if engine is None:
        return ""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        return ""
    info = parsed_definition(engine, definition).user_tasks.get(element_id)
    return info.name_en if info is not None else ""


def open_reasons(
    session: Session, case_ids: list[int], as_of: datetime, engine: Runtime | None = None
) -> dict[int, OpenReason]:
    """Why each of these cases is still open: two queries, whatever their number (and, with the engine, one
    per diagram version, for the waiting tasks' English names)."""
    reasons: dict[int, OpenReason] = defaultdict(OpenReason)
    if not case_ids:
        return {}
    tasks = session.execute(
        select(
            HumanTask.instance_id,
            HumanTask.name,
            HumanTask.candidate_groups,
            HumanTask.assignee,
            HumanTask.created_at,
            HumanTask.due_at,
            HumanTask.element_id,
            ProcessInstance.definition_id,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.instance_id.in_(case_ids), HumanTask.status == "open", HumanTask.created_at <= as_of)
        .order_by(HumanTask.instance_id, HumanTask.id)
    )
    for instance_id, name, groups, assignee, created, due, element_id, definition_id in tasks:
        reasons[instance_id].waiting.append(
            Waiting(
                name,
                groups,
                assignee,
                created,
                due,
                due is not None and due < as_of,
                _english_task_name(session, engine, definition_id, element_id),
            )
        )
    for instance_id, data in session.execute(
        select(ProcessInstance.id, ProcessInstance.data).where(ProcessInstance.id.in_(case_ids))
    ):
        reason = reasons[instance_id]
        if data.get("extension_reason") and data.get("extension_approved") is not False:
            reason.extension_reason = str(data["extension_reason"])
            reason.extended_until = (
                str(data.get("extended_until") or "") if data.get("extension_approved") else ""
            )
        for counter, baseline in RETURN_COUNTERS.items():
            value = data.get(counter)
            if isinstance(value, int) and value > baseline:
                reason.returned = max(reason.returned, value - baseline)
        reason.missed = [flag for flag in OVERDUE_FLAGS if data.get(flag)]
    return dict(reasons)


def _moment(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).strftime("%m-%d %H:%M")


def _hours(delta_seconds: float) -> str:
    hours = delta_seconds / 3600
    return f"{hours:.1f}"


# A waiting step in words: where and since when, then who claimed it, its deadline, how late it is.
WAITING_PHRASES = {
    "zh": (
        "等待「{task}」（{groups}），自{since}",
        "，已由{assignee}认领",
        "，时限{due}",
        "，已超时{hours}小时",
    ),
    "en": (
        "waiting at “{task}” ({groups}) since {since}",
        ", claimed by {assignee}",
        ", due {due}",
        ", overdue by {hours} h",
    ),
}


def reason_text(
    reason: OpenReason, as_of: datetime, zone: ZoneInfo, language: str, department_names: dict[str, str]
) -> str:
    """One sentence (Chinese or English) saying why the case is open."""
    zh = language != "en"
    parts = []
    for w in reason.waiting:
        groups = "、".join(
            department_names.get(g) or GROUP_NAMES.get(g, (g, g))[0 if zh else 1]
            for g in w.groups.split(",")
            if g
        )
        start, claimed, due, overdue = WAITING_PHRASES["zh" if zh else "en"]
        text = start.format(
            task=w.task if zh else (w.task_en or w.task), groups=groups, since=_moment(w.since, zone)
        )
        if w.assignee:
            text += claimed.format(assignee=w.assignee)
        if w.due is not None:
            text += due.format(due=_moment(w.due, zone))
            if w.overdue:
                text += overdue.format(hours=_hours((as_of - w.due).total_seconds()))
        parts.append(text)
    if not reason.waiting:
        parts.append("无待办步骤" if zh else "no open step")
    if reason.extension_reason:
        until = reason.extended_until
        if zh:
            parts.append(f"申请延期：{reason.extension_reason}" + (f"（批准至{until}）" if until else ""))
        else:
            parts.append(
                f"extension asked: {reason.extension_reason}" + (f" (granted until {until})" if until else "")
            )
    if reason.returned:
        parts.append(
            f"客户不满意退回{reason.returned}次"
            if zh
            else f"customer not satisfied, sent back {reason.returned}×"
        )
    if reason.missed:
        labels = [OVERDUE_FLAGS[flag][0 if zh else 1] for flag in reason.missed]
        parts.append(("已记录：" if zh else "recorded: ") + ("、" if zh else ", ").join(labels))
    return ("；" if zh else "; ").join(parts)


def process_names(session: Session, engine: Runtime) -> dict[str, tuple[str, str]]:
    """{process key: (Chinese name, English name)} of the latest deployed versions."""
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    definitions = session.scalars(
        select(ProcessDefinition).join(
            newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version)
        )
    )
    names = {}
    for definition in definitions:
        parsed = parsed_definition(engine, definition)
        names[definition.key] = (parsed.name, parsed.name_en or parsed.name)
    return names


def reference_names(reference: ReferenceData) -> dict[str, dict[str, Any]]:
    """Names of departments, categories and case sources as reports keep them (so a later rename leaves a
    report as made)."""
    return {
        "departments": {
            d.code: {"name": d.name, "name_en": d.name_en or d.name} for d in reference.departments
        },
        "categories": {
            c.code: {"name": c.name, "name_en": c.name_en or c.name, "parent": c.parent_code or ""}
            for c in reference.categories
        },
        "sources": {
            s.code: {"name": s.name, "name_en": s.name_en or s.name, "upstream": s.upstream}
            for s in reference.sources
        },
    }


def counts_by_source(
    cases: list[CaseRow], reference: ReferenceData, upstream_only: bool = False
) -> list[dict[str, Any]]:
    """Received, replied and closed cases per case source, in the order of the reference data: every
    active source (M10: with `upstream_only`, every platform or authority), and any other a case names."""
    rows: dict[str, dict[str, Any]] = {
        s.code: _source_zero(s.code)
        for s in reference.sources
        if s.active and (s.upstream or not upstream_only)
    }
    upstream = reference.upstream_sources()
    for c in cases:
        if upstream_only and c.source not in upstream:
            continue
        row = rows.setdefault(c.source, _source_zero(c.source))
        row["received"] += 1
        row["replied"] += c.replied_at is not None
        row["closed"] += c.closed_at is not None
    return list(rows.values())


def _source_zero(code: str) -> dict[str, Any]:
    return {"code": code, "received": 0, "replied": 0, "closed": 0}
