"""hotline customers import / export (issue 17 item 5): the administrator imports the billing system's
register, gets the rejected rows in a file, imports again without change, exports masked or not."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from hotline.cli import main
from tests.cli.conftest import Demo

REGISTER = (
    "户号,姓名,电话,小区,楼号,单元,房号,供暖面积,表号,服务\n"
    "B2001,陈静,13700001234,金明小区,7号楼,1单元,101,66,W-1,供暖\n"
    "B2002,林海,,金明小区,7号楼,1单元,102,66,W-2,供暖\n"
    "B2003,何平,13700005678,金明小区,7号楼,1单元,103,,W-3,供水\n"
)


def test_import_reports_rejected_rows_in_a_file_and_a_second_run_changes_nothing(
    demo: Demo, tmp_path: Path
) -> None:
    source = tmp_path / "billing.csv"
    source.write_text(REGISTER, encoding="utf-8")
    first = CliRunner().invoke(main, ["customers", "import", str(source), "--by", "admin"])
    assert first.exit_code == 0, first.output
    assert "2 added, 0 updated, 0 unchanged, 1 rejected" in first.output
    rejected = list(
        csv.reader((tmp_path / "billing.csv.rejected.csv").read_text(encoding="utf-8-sig").splitlines())
    )
    assert rejected == [
        ["line", "reason", "account", "name", "phone", "district", "building", "unit", "room"]
        + ["heated_area", "meter_no", "service"],
        ["3", "phone missing", "B2002", "林海", "", "金明小区", "7号楼", "1单元", "102", "66", "W-2", "供暖"],
    ]

    second = CliRunner().invoke(
        main, ["customers", "import", str(source), "--rejected", str(tmp_path / "r2.csv")]
    )
    assert "0 added, 0 updated, 2 unchanged, 1 rejected" in second.output

    masked = CliRunner().invoke(main, ["customers", "export", str(tmp_path / "masked.csv"), "--masked"])
    assert masked.exit_code == 0, masked.output
    text = (tmp_path / "masked.csv").read_text(encoding="utf-8-sig")
    assert "137****1234" in text and "13700001234" not in text and "陈静" not in text
    full = CliRunner().invoke(main, ["customers", "export", str(tmp_path / "full.csv")])
    assert full.exit_code == 0
    rows = {
        row[0]: row
        for row in csv.reader((tmp_path / "full.csv").read_text(encoding="utf-8-sig").splitlines())
    }
    assert rows["B2003"][1:3] == ["何平", "13700005678"] and rows["B2003"][-1] == "water"
    as_xlsx = CliRunner().invoke(main, ["customers", "export", str(tmp_path / "full.xlsx"), "--by", "admin"])
    assert as_xlsx.exit_code == 0, as_xlsx.output
    sheet = load_workbook(tmp_path / "full.xlsx", read_only=True).worksheets[0]
    assert ["B2003", "何平", "13700005678"] in [list(r)[:3] for r in sheet.iter_rows(values_only=True)]


def test_a_file_of_another_kind_is_refused_and_nothing_imported(demo: Demo, tmp_path: Path) -> None:
    source = tmp_path / "billing.ods"
    source.write_text(REGISTER, encoding="utf-8")
    refused = CliRunner().invoke(main, ["customers", "import", str(source)])
    assert refused.exit_code == 1 and "nothing was imported" in refused.output
