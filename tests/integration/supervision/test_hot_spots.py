"""engine.supervision.hot_spots (热点分析, issue 20 item 10) over THE WEEK of tests/report_fixtures.py, with
two outages, against figures computed by hand.

The register (tests/helpers.CUSTOMERS, 80 m² each): the complaints' caller 13800001111 and D's
13900000001 live in 金明区 3号楼 (three entries: 240 m²), the consultations' caller 13900000004 in
金明区 5号楼 (two entries: 160 m²). Cases of the week: A, B, C (complaints) and D from 3号楼, E and F from
5号楼; P and G fall outside it.

By hand: 3号楼 4 cases, 3 complaints, 3 ÷ (240 ÷ 10,000) = 125.00 per 10,000 m²; 5号楼 2 cases, no
complaint, 0.00; 金明区 6; categories billing 3 (B, E, F), temperature 1, facility 1, leak 1.
Outages: OU-1 of 3号楼 announced Tuesday 24 08:00 and restored 18:00 (in the period, not now); OU-2 of
5号楼 announced Monday 30 06:00 and still going on (now, not in the period).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import Notice
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from engine.supervision import hot_spots
from engine.supervision.periods import week_of
from tests.report_fixtures import SHANGHAI, WEEK_AS_OF, World, at, build_week, make_world

WEEK = week_of(date(2026, 11, 23))


def add_outages(world: World) -> None:
    with world.sessions.begin() as session:
        p, g = world.instance(session, "P"), world.instance(session, "G")
        common = {
            "service": "heating",
            "outage_type": "fault",
            "district": "金明区",
            "unit": "",
            "cause": "管道抢修",
        }
        session.add_all(
            [
                Notice(
                    instance_id=p.id,
                    case_number="OU-1",
                    kind="outage",
                    building="3号楼",
                    starts_at=at(11, 24, 8, 0),
                    estimated_restore_at=at(11, 24, 18, 0),
                    restored_at=None,
                    published_at=at(11, 24, 8, 0),
                    **common,
                ),
                Notice(
                    instance_id=p.id,
                    case_number="OU-1",
                    kind="restoration",
                    building="3号楼",
                    starts_at=at(11, 24, 8, 0),
                    estimated_restore_at=None,
                    restored_at=at(11, 24, 18, 0),
                    published_at=at(11, 24, 18, 0),
                    **common,
                ),
                Notice(
                    instance_id=g.id,
                    case_number="OU-2",
                    kind="outage",
                    building="5号楼",
                    starts_at=at(11, 30, 6, 0),
                    estimated_restore_at=at(11, 30, 18, 0),
                    restored_at=None,
                    published_at=at(11, 30, 6, 0),
                    **common,
                ),
            ]
        )


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    world = build_week(make_world(sessions, runtime, clock, deploy_process))
    add_outages(world)
    return world


def test_buildings_districts_categories_and_outages_of_the_week(world: World) -> None:
    with world.sessions() as session:
        spots = hot_spots(session, WEEK, SHANGHAI, WEEK_AS_OF)
    assert spots.cases == 6
    found = [
        (s.district, s.building, s.cases, s.complaints, s.heated_area, s.outage_now, s.outage_in_period)
        for s in spots.buildings
    ]
    assert found == [
        ("金明区", "3号楼", 4, 3, 240.0, [], ["OU-1"]),
        ("金明区", "5号楼", 2, 0, 160.0, ["OU-2"], []),
    ]
    assert round(spots.buildings[0].complaints_per_area or 0, 2) == 125.0
    assert spots.buildings[1].complaints_per_area == 0.0
    assert dict(spots.districts) == {"金明区": 6}
    assert dict(spots.categories) == {"billing": 3, "temperature": 1, "facility": 1, "leak": 1}
    assert spots.buildings[1].top_categories == [("billing", 2)]
