"""engine.supervision.on_the_spot: the on-the-spot rate (直办率, Q1) beside the KPIs (M4), for THE WEEK
with the consultations of tests/report_fixtures.add_consultations_of_the_week, against the figures
computed by hand there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Category, ProcessDefinition
from engine.decisions import deploy_decision
from engine.reference.data import load_reference_data
from engine.runtime import Runtime
from engine.supervision import kpi_table, on_the_spot_table
from engine.supervision.periods import week_of
from engine.supervision.reports.cases import received_case_rows
from tests.integration.processes.test_decisions import rerouted
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


def test_a_case_without_a_department_counts_for_where_the_routing_table_sends_its_category_m4(
    world: World, clock: SettableClock
) -> None:
    """The consultations name no department: the KPI table, the on-the-spot table and the report's case
    rows count them for their category's route by the routing table, as cases are routed, not by the
    category's own department column (left behind when the table took over routing)."""

    def owners() -> tuple[list[str], list[str], set[str]]:
        with world.sessions() as session:
            reference = load_reference_data(session)
            spot = on_the_spot_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference)
            kpi = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, reference, "department", category="billing")
            rows = received_case_rows(session, WEEK, SHANGHAI, WEEK_AS_OF, reference)
        consultations = {r.department for r in rows if r.process_key == "consultation"}
        return list(spot.rows), list(kpi.rows), consultations

    with world.sessions.begin() as session:
        billing = session.get(Category, "billing")
        assert billing is not None and billing.department_code == "billing"
        billing.department_code = "technical"  # the old column: routes nothing any more
    assert owners() == (["billing"], ["billing"], {"billing"})
    with world.sessions.begin() as session:
        deploy_decision(session, clock, rerouted("billing", "operations", 60), "routing.dmn", "admin")
    spot, kpi, consultations = owners()
    assert spot == ["operations"] and "operations" in kpi and consultations == {"operations"}
