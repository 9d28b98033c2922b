"""Generated reports (M2 weekly, M3 monthly): made once per period, kept, listed, and — for the monthly
one — completed by a supervisor with the notable cases.

Making a report is idempotent: there is one report per kind and period (a unique constraint), so the
scheduler of every worker process may try at the same time and exactly one report is written; the
others get the one that exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import ProcessInstance, Report
from engine.errors import NotFound
from engine.processes import deployed_roles
from engine.runtime import Runtime
from engine.supervision.kpi import hotline_case
from engine.supervision.periods import Period, month_period_of, parse_period, week_of
from engine.supervision.reports.monthly import build_monthly_report
from engine.supervision.reports.weekly import build_weekly_report

KINDS = {"weekly": "week", "monthly": "month"}
# When the reports fall due, local time: Monday morning for last week (M2); for the month (M3, 003
# art.18 and 22) on the 25th itself, the period's last day, at the hour the settings give
# (MessagingPolicy.monthly_report_at, default MONTHLY_AT): the 12345 platform wants the summary on the 25th.
# So the summary counts the cases received from one cut-off to the next (`summary_span`), not the period's
# whole days: a case received on the 25th after the cut-off is in the next summary. Each report keeps the
# span it counted (content["covered"], `covered_span`), and the next one starts where it ended.
WEEKLY_AT = time(7, 0)
MONTHLY_AT = time(16, 0)
MAX_NOTABLE = 5


def period_for(kind: str, first: str) -> Period:
    if kind not in KINDS:
        raise ValueError(f"unknown report kind '{kind}'")
    return parse_period(KINDS[kind], first)


def latest_due_period(kind: str, now: datetime, zone: ZoneInfo, monthly_at: time = MONTHLY_AT) -> Period:
    """The latest period whose report is due by `now`: last week once Monday 07:00 has passed (the week
    before until then); the period ending on the 25th once the 25th `monthly_at` has passed (the one
    before until then), whatever day of the week the 25th is."""
    local = now.astimezone(zone)
    if kind == "weekly":
        current = week_of(local.date())
        due = datetime.combine(current.first, WEEKLY_AT, zone)
        previous = current.previous()
        return previous if local >= due else previous.previous()
    if kind == "monthly":
        current = month_period_of(local.date())
        due = datetime.combine(current.last, monthly_at, zone)
        return current if local >= due else current.previous()
    raise ValueError(f"unknown report kind '{kind}'")


def covered_span(report: Report, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The span [start, end) of receipt times the report's figures cover, local, as kept with it when it
    was made. A report made before spans were kept covered its period's first day 00:00 to the end of its
    last day, or to when it was made if that was earlier."""
    kept = (report.content or {}).get("covered")
    if kept:
        return (
            datetime.fromisoformat(kept["from"]).astimezone(zone),
            datetime.fromisoformat(kept["to"]).astimezone(zone),
        )
    start, end = period_of_report(report).bounds(zone)
    return start, min(end, report.generated_at.astimezone(zone))


def monthly_cut_off(period: Period, zone: ZoneInfo, monthly_at: time = MONTHLY_AT) -> datetime:
    """Where the month's 12345 summary stops counting: its last day (the 25th) at the hour it falls due."""
    return datetime.combine(period.last, monthly_at, zone)


def summary_span(
    session: Session, kind: str, period: Period, now: datetime, zone: ZoneInfo, monthly_at: time = MONTHLY_AT
) -> tuple[datetime, datetime]:
    """The span [start, end) of receipt times a report made `now` counts, local.

    A week: its whole days (up to `now` if it has not ended). A month (M3, the 12345 summary): from where
    the previous month's summary ended — as kept with it, so a changed hour makes neither a gap nor an
    overlap — or, without one, the previous period's cut-off at today's hour; to this period's cut-off,
    or to `now` if it is made earlier, or to where the following month's summary starts if that one was
    made first. So every case is counted in exactly one monthly summary.
    """
    if kind == "weekly":
        start, end = period.bounds(zone)
        return start, max(start, min(end, now.astimezone(zone)))
    previous = find_report(session, kind, period.previous())
    if previous is not None:
        start = covered_span(previous, zone)[1]
    else:
        start = monthly_cut_off(period.previous(), zone, monthly_at)
    following = find_report(session, kind, month_period_of(period.last + timedelta(days=1)))
    if following is not None:
        end = covered_span(following, zone)[0]
    else:
        end = min(monthly_cut_off(period, zone, monthly_at), now.astimezone(zone))
    return start, max(start, end)


def find_report(session: Session, kind: str, period: Period) -> Report | None:
    return session.scalar(
        select(Report).where(Report.kind == kind, Report.period_start == period.first.isoformat())
    )


