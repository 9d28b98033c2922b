"""engine.supervision.satisfaction_survey: the quarterly customer satisfaction survey (M9, 000 §6) on the
weekly sample's machinery, over THE WEEK of tests/report_fixtures.py.

By hand: the hotline cases closed in 2026-Q4 (October to December) with a phone, as at 1 January 2027
07:00, when the survey falls due: A, D (closed on 23 November), E, F and G (consultations) — 5; the
survey takes ⌈5 % × 5⌉ = 1. Its answer counts for the original case's department in the month
2027-01 (26 December to 25 January)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task
from engine.clock import SettableClock
from engine.db import HumanTask, ProcessInstance
from engine.db.models import ProcessDefinition
from engine.reference.data import load_reference_data
from engine.runtime import Runtime
from engine.supervision import DEFAULT_WEIGHTS, department_assessment
from engine.supervision.duties import check_recorded_samples, run_due_duties
from engine.supervision.periods import month_period_ending_in
from engine.supervision.sampling import draw, list_samples, verify_draw
from engine.supervision.satisfaction_survey import (
    draw_quarterly_survey,
    latest_due_quarter,
    quarter_of,
    survey_population,
)
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR
from tests.report_fixtures import SHANGHAI, World, at, build_week, make_world

SEED = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return build_week(make_world(sessions, runtime, clock, deploy_process))


def test_quarters_and_when_their_survey_falls_due_m9() -> None:
    quarter, label = quarter_of(date(2026, 11, 23))
    assert (quarter.first, quarter.last, label) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    assert quarter_of(date(2027, 3, 31))[1] == "2027-Q1"
    assert latest_due_quarter(at(1, 1, 7, 0, year=2027), SHANGHAI)[1] == "2026-Q4"
    assert latest_due_quarter(at(1, 1, 6, 59, year=2027), SHANGHAI)[1] == "2026-Q3"


def test_the_quarterly_survey_is_drawn_recorded_and_feeds_the_department_figures_m9(world: World) -> None:
    quarter, _label = quarter_of(date(2026, 12, 1))
    with world.sessions() as session:
        population = survey_population(session, quarter, SHANGHAI)
    assert population == sorted(world.cases[letter] for letter in "ADEFG")
    world.when(at(1, 1, 7, 0, year=2027))
    with world.sessions.begin() as session:
        result = draw_quarterly_survey(session, world.runtime, quarter.first, "tester", seed=SEED)
    sample = result.sample
    assert result.created and (sample.week_start, sample.week_end, sample.rate) == (
        "2026-Q4",
        "2026-12-31",
        "0.05",
    )
    assert (sample.population_size, sample.sample_size) == (5, 1)
    assert sample.chosen["cases"] == draw(population, SEED, 1) and verify_draw(sample)
    (original,) = sample.chosen["cases"]
    with world.sessions.begin() as session:
        callback = session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_number == result.callbacks[original])
        ).one()
        assert callback.data["sample_week"] == "2026-Q4" and callback.data["original_case"] == original
        department = callback.department
        task = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == callback.id, HumanTask.element_id == "sample_callback"
            )
        ).one()
        complete_task(
            session,
            world.runtime,
            task.id,
            OPERATOR,
            {"reached": "on", "satisfied": "yes", "callback_comment": "满意"},
        )
    with world.sessions.begin() as session:
        again = draw_quarterly_survey(session, world.runtime, quarter.first, "tester")
    assert not again.created and again.sample.id == sample.id
    with world.sessions() as session:
        assessment = department_assessment(
            session,
            month_period_ending_in(2027, 1),
            SHANGHAI,
            at(1, 2, 7, 0, year=2027),
            load_reference_data(session),
            dict(DEFAULT_WEIGHTS),
        )
    row = assessment.row(department or "")
    assert row is not None
    assert [(i.case_number, i.what) for i in row.figures["satisfaction"].items] == [(original, "yes")]


def test_the_scheduler_draws_the_survey_once_it_is_due_m9(world: World) -> None:
    world.when(at(1, 1, 7, 0, year=2027))
    made = run_due_duties(lambda: UnitOfWork(world.sessions, world.runtime), "scheduler")
    assert "satisfaction survey 2026-Q4: 1 of 5" in made
    with UnitOfWork(world.sessions, world.runtime) as uow:
        checks = {check.sample.week_start: check.ok for check in check_recorded_samples(uow)}
        weekly = [sample.week_start for sample in list_samples(uow.session)]
    assert checks["2026-Q4"] is True
    assert "2026-Q4" not in weekly  # the reports page lists the weekly samples (M1)
    assert not any(
        "satisfaction survey" in line
        for line in run_due_duties(lambda: UnitOfWork(world.sessions, world.runtime), "scheduler")
    )
