"""engine.supervision.liaison_assessment: the monthly liaison assessment (M9, 000 §6) over THE LIAISONS'
WEEK of tests/report_fixtures.py, compared with the figures computed by hand there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from engine.supervision.liaison_assessment import liaison_assessment
from engine.supervision.periods import week_of
from tests.report_fixtures import SHANGHAI, WEEK_AS_OF, World, at, build_liaison_week, make_world

WEEK = week_of(date(2026, 11, 23))


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    deploy_process("liaison")
    return build_liaison_week(make_world(sessions, runtime, clock, deploy_process))


def test_liaison_figures_match_the_hand_computed_week_m9(world: World) -> None:
    """M9: forms submitted, on-time feedback, resolution and their customers' satisfaction per liaison."""
    with world.sessions() as session:
        assessment = liaison_assessment(session, WEEK, SHANGHAI, WEEK_AS_OF)
    found = {
        row.liaison: {name: (f.count, f.rate.whole) for name, f in row.figures.items()}
        for row in assessment.rows
    }
    assert found == {
        "liaison1": {"forms": (2, 2), "feedback": (1, 2), "resolution": (1, 2), "satisfaction": (1, 1)},
        "liaison2": {"forms": (1, 1), "feedback": (0, 1), "resolution": (0, 1), "satisfaction": (0, 0)},
    }
    one = assessment.row("liaison1")
    assert one is not None
    assert [(i.case_number, i.counted) for i in one.figures["feedback"].items] == [
        (world.cases["L1"], True),
        (world.cases["L2"], False),
    ]
    assert assessment.row("liaison2").figures["satisfaction"].rate.percent == "—"  # type: ignore[union-attr]


def test_liaison_figures_are_as_at_their_time_m9(world: World) -> None:
    """Seen on Monday 23 at 12:30: L2's hand-over is not due yet, so only L1's report is judged."""
    with world.sessions() as session:
        assessment = liaison_assessment(session, WEEK, SHANGHAI, at(11, 23, 12, 30))
    row = assessment.row("liaison1")
    assert row is not None and row.figures["feedback"].rate.as_dict()["whole"] == 1
    assert [r.liaison for r in assessment.rows] == ["liaison1"]
