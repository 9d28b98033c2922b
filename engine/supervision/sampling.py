"""Weekly callback sampling (M1, 003 art.14): call back at least 5 % of the orders that sent someone on site.

- **Population** of a week (Monday 00:00 to Monday 00:00, local time): the hotline cases finished
  (closed) during that week in which someone went on site: a task with the role `site_visit` was
  completed — a repair worker confirmed arriving (repair `arrive_on_site`, R3), a complaint's site order
  was issued (complaint `dispatch_site_order`, C2), a liaison case was solved on site (liaison
  `solve_on_site`, L4) — each case once, by case number. An order still open is not drawn: the
  customer is asked about a result, not about work still going on.
- **Size**: ⌈5 % × population⌉, and at least 1 when the population is not empty (0 of 0).
- **Draw**: a fresh random seed (128 bits) is recorded with the sorted population. Every case number
  is ranked by SHA-256 of "seed:case number" (hex, ascending) and the first `size` are chosen. Anyone
  can check a draw from the recorded seed and population, in any language (`verify_draw`).
- **Callbacks**: each chosen case opens a case of the procedure with the process role
  `sampled_callback` (`callback.bpmn`, 回访抽样) for the operators, linked
  to the original case (its number, customer and a summary); its answers feed the satisfaction rate
  (engine.supervision.kpi).

One draw per week: the `callback_sample` table's unique week keeps several scheduler processes from
drawing twice, and a second call returns the recorded draw.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import SAMPLED_CALLBACK, SITE_VISIT
from engine.cases import start_case
from engine.db import CallbackSample, HumanTask, ProcessInstance
from engine.people import CONFIDENTIAL_FIELD, is_confidential
from engine.processes import DeployedRoles, deployed_roles, of_elements
from engine.reference import load_reference_data
from engine.runtime import SYSTEM, Runtime
from engine.supervision.kpi import department_of_case, routed_departments
from engine.supervision.periods import Period, week_of

SAMPLE_RATE = Decimal("0.05")
METHOD = "sha256-rank-v1"
# Who calls the sampled customers back: the callback task's group comes from the case data.
CALLBACK_GROUP = "operator"
# When the week's draw falls due: Monday morning, with the weekly report (M1, M2).
SAMPLE_AT = time(7, 0)
SUMMARY_FIELDS = ("description", "feedback", "question")
RESULT_FIELDS = ("work_done", "result", "on_site_result", "site_order_note")


def sample_size(population: int, rate: Decimal = SAMPLE_RATE) -> int:
    """⌈rate × population⌉, at least 1 of a non-empty population (M1: "not below 5 %")."""
    if population <= 0:
        return 0
    return max(1, math.ceil(Decimal(population) * rate))


def rank(seed: str, case_number: str) -> str:
    return hashlib.sha256(f"{seed}:{case_number}".encode()).hexdigest()


def draw(population: list[str], seed: str, size: int) -> list[str]:
    """The `size` case numbers of lowest rank for this seed, lowest first."""
    return sorted(population, key=lambda number: (rank(seed, number), number))[:size]


def verify_draw(sample: CallbackSample) -> bool:
    """Does the recorded seed give the recorded choice from the recorded population?"""
    population = list(sample.population["cases"])
    return (
        sample.population_size == len(population)
        and sample.sample_size == sample_size(len(population), Decimal(sample.rate))
        and draw(population, sample.seed, sample.sample_size) == list(sample.chosen["cases"])
    )


def on_site_population(session: Session, week: Period, zone: ZoneInfo) -> list[str]:
    """Case numbers, sorted, of the cases finished in the week in which someone went on site."""
    start, end = week.bounds(zone)
    site_visits = deployed_roles(session).element_ids(SITE_VISIT)
    if not site_visits:
        return []
    site = of_elements(site_visits, HumanTask.element_id)
    numbers = session.scalars(
        select(ProcessInstance.case_number)
        .distinct()
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(
            HumanTask.element_id.in_(sorted(set().union(*site_visits.values()))),
            HumanTask.status == "completed",
            ProcessInstance.closed_at >= start,
            ProcessInstance.closed_at < end,
            site,
        )
    )
    return sorted(numbers)


def find_sample(session: Session, week: Period) -> CallbackSample | None:
    return session.scalar(select(CallbackSample).where(CallbackSample.week_start == week.first.isoformat()))


@dataclass(frozen=True)
class SampleResult:
    sample: CallbackSample
    created: bool
    callbacks: dict[str, str]  # original case number -> callback case number


def draw_weekly_sample(
    session: Session, engine: Runtime, week: Period, actor: str = "scheduler", seed: str | None = None
) -> SampleResult:
    """Draw the week's sample and open a callback case for every chosen order; or return the recorded
    draw when there is one. `seed` is for tests and re-checks; otherwise a fresh random one."""
    if week.kind != "week":
        raise ValueError("callbacks are sampled per week (M1)")
    return record_draw(
        session,
        engine,
        week.first.isoformat(),
        week.last.isoformat(),
        week.label,
        lambda: on_site_population(session, week, engine.zone),
        SAMPLE_RATE,
        actor,
        seed,
    )


def record_draw(
    session: Session,
    engine: Runtime,
    key: str,
    last_day: str,
    label: str,
    population_of: Callable[[], list[str]],
    rate: Decimal,
    actor: str,
    seed: str | None = None,
) -> SampleResult:
    """One recorded draw under `key` (the week's Monday, or a quarter's label): the population, a seed,
    the chosen cases and a sampled callback case for each; the recorded draw if there is one already."""
    existing = session.scalar(select(CallbackSample).where(CallbackSample.week_start == key))
    if existing is not None:
        return SampleResult(existing, False, dict(existing.chosen.get("callbacks", {})))
    population = population_of()
    seed = seed or secrets.token_hex(16)
    size = sample_size(len(population), rate)
    chosen = draw(population, seed, size)
    now = engine.clock.now()
    sample = CallbackSample(
        week_start=key,
        week_end=last_day,
        method=METHOD,
        seed=seed,
        rate=str(rate),
        population_size=len(population),
        sample_size=size,
        population={"cases": population},
        chosen={"cases": chosen},
        drawn_at=now,
        drawn_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(sample)
    except IntegrityError:
        winner = session.scalar(select(CallbackSample).where(CallbackSample.week_start == key))
        if winner is None:
            raise
        return SampleResult(winner, False, dict(winner.chosen.get("callbacks", {})))
    callbacks = _open_callbacks(session, engine, chosen, label) if chosen else {}
    sample.chosen = {"cases": chosen, "callbacks": callbacks}
    session.flush()
    return SampleResult(sample, True, callbacks)


def _open_callbacks(session: Session, engine: Runtime, chosen: list[str], label: str) -> dict[str, str]:
    roles = deployed_roles(session)
    sample_process = roles.latest_key_with(SAMPLED_CALLBACK)
    if sample_process is None:
        return {}
    routed = routed_departments(session, load_reference_data(session))
    originals = {
        c.case_number: c
        for c in session.scalars(select(ProcessInstance).where(ProcessInstance.case_number.in_(chosen)))
    }
    callbacks = {}
    for number in chosen:
        original = originals[number]
        callback = start_case(
            session,
            engine,
            sample_process,
            SYSTEM,
            initial_data=callback_data(original, label, routed, roles),
        )
        callbacks[number] = callback.case_number
    return callbacks


def callback_data(
    original: ProcessInstance, label: str, routed: Mapping[str, str], roles: DeployedRoles
) -> dict[str, Any]:
    """What a sampled callback case starts with: the link to the original and whom to call; the callback of
    a confidential complaint is confidential too (C7: its customer stays `***` for the callers)."""
    data = original.data or {}
    summary = next((str(data[f]) for f in SUMMARY_FIELDS if data.get(f)), "")
    result = next((str(data[f]) for f in RESULT_FIELDS if data.get(f)), "")
    text = summary + (f"\n→ {result}" if result else "")
    return {
        "callback_group": CALLBACK_GROUP,
        "sample_week": label,
        "original_case": original.case_number,
        "original_process": original.process_key,
        "original_summary": text[:1000],
        "customer_name": data.get("customer_name"),
        "customer_phone": data.get("customer_phone"),
        "address": data.get("address"),
        "category": original.category,
        "department": department_of_case(
            original.process_key, original.department, original.category, routed, roles
        ),
        **({CONFIDENTIAL_FIELD: True} if is_confidential(data) else {}),
    }


def latest_due_week(now: datetime, zone: ZoneInfo) -> Period:
    """Last week once Monday 07:00 has passed; the week before until then."""
    local = now.astimezone(zone)
    current = week_of(local.date())
    previous = current.previous()
    return previous if local >= datetime.combine(current.first, SAMPLE_AT, zone) else previous.previous()


QUARTER_MARK = "-Q"  # a quarterly survey's key ('2026-Q4'); a week's is its Monday's ISO date


def list_samples(session: Session, limit: int = 100, weekly_only: bool = True) -> list[CallbackSample]:
    """The recorded draws, latest first: the weekly samples (M1), or with the quarterly surveys (M9)."""
    query = select(CallbackSample).order_by(CallbackSample.week_start.desc()).limit(limit)
    if weekly_only:
        query = query.where(CallbackSample.week_start.not_like(f"%{QUARTER_MARK}%"))
    return list(session.scalars(query))
