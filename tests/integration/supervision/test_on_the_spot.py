"""engine.supervision.on_the_spot: the on-the-spot rate (直办率, Q1) beside the KPIs (M4), for THE WEEK
with the consultations of tests/report_fixtures.add_consultations_of_the_week, against the figures
computed by hand there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.reference.data import load_reference_data
from engine.runtime import Runtime
from engine.supervision import on_the_spot_table
from engine.supervision.periods import week_of
from tests.report_fixtures import (
    SHANGHAI,
    WEEK_AS_OF,
    World,
    add_consultations_of_the_week,
    at,
    build_week,
    make_world,
)

WEEK = week_of(date(2026, 11, 23))


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return add_consultations_of_the_week(build_week(make_world(sessions, runtime, clock, deploy_process)))


def test_on_the_spot_rate_and_knowledge_base_share_q1_m4(world: World) -> None:
    with world.sessions() as session:
        reference = load_reference_data(session)
        by_department = on_the_spot_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference)
        by_category = on_the_spot_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference, "category")
        other = on_the_spot_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference, department="repair")
    total = by_department.total
    assert (total.received, total.on_the_spot, total.from_entry) == (4, 3, 1)
    assert (total.rate.percent, total.entry_rate.percent) == ("75.0%", "25.0%")
    assert list(by_department.rows) == ["billing"] and list(by_category.rows) == ["billing"]
    assert other.total.received == 0 and other.total.rate.percent == "—"


def test_on_the_spot_rate_as_at_its_time_q1_m4(world: World) -> None:
    """On Wednesday 25 at 10:30 only E and H had come in, both answered on the spot."""
    with world.sessions() as session:
        table = on_the_spot_table(session, WEEK, SHANGHAI, at(11, 25, 10, 30), load_reference_data(session))
    assert (table.total.received, table.total.on_the_spot, table.total.from_entry) == (2, 2, 1)
