"""engine.supervision.department_assessment: the monthly department assessment (红黑榜, issue 20 item 9)
over THE WEEK of tests/report_fixtures.py, compared with figures computed by hand; the weights an
administrator sets (validated, stored, audited).

THE WEEK as built there, plus: billing's handler claims B's reply step on Monday 23 at 12:00 (and never
completes it), and the scheduler runs only on Sunday 29 at 12:00. Chases (C4) are counted when the
deadline's timer fires: C's second reply step was found past its deadline when C was handled again on
Tuesday 10:00 (repair); on Sunday 12:00 the reply deadlines of P (Sunday 22, 23:59:59: operations), B
(billing) and C's third pass (repair) fire.

Department steps (role department_task: the complaint's 调查处理并答复, the repair's 到达现场 and 现场维修并回单),
by hand:

| department | step | arrived | due | acknowledged | completed | ack on time | closed on time |
|---|---|---|---|---|---|---|---|
| operations | A reply | Mon 09:00 | Mon 23:59:59 | 10:00 (completed) | Mon 10:00 | yes | yes |
| billing | B reply | Mon 09:05 | Mon 23:59:59 | Mon 12:00 (claimed) | – | yes | no |
| repair | C reply 1 | Mon 09:12 | Mon 23:59:59 | Mon 15:00 | Mon 15:00 | yes | yes |
| repair | C reply 2 | Mon 16:00 | Mon 23:59:59 | Tue 10:00 | Tue 10:00 | no | no |
| repair | C reply 3 | Tue 11:00 | Tue 23:59:59 | – | – | no | no |
| repair | D on site | Mon 10:01 | Mon 10:31 | 10:20 | 10:20 | yes | yes |
| repair | D report | Mon 10:20 | Mon 23:59:59 | 12:00 | 12:00 | yes | yes |

- operations: acknowledgement 1/1, closing 1/1, satisfaction 1/1 (A "yes"), redo 0/1 (A replied),
  chases 1 of 1 (P's), send-backs 0 of 1; score (15×100 + 25×100 + 30×100 + 15×100 + 10×0 + 5×100) / 100 = 90.
- billing: acknowledgement 1/1, closing 0/1, satisfaction —, redo 0/2 (consultations E and F reply by
  closing), chases 1 of 1, send-backs 0 of 1; score (15×100 + 25×0 + 15×100 + 10×0 + 5×100) / 70 = 50.
- repair: acknowledgement 3/5, closing 3/5, satisfaction 1/3 (C "no" twice, D "yes"), redo 1/2 (C sent
  back, D not), chases 2 of 5, send-backs 0 of 5; score (15×60 + 25×60 + 30×33.33 + 15×50 + 10×60 + 5×100) / 100
  = 52.5.
- send-backs: the complaint diagram can send a case back (its review step), none was: 0 of each
  department's acknowledged steps.
- ranked: operations 1 (red list), repair 2, billing 3 (black list: one at each end of three).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, HumanTask
from engine.db.models import ProcessDefinition
from engine.errors import FormInvalid
from engine.reference.data import load_reference_data
from engine.runtime import Runtime
from engine.supervision import DEFAULT_WEIGHTS, current_weights, department_assessment, list_size, set_weights
from engine.supervision.department_assessment import DepartmentAssessment
from engine.supervision.periods import week_of
from engine.unit_of_work import UnitOfWork
from engine.work.claims import claim_task
from hotline.scheduling import fire_due_timers
from tests.helpers import department_handler
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
    world = build_week(make_world(sessions, runtime, clock, deploy_process))
    world.when(at(11, 23, 12, 0))
    with sessions.begin() as session:
        b = world.instance(session, "B")
        task = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == b.id, HumanTask.element_id == "department_handling"
            )
        ).one()
        claim_task(session, task.id, department_handler("billing"), clock.now())
    world.when(at(11, 29, 12, 0))
    assert fire_due_timers(runtime, sessions, "w") == 3
    world.when(WEEK_AS_OF)
    return world


def assess(world: World, weights: dict[str, int] | None = None) -> DepartmentAssessment:
    with world.sessions() as session:
        return department_assessment(
            session,
            WEEK,
            SHANGHAI,
            WEEK_AS_OF,
            load_reference_data(session),
            weights or dict(DEFAULT_WEIGHTS),
        )


def test_department_figures_match_the_hand_computed_week(world: World) -> None:
    """Issue 20 item 9: acknowledgement, closing, satisfaction, redo, chases and send-backs per department."""
    assessment = assess(world)
    found = {
        row.department: {name: (f.count, f.rate.whole) for name, f in row.figures.items()}
        for row in assessment.rows
    }
    assert found == {
        "operations": {
            "acknowledgement": (1, 1),
            "closing": (1, 1),
            "satisfaction": (1, 1),
            "redo": (0, 1),
            "chases": (1, 1),
            "send_backs": (0, 1),
        },
        "repair": {
            "acknowledgement": (3, 5),
            "closing": (3, 5),
            "satisfaction": (1, 3),
            "redo": (1, 2),
            "chases": (2, 5),
            "send_backs": (0, 5),
        },
        "billing": {
            "acknowledgement": (1, 1),
            "closing": (0, 1),
            "satisfaction": (0, 0),
            "redo": (0, 2),
            "chases": (1, 1),
            "send_backs": (0, 1),
        },
    }
    scores = {row.department: (row.rank, round(row.score or 0, 2)) for row in assessment.rows}
    assert scores == {"operations": (1, 90.0), "repair": (2, 52.5), "billing": (3, 50.0)}
    assert list_size(assessment.rows) == 1


def test_the_cases_behind_each_figure(world: World) -> None:
    """The drill-down: each figure lists its cases, those in the numerator marked."""
    repair = assess(world).row("repair")
    assert repair is not None
    c, d = world.cases["C"], world.cases["D"]
    assert [(i.case_number, i.counted) for i in repair.figures["acknowledgement"].items] == [
        (c, True),
        (d, True),
        (d, True),
        (c, False),
        (c, False),
    ]
    assert [(i.case_number, i.counted) for i in repair.figures["redo"].items] == [(d, False), (c, True)]
    assert [(i.case_number, i.what) for i in repair.figures["satisfaction"].items] == [
        (d, "yes"),
        (c, "no"),
        (c, "no"),
    ]
    assert [i.case_number for i in repair.figures["chases"].items] == [c, c]
    billing = assess(world).row("billing")
    assert billing is not None and billing.figures["satisfaction"].rate.percent == "—"


def test_weights_change_the_score_and_the_rank(world: World) -> None:
    """All the weight on acknowledgement: billing (1/1) ties with operations, repair (3/5) comes last."""
    weights = {name: 0 for name in DEFAULT_WEIGHTS} | {"acknowledgement": 100}
    scores = {row.department: (row.rank, round(row.score or 0, 2)) for row in assess(world, weights).rows}
    assert scores == {"operations": (1, 100.0), "billing": (1, 100.0), "repair": (3, 60.0)}


def test_weights_are_validated_stored_and_audited(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """Whole numbers 0…100 summing to 100; a refused set keeps nothing; a stored one is in the audit."""
    wanted = {"acknowledgement": "20", "closing": "20", "satisfaction": "20", "redo": "20", "chases": "10"}
    for bad in (
        {**wanted, "send_backs": "5"},
        {**wanted, "send_backs": "x"},
        {**wanted, "send_backs": "-10"},
    ):
        with UnitOfWork(sessions, runtime) as uow, pytest.raises(FormInvalid):
            set_weights(uow, "admin", bad)
    with sessions() as session:
        assert current_weights(session) == DEFAULT_WEIGHTS
    with UnitOfWork(sessions, runtime) as uow:
        set_weights(uow, "admin", {**wanted, "send_backs": "10"})
        uow.commit()
    with sessions() as session:
        assert current_weights(session) == {
            name: int(v) for name, v in {**wanted, "send_backs": "10"}.items()
        }
        audit = session.scalars(select(AdminAudit).where(AdminAudit.subject_kind == "assessment")).one()
        assert audit.actor == "admin" and audit.changes["satisfaction"] == [30, 20]


def _statements(world: World) -> int:
    seen: list[str] = []
    with world.sessions() as session:
        engine = session.connection().engine

        def remember(*_args: object) -> None:
            seen.append("x")

        event.listen(engine, "before_cursor_execute", remember)
        try:
            department_assessment(
                session, WEEK, SHANGHAI, WEEK_AS_OF, load_reference_data(session), dict(DEFAULT_WEIGHTS)
            )
        finally:
            event.remove(engine, "before_cursor_execute", remember)
    return len(seen)


def test_the_number_of_queries_does_not_grow_with_the_cases(world: World) -> None:
    """A fixed number of queries whatever the number of cases, steps and answers of the month."""
    before = _statements(world)
    for letter, hour in (("R1", 13), ("R2", 14), ("R3", 15)):
        world.repair_on_site(letter, at(11, 25, hour, 0))
    world.when(WEEK_AS_OF)
    assert _statements(world) == before


def test_the_chases_are_read_through_the_index_of_fired_timers(world: World) -> None:
    """The history's only index by kind holds the fired timers alone (units of work add no page to it for
    their other events): the chases' query names the kind as written in that index, so both planners
    may use it."""
    sent: list[tuple[str, object]] = []
    with world.sessions() as session:
        connection = session.connection()

        def remember(_conn: object, _cursor: object, statement: str, parameters: object, *_a: object) -> None:
            if "event.at >=" in statement and "ORDER BY event.at" in statement:
                sent.append((statement, parameters))

        event.listen(connection.engine, "before_cursor_execute", remember)
        try:
            department_assessment(
                session, WEEK, SHANGHAI, WEEK_AS_OF, load_reference_data(session), dict(DEFAULT_WEIGHTS)
            )
        finally:
            event.remove(connection.engine, "before_cursor_execute", remember)
        [(statement, parameters)] = sent
        assert "kind = 'timer_fired'" in statement, statement
        if connection.dialect.name == "postgresql":
            # A handful of rows: without this the planner rightly prefers reading the table.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            prefix = "EXPLAIN"
        else:
            prefix = "EXPLAIN QUERY PLAN"
        plan = " ".join(str(row) for row in connection.exec_driver_sql(f"{prefix} {statement}", parameters))
    assert "ix_event_timer_fired_at" in plan, plan
