"""`hotline report` and `hotline sample` (M1-M3) on the demo database: a report is made once and
written as CSV and XLSX; a week is drawn once; --verify re-draws every recorded sample from its seed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from engine.db.models import CallbackSample, Report
from hotline.cli import main


def test_report_command_makes_a_report_once_and_writes_csv_and_xlsx_m2_m3(
    demo_database: str, tmp_path: Path
) -> None:
    db = create_engine(demo_database)
    with Session(db) as session:
        weekly = session.scalars(select(Report).where(Report.kind == "weekly")).one()
    csv_path, xlsx_path = tmp_path / "week.csv", tmp_path / "week.xlsx"
    shown = CliRunner().invoke(
        main,
        ["report", "weekly", "--for", weekly.period_end, "--csv", str(csv_path), "--xlsx", str(xlsx_path)],
    )
    assert shown.exit_code == 0, shown.output
    total = weekly.content["total"]
    assert f"#{weekly.id}, already made at" in shown.output
    assert (
        f"received {total['received']}, replied {total['replied']}, closed {total['closed']}" in shown.output
    )
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert ["合计", str(total["received"]), str(total["replied"]), str(total["closed"])] == rows[
        rows.index(["# 各部门受理情况"]) + 7
    ][:4]
    sheet = load_workbook(xlsx_path)["各部门受理情况"]
    assert [c.value for c in list(sheet.iter_rows())[-1]][:4] == [
        "合计",
        total["received"],
        total["replied"],
        total["closed"],
    ]

    made = CliRunner().invoke(main, ["report", "monthly", "--for", "2026-01-10"])
    assert made.exit_code == 0, made.output
    assert "monthly report 2025-12-26…2026-01-25 (2026-01)" in made.output and "made now" in made.output
    # no summary of December 2025: from its cut-off, the 25th at 16:00 (the default hour), to January's
    assert "counts the cases received 2025-12-25 16:00 – 2026-01-25 16:00" in made.output
    again = CliRunner().invoke(main, ["report", "monthly", "--for", "2026-01-25"])
    assert "already made at" in again.output
    db.dispose()


def test_sample_command_draws_once_and_verifies_m1(demo_database: str) -> None:
    drawn = CliRunner().invoke(main, ["sample", "--week", "2026-01-07"])
    assert drawn.exit_code == 0, drawn.output
    assert "callback sample 2026-01-05…2026-01-11 (drawn now): 0 of 0 on-site orders" in drawn.output
    again = CliRunner().invoke(main, ["sample", "--week", "2026-01-11"])
    assert "(already drawn)" in again.output
    verified = CliRunner().invoke(main, ["sample", "--verify"])
    # the demo's draw, this one, and the demo's quarterly satisfaction survey (M9)
    assert verified.exit_code == 0 and verified.output.count(": ok") == 3, verified.output

    db = create_engine(demo_database)
    with Session(db) as session, session.begin():
        session.execute(
            update(CallbackSample)
            .where(CallbackSample.population_size > 0)
            .values(chosen={"cases": ["BX-19990101-0001"]})
        )  # not what the seed draws
    failed = CliRunner().invoke(main, ["sample", "--verify"])
    assert failed.exit_code == 1 and "FAILED" in failed.output
    db.dispose()