def generate_report(
    session: Session, engine: Runtime, kind: str, period: Period, actor: str
) -> tuple[Report, bool]:
    """The report of this kind and period: made now if there is none yet. Returns (report, made now).

    Figures are as at the time it is made (the engine's clock). A concurrent maker that wins the race
    makes this call return the winner's report (the insert runs in a savepoint).
    """
    if KINDS.get(kind) != period.kind:
        raise ValueError(f"a {kind} report covers a {KINDS.get(kind)} period, not a {period.kind}")
    existing = find_report(session, kind, period)
    if existing is not None:
        return existing, False
    now = engine.clock.now()
    span = summary_span(session, kind, period, now, engine.zone, engine.messaging.monthly_report_at)
    if kind == "weekly":
        content = build_weekly_report(session, engine, period, now)
    else:
        content = build_monthly_report(session, engine, period, now, span)
    content["covered"] = {"from": span[0].isoformat(), "to": span[1].isoformat()}
    report = Report(
        kind=kind,
        period_start=period.first.isoformat(),
        period_end=period.last.isoformat(),
        generated_at=now,
        generated_by=actor,
        content=content,
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:
        winner = find_report(session, kind, period)
        if winner is None:
            raise
        return winner, False
    return report, True


def generate_due_reports(session: Session, engine: Runtime, actor: str = "scheduler") -> list[Report]:
    """The scheduler's job: make the weekly and monthly reports that are due and missing."""
    made = []
    for kind in KINDS:
        period = latest_due_period(kind, engine.clock.now(), engine.zone, engine.messaging.monthly_report_at)
        report, created = generate_report(session, engine, kind, period, actor)
        if created:
            made.append(report)
    return made


def list_reports(session: Session, kind: str | None = None, limit: int = 200) -> list[Report]:
    query = select(Report).order_by(Report.period_start.desc(), Report.kind.desc()).limit(limit)
    if kind:
        query = query.where(Report.kind == kind)
    return list(session.scalars(query))


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    return report


@dataclass(frozen=True)
class NotableProblem:
    case_number: str
    reason: str  # unknown, outside_period, too_many


def set_notable_cases(
    session: Session, report: Report, chosen: list[tuple[str, str]], actor: str, now: datetime, zone: ZoneInfo
) -> list[NotableProblem]:
    """M3: keep the supervisor's notable cases (case number, note) with a monthly report.

    Each must be a hotline case received in the span the report counts (`covered_span`); at most MAX_NOTABLE. What the case
    was about is copied in as it stands now, so the report reads the same later. Returns the problems
    (nothing is saved when there is one).
    """
    if report.kind != "monthly":
        raise ValueError("notable cases belong to a monthly report (M3)")
    chosen = [(number.strip(), note.strip()) for number, note in chosen if number.strip()]
    problems = []
    if len(chosen) > MAX_NOTABLE:
        problems.append(NotableProblem(chosen[MAX_NOTABLE][0], "too_many"))
    numbers = [number for number, _note in chosen]
    cases = {
        c.case_number: c
        for c in session.scalars(
            select(ProcessInstance).where(
                ProcessInstance.case_number.in_(numbers),
                hotline_case(deployed_roles(session)),
            )
        )
    }
    start, end = covered_span(report, zone)
    for number in numbers:
        case = cases.get(number)
        if case is None:
            problems.append(NotableProblem(number, "unknown"))
        elif not start <= case.opened_at.astimezone(zone) < end:
            problems.append(NotableProblem(number, "outside_period"))
    if problems:
        return problems
    entries = [
        {"case_number": number, "note": note[:2000], **case_summary(cases[number], zone)}
        for number, note in chosen
    ]
    report.notable_cases = {"cases": entries}
    report.notable_by, report.notable_at = actor, now
    return []


SUMMARY_TEXT_FIELDS = ("description", "question", "feedback", "complaints", "cause")
RESULT_TEXT_FIELDS = ("result", "work_done", "on_site_result", "answer", "plan_summary", "heat_note")


def case_summary(case: ProcessInstance, zone: ZoneInfo) -> dict[str, Any]:
    """What a case was about and how it ended, from its data, for a report's notable cases."""
    data = case.data or {}
    return {
        "process": case.process_key,
        "category": case.category or "",
        "department": case.department or "",
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "status": case.status,
        "summary": _first(data, SUMMARY_TEXT_FIELDS),
        "result": _first(data, RESULT_TEXT_FIELDS),
        "root_cause": str(data.get("root_cause") or ""),
        "improvement": str(data.get("improvement") or ""),
    }


def _first(data: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        if data.get(name):
            return str(data[name])[:1000]
    return ""


def period_of_report(report: Report) -> Period:
    return period_for(report.kind, report.period_start)


def next_due(kind: str, now: datetime, zone: ZoneInfo, monthly_at: time = MONTHLY_AT) -> datetime:
    """When the next report of this kind falls due (for the pages: "next weekly report: Monday 07:00",
    "next monthly report: the 25th 16:00")."""
    local = now.astimezone(zone)
    if kind == "weekly":
        monday = week_of(local.date()).first
        due = datetime.combine(monday, WEEKLY_AT, zone)
        return due if local < due else due + timedelta(days=7)
    current = month_period_of(local.date())
    due = datetime.combine(current.last, monthly_at, zone)
    if local < due:
        return due
    following = month_period_of(current.last + timedelta(days=1))
    return datetime.combine(following.last, monthly_at, zone)
