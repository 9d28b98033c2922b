"""The quarterly customer satisfaction survey (M9, 000 §6: "customer satisfaction is surveyed
quarterly"), on the weekly callback sample's machinery (engine.supervision.sampling).

- **Quarter**: January–March, April–June, July–September, October–December, local days; labelled
  "2026-Q4". Its survey falls due on the first day of the next quarter at 07:00.
- **Population**: the hotline cases (not sampled callbacks) closed in the quarter that have a customer
  phone to call, by case number.
- **Size and draw**: as the weekly sample — ⌈5 % × population⌉, at least 1; ranked by SHA-256 of
  "seed:case number"; recorded (key: the quarter's label) so anyone can check it (`verify_draw`).
- **Survey**: each chosen case opens a sampled callback (`callback.bpmn`) labelled with the quarter; its
  answers count wherever sampled callbacks count — the satisfaction rate (M4), the departments'
  satisfaction and redo rate, the liaisons' satisfaction of their customers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import ProcessInstance
from engine.processes import deployed_roles
from engine.runtime import Runtime
from engine.supervision.kpi import hotline_case
from engine.supervision.periods import Period
from engine.supervision.sampling import SAMPLE_AT, SampleResult, record_draw

SURVEY_RATE = Decimal("0.05")


def quarter_of(day: date) -> tuple[Period, str]:
    """The quarter holding `day`, and its label ('2026-Q4')."""
    index = (day.month - 1) // 3
    first = date(day.year, index * 3 + 1, 1)
    following = date(day.year + 1, 1, 1) if index == 3 else date(day.year, index * 3 + 4, 1)
    return Period("custom", first, following - timedelta(days=1)), f"{day.year}-Q{index + 1}"


def latest_due_quarter(now: datetime, zone: ZoneInfo) -> tuple[Period, str]:
    """The quarter before the current one once its first day's 07:00 has passed; the one before that
    until then."""
    local = now.astimezone(zone)
    current, _label = quarter_of(local.date())
    previous = current.first - timedelta(days=1)
    if local < datetime.combine(current.first, SAMPLE_AT, zone):
        previous = quarter_of(previous)[0].first - timedelta(days=1)
    return quarter_of(previous)


def survey_population(session: Session, quarter: Period, zone: ZoneInfo) -> list[str]:
    """Case numbers, sorted, of the hotline cases closed in the quarter that have a customer phone."""
    start, end = quarter.bounds(zone)
    roles = deployed_roles(session)
    return sorted(
        session.scalars(
            select(ProcessInstance.case_number).where(
                hotline_case(roles),
                ProcessInstance.closed_at >= start,
                ProcessInstance.closed_at < end,
                ProcessInstance.customer_phone.is_not(None),
                ProcessInstance.customer_phone != "",
            )
        )
    )


def draw_quarterly_survey(
    session: Session, engine: Runtime, day: date, actor: str = "scheduler", seed: str | None = None
) -> SampleResult:
    """The survey of the quarter holding `day`: drawn and its callbacks opened, or the recorded one."""
    quarter, label = quarter_of(day)
    return record_draw(
        session,
        engine,
        label,
        quarter.last.isoformat(),
        label,
        lambda: survey_population(session, quarter, engine.zone),
        SURVEY_RATE,
        actor,
        seed,
    )
