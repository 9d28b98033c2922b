"""engine.supervision.reports.store.summary_span: the monthly 12345 summary (M3, 003 art.18 and 22) is made
on the 25th at HOTLINE_MONTHLY_REPORT_AT and counts the cases received from the previous summary's cut-off
to its own, so every case is in exactly one monthly summary: on the edges of the cut-off, across a month
and a year end, when the hour is changed between two months, when a summary is made late or out of turn,
and after a summary made before the spans were kept."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance, Report
from engine.runtime import Runtime
from engine.supervision.periods import month_period_of
from engine.supervision.reports.mailing import covered_text
from engine.supervision.reports.store import (
    covered_span,
    generate_due_reports,
    generate_report,
    set_notable_cases,
)
from tests.report_fixtures import SHANGHAI, World, at, make_world


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return make_world(sessions, runtime, clock, deploy_process)


def made_at(world: World, moment: datetime) -> list[str]:
    """The scheduler's run at `moment`: the monthly summaries it made (their first day)."""
    world.when(moment)
    with world.sessions.begin() as session:
        return [r.period_start for r in generate_due_reports(session, world.runtime) if r.kind == "monthly"]


def summaries(world: World) -> dict[str, tuple[datetime, datetime, int]]:
    """Each monthly summary by its label: the span it counts and the cases it received."""
    with world.sessions() as session:
        found = {}
        for report in session.scalars(select(Report).where(Report.kind == "monthly")):
            start, end = covered_span(report, SHANGHAI)
            found[report.content["period"]["label"]] = (start, end, report.content["total"]["received"])
        return found


def in_exactly_one_summary(world: World) -> None:
    """Every case received is in one monthly summary's span, and the summaries' counts add up."""
    spans = summaries(world)
    with world.sessions() as session:
        opened = list(session.scalars(select(ProcessInstance.opened_at)))
    for moment in opened:
        assert sum(start <= moment < end for start, end, _n in spans.values()) == 1, moment
    assert sum(n for _s, _e, n in spans.values()) == len(opened)


def test_a_case_after_the_cut_off_on_the_25th_is_in_the_next_summary_across_the_year_end_m3(
    world: World,
) -> None:
    """16:00 by default: a case at 16:30 on the 25th is in the next month's summary, one at 15:59 in this
    one's; the summaries chain from one cut-off to the next across the month and the year end."""
    assert made_at(world, at(11, 25, 16, 0)) == ["2026-10-26"]
    world.consultation("A", at(11, 25, 16, 30))  # after November's cut-off
    world.consultation("B", at(12, 25, 15, 59))
    assert made_at(world, at(12, 25, 16, 0)) == ["2026-11-26"]
    world.consultation("C", at(12, 25, 16, 0))  # on December's cut-off: the next one
    world.consultation("D", at(12, 25, 16, 30))
    world.consultation("E", at(12, 31, 23, 59))
    world.consultation("F", at(1, 1, 0, 0, year=2027))
    assert made_at(world, at(1, 25, 16, 0, year=2027)) == ["2026-12-26"]
    world.consultation("G", at(1, 25, 16, 30, year=2027))
    assert made_at(world, at(2, 25, 16, 0, year=2027)) == ["2027-01-26"]
    assert made_at(world, at(2, 26, 7, 0, year=2027)) == []  # once per period

    spans = summaries(world)
    assert spans["2026-12"] == (at(11, 25, 16, 0), at(12, 25, 16, 0), 2)  # A, B
    assert spans["2027-01"] == (at(12, 25, 16, 0), at(1, 25, 16, 0, year=2027), 4)  # C, D, E, F
    assert spans["2027-02"] == (at(1, 25, 16, 0, year=2027), at(2, 25, 16, 0, year=2027), 1)  # G
    assert spans["2026-11"] == (at(10, 25, 16, 0), at(11, 25, 16, 0), 0)  # the first: from the cut-off before
    in_exactly_one_summary(world)

    with world.sessions.begin() as session:
        december = session.scalar(select(Report).where(Report.period_start == "2026-11-26"))
        assert december is not None
        assert covered_text(december, SHANGHAI) == "2026-11-25 16:00 – 2026-12-25 16:00"
        problems = set_notable_cases(
            session,
            december,
            [(world.cases["D"], ""), (world.cases["A"], "")],
            "sup1",
            world.clock.now(),
            SHANGHAI,
        )
        assert [(p.case_number, p.reason) for p in problems] == [(world.cases["D"], "outside_period")]


