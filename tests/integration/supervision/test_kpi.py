"""engine.supervision.kpi: the four KPIs (M4) of THE WEEK in tests/report_fixtures.py, compared with the figures
computed by hand there; by department, by category, filtered, and at period edges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.reference.data import load_reference_data
from engine.runtime import Runtime
from engine.supervision.kpi import Counts, Rate, kpi_table, procedure_callback_answers
from engine.supervision.periods import Period, week_of
from tests.report_fixtures import SHANGHAI, WEEK_AS_OF, World, at, build_week, make_world

WEEK = week_of(date(2026, 11, 23))


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return build_week(make_world(sessions, runtime, clock, deploy_process))


def figures(counts: Counts) -> dict[str, tuple[int, int]]:
    return {name: (rate.part, rate.whole) for name, rate in counts.rates.items()}


def test_kpis_by_department_match_the_hand_computed_week_m4(world: World) -> None:
    """M4: satisfaction, response timeliness, resolution and complaint handling per department."""
    with world.sessions() as session:
        table = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, load_reference_data(session))
    assert list(table.rows) == ["operations", "repair", "billing"]  # in the reference data's order
    assert figures(table.rows["operations"]) == {
        "satisfaction": (1, 1),
        "timeliness": (2, 2),
        "resolution": (1, 1),
        "complaint_handling": (1, 1),
    }
    assert figures(table.rows["billing"]) == {
        "satisfaction": (0, 0),
        "timeliness": (0, 1),
        "resolution": (2, 3),
        "complaint_handling": (0, 1),
    }
    assert figures(table.rows["repair"]) == {
        "satisfaction": (1, 3),
        "timeliness": (8, 10),
        "resolution": (1, 2),
        "complaint_handling": (1, 1),
    }
    assert figures(table.total) == {
        "satisfaction": (2, 4),
        "timeliness": (10, 13),
        "resolution": (4, 6),
        "complaint_handling": (2, 3),
    }
    assert (table.total.received, table.total.replied, table.total.closed) == (6, 5, 4)
    assert {n: r.percent for n, r in table.total.rates.items()} == {
        "satisfaction": "50.0%",
        "timeliness": "76.9%",
        "resolution": "66.7%",
        "complaint_handling": "66.7%",
    }
    assert table.rows["billing"].rates["satisfaction"].percent == "—"  # nothing to divide by


def test_kpis_by_category_and_filtered(world: World) -> None:
    """M4 per category; a department filter and a category filter keep only their cases."""
    with world.sessions() as session:
        reference = load_reference_data(session)
        by_category = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference, group_by="category")
        repair_only = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference, department="repair")
        billing_category = kpi_table(
            session, WEEK, SHANGHAI, WEEK_AS_OF, reference, group_by="category", category="billing"
        )
    assert {code: (c.received, c.replied, c.closed) for code, c in by_category.rows.items()} == {
        "temperature": (1, 1, 1),
        "facility": (1, 1, 0),
        "billing": (3, 2, 2),
        "leak": (1, 1, 1),
    }
    assert figures(by_category.rows["facility"])["satisfaction"] == (0, 2)
    assert figures(by_category.rows["leak"])["timeliness"] == (4, 4)
    assert list(repair_only.rows) == ["repair"] and figures(repair_only.total) == figures(
        repair_only.rows["repair"]
    )
    assert list(billing_category.rows) == ["billing"] and billing_category.total.received == 3


def test_figures_are_as_at_their_time(world: World) -> None:
    """The same week seen on Monday 23 at 12:00: only what had happened by then counts."""
    noon = at(11, 23, 12, 0)
    with world.sessions() as session:
        table = kpi_table(session, WEEK, SHANGHAI, noon, load_reference_data(session))
    # received by noon: A, B, C, D (E and F come later); replied A and D (reported at 12:00); closed A
    assert (table.total.received, table.total.replied, table.total.closed) == (4, 2, 1)
    # deadlines judged by noon: A's reply (met 10:00) and callback (done 11:00, due Tue 10:00), C's site
    # order (met), D's dispatch, on site and report (report done 12:00, on time); B's and C's same-day
    # replies and D's callback are not due yet.
    assert figures(table.total)["timeliness"] == (6, 6)
    assert figures(table.total)["satisfaction"] == (1, 1)  # A's "yes" at 11:00; D's callback is at 14:00


def test_period_edges_sunday_night_and_monday_midnight(world: World) -> None:
    """P (Sunday 22, 23:59) belongs to the week before, F (Sunday 29, 23:59) to this week, G (Monday 30,
    00:00) to the next week."""
    with world.sessions() as session:
        reference = load_reference_data(session)
        before = kpi_table(session, week_of(date(2026, 11, 22)), SHANGHAI, WEEK_AS_OF, reference)
        after = kpi_table(session, week_of(date(2026, 11, 30)), SHANGHAI, WEEK_AS_OF, reference)
        sunday = kpi_table(
            session, Period("custom", date(2026, 11, 29), date(2026, 11, 29)), SHANGHAI, WEEK_AS_OF, reference
        )
    assert (before.total.received, before.total.replied) == (1, 0)
    assert figures(before.total)["timeliness"] == (0, 1)  # P's reply was due Sunday 23:59:59 and is late
    assert (after.total.received, after.total.closed) == (1, 1)
    assert (sunday.total.received, sunday.total.closed) == (1, 1)


def test_a_second_unsatisfied_answer_counts_although_nothing_changed(world: World) -> None:
    """C5: C's customer said "no" twice; the second answer changes no data, and still counts as a "no"."""
    start, end = WEEK.bounds(SHANGHAI)
    with world.sessions() as session:
        answers = procedure_callback_answers(session, start, end, WEEK_AS_OF)
    assert sorted((number, answer) for _key, number, answer, _at in answers) == sorted(
        [
            (world.cases["A"], "yes"),
            (world.cases["C"], "no"),
            (world.cases["C"], "no"),
            (world.cases["D"], "yes"),
        ]
    )


def test_rates_with_nothing_to_divide_by() -> None:
    assert Rate(0, 0).value is None and Rate(0, 0).percent == "—"
    assert Rate(2, 3).percent == "66.7%" and Rate(3, 3).percent == "100.0%"
    assert Rate(1, 8).as_dict() == {"part": 1, "whole": 8, "rate": 0.125}


def test_empty_period(sessions: sessionmaker[Session], reference_data: None) -> None:
    with sessions() as session:
        table = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, load_reference_data(session))
    assert table.rows == {} and all(rate.value is None for rate in table.total.rates.values())