def test_a_changed_hour_starts_the_next_summary_where_the_last_one_ended_m3(world: World) -> None:
    """December's summary is made at 16:00; the hour is then set to 09:00: January's runs from 25 December
    16:00 (as kept with December's, not 09:00) to 25 January 09:00; set to 18:00 after that, February's
    runs from 25 January 09:00 to 25 February 18:00. No gap, no overlap, and each says its span."""
    world.consultation("A", at(12, 25, 15, 0))
    assert made_at(world, at(12, 25, 16, 0)) == ["2026-11-26"]
    world.runtime.messaging = dataclasses.replace(world.runtime.messaging, monthly_report_at=time(9, 0))
    world.consultation("B", at(12, 25, 16, 30))  # after the old hour
    world.consultation("C", at(1, 25, 8, 59, year=2027))
    assert made_at(world, at(1, 25, 8, 59, 59, year=2027)) == []  # not due before the new hour
    assert made_at(world, at(1, 25, 9, 0, year=2027)) == ["2026-12-26"]
    world.consultation("D", at(1, 25, 9, 30, year=2027))  # after the new cut-off
    world.runtime.messaging = dataclasses.replace(world.runtime.messaging, monthly_report_at=time(18, 0))
    world.consultation("E", at(2, 25, 17, 0, year=2027))
    assert made_at(world, at(2, 25, 17, 59, year=2027)) == []
    assert made_at(world, at(2, 25, 18, 0, year=2027)) == ["2027-01-26"]

    spans = summaries(world)
    assert spans["2027-01"] == (at(12, 25, 16, 0), at(1, 25, 9, 0, year=2027), 2)  # B, C
    assert spans["2027-02"] == (at(1, 25, 9, 0, year=2027), at(2, 25, 18, 0, year=2027), 2)  # D, E
    in_exactly_one_summary(world)


def test_a_late_summary_stops_at_its_cut_off_and_one_made_out_of_turn_joins_the_next_m3(world: World) -> None:
    """The scheduler was down on the 25th: January's summary, made on the 26th at 08:00, still stops at
    25 January 16:00 (without a December summary it starts at December's cut-off at today's hour). The
    December summary made afterwards by hand (at another hour) ends where January's starts."""
    world.consultation("A", at(12, 25, 17, 0))
    world.consultation("B", at(1, 25, 20, 0, year=2027))  # after the cut-off, before the late summary
    assert made_at(world, at(1, 26, 8, 0, year=2027)) == ["2026-12-26"]
    world.runtime.messaging = dataclasses.replace(world.runtime.messaging, monthly_report_at=time(9, 0))
    with world.sessions.begin() as session:
        december, created = generate_report(
            session, world.runtime, "monthly", month_period_of(date(2026, 12, 1)), "sup1"
        )
        assert created
    spans = summaries(world)
    assert spans["2027-01"] == (at(12, 25, 16, 0), at(1, 25, 16, 0, year=2027), 1)  # A; B is February's
    assert spans["2026-12"] == (at(11, 25, 9, 0), at(12, 25, 16, 0), 0)
    assert made_at(world, at(2, 25, 9, 0, year=2027)) == ["2027-01-26"]
    assert summaries(world)["2027-02"] == (at(1, 25, 16, 0, year=2027), at(2, 25, 9, 0, year=2027), 1)
    in_exactly_one_summary(world)


@pytest.mark.parametrize(
    ("made", "ended"),
    [(at(12, 26, 7, 0), at(12, 26, 0, 0)), (at(12, 25, 16, 0), at(12, 25, 16, 0))],
    ids=["on-the-26th", "on-the-25th"],
)
def test_a_summary_made_before_the_spans_were_kept_is_followed_without_a_gap_m3(
    world: World, made: datetime, ended: datetime
) -> None:
    """A summary made by an earlier rule kept no span: it covered its whole days, or up to when it was
    made on the 25th; the next one starts where it ended (the 26th 00:00, or the 25th 16:00)."""
    world.consultation("A", at(12, 25, 15, 0))
    assert made_at(world, made) == ["2026-11-26"]
    world.consultation("B", at(12, 26, 8, 0))
    with world.sessions.begin() as session:
        december = session.scalar(select(Report).where(Report.period_start == "2026-11-26"))
        assert december is not None
        december.content = {k: v for k, v in december.content.items() if k != "covered"}
    with world.sessions() as session:
        december = session.scalar(select(Report).where(Report.period_start == "2026-11-26"))
        assert december is not None
        assert covered_span(december, SHANGHAI) == (at(11, 26, 0, 0), ended)
    assert made_at(world, at(1, 25, 16, 0, year=2027)) == ["2026-12-26"]
    assert summaries(world)["2027-01"] == (ended, at(1, 25, 16, 0, year=2027), 1)  # B


@pytest.mark.real_commits
def test_two_workers_making_the_summary_at_the_cut_off_write_one_with_one_span_m3(world: World) -> None:
    """Two scheduler processes at 25 December 16:00: one summary is written, from November's cut-off to
    December's; the other worker gets it and makes nothing (the unique constraint, as for every report)."""
    assert made_at(world, at(11, 25, 16, 0)) == ["2026-10-26"]
    world.consultation("A", at(12, 1, 9, 0))
    world.when(at(12, 25, 16, 0))
    first = world.sessions()
    first.begin()
    mine = [r for r in generate_due_reports(first, world.runtime, "worker-1") if r.kind == "monthly"]
    assert [r.period_start for r in mine] == ["2026-11-26"]
    results: list[list[str]] = []

    def other_worker() -> None:
        with world.sessions.begin() as session:
            results.append([r.period_start for r in generate_due_reports(session, world.runtime, "worker-2")])

    thread = threading.Thread(target=other_worker)
    thread.start()
    thread.join(timeout=0.5)  # it waits for the first transaction (a lock or the unique index)
    first.commit()
    first.close()
    thread.join(timeout=20)
    assert results == [[]]
    with world.sessions() as session:
        assert session.scalar(select(func.count(Report.id)).where(Report.period_start == "2026-11-26")) == 1
    assert summaries(world)["2026-12"] == (at(11, 25, 16, 0), at(12, 25, 16, 0), 1)
