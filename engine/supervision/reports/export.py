"""A report as tables, and those tables as CSV (UTF-8 with a byte-order mark, so spreadsheet programs
read the Chinese) or XLSX (openpyxl, one sheet per table, rates as percentages).

Times are the hotline's local time: "2026-11-18 10:00" in the CSV, real date-times with a number format
in the XLSX (so a spreadsheet sorts and filters them).

The tables are the ones the report page shows: for a weekly report (M2) the departments and the open
cases with their reasons; for a monthly report (M3) the procedures, the categories with their
sub-categories, complaints per department and the notable cases.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

TIME_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_TIME_FORMAT = "yyyy-mm-dd hh:mm"
RATES = ("satisfaction", "timeliness", "resolution", "complaint_handling")

LABELS = {
    "zh": {
        "summary": "概况",
        "departments": "各部门受理情况",
        "open_cases": "未答复或未办结工单",
        "processes": "各流程受理量",
        "categories": "分类统计",
        "complaints_by_department": "各部门投诉情况",
        "notable": "案例分析",
        "period": "统计期间",
        "as_of": "统计截至",
        "working_days": "工作日天数",
        "kind_weekly": "热线周报",
        "kind_monthly": "热线月报",
        "department": "部门",
        "process": "流程",
        "category": "类别",
        "received": "受理",
        "replied": "已答复",
        "closed": "已办结",
        "not_replied": "未答复",
        "not_closed": "未办结",
        "complaints": "投诉",
        "satisfaction": "用户满意度",
        "timeliness": "响应及时率",
        "resolution": "问题解决率",
        "complaint_handling": "投诉处理率",
        "case_number": "工单号",
        "opened_at": "受理时间",
        "overdue": "已超时",
        "reason": "原因说明",
        "yes": "是",
        "no": "否",
        "total": "合计",
        "unspecified": "(未细分)",
        "no_category": "(无类别)",
        "note": "主管说明",
        "summary_text": "内容",
        "result": "处理结果",
        "root_cause": "原因分析",
        "improvement": "改进措施",
        "status": "状态",
        "running": "处理中",
        "completed": "已办结",
        "generated_at": "生成时间",
    },
    "en": {
        "summary": "Summary",
        "departments": "Departments",
        "open_cases": "Not replied or not closed",
        "processes": "Procedures",
        "categories": "Categories",
        "complaints_by_department": "Complaints by department",
        "notable": "Notable cases",
        "period": "Period",
        "as_of": "Figures as at",
        "working_days": "Working days",
        "kind_weekly": "Weekly hotline report",
        "kind_monthly": "Monthly hotline report",
        "department": "Department",
        "process": "Procedure",
        "category": "Category",
        "received": "Received",
        "replied": "Replied",
        "closed": "Closed",
        "not_replied": "Not replied",
        "not_closed": "Not closed",
        "complaints": "Complaints",
        "satisfaction": "Satisfaction rate",
        "timeliness": "Response timeliness rate",
        "resolution": "Resolution rate",
        "complaint_handling": "Complaint handling rate",
        "case_number": "Case",
        "opened_at": "Received at",
        "overdue": "Overdue",
        "reason": "Reason",
        "yes": "yes",
        "no": "no",
        "total": "Total",
        "unspecified": "(not specified)",
        "no_category": "(no category)",
        "note": "Supervisor's note",
        "summary_text": "What it was about",
        "result": "Result",
        "root_cause": "Root cause",
        "improvement": "Improvement",
        "status": "Status",
        "running": "open",
        "completed": "closed",
        "generated_at": "Generated at",
    },
}


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    rate_columns: set[int] = field(default_factory=set)


def _name(names: dict[str, Any], group: str, code: str, language: str) -> str:
    entry = names.get(group, {}).get(code)
    if entry is None:
        return code
    return entry["name_en"] if language == "en" else entry["name"]


def _rate(rates: dict[str, Any] | None, name: str) -> float | None:
    if not rates:
        return None
    return rates[name]["rate"]


def local(value: str | datetime, zone: ZoneInfo) -> datetime:
    """A stored time (ISO text or datetime, with its offset) in the hotline's zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone)


def report_tables(
    kind: str,
    content: dict[str, Any],
    notable: dict[str, Any] | None,
    language: str = "zh",
    generated_at: datetime | None = None,
    *,
    zone: ZoneInfo,
) -> list[Table]:
    """The report's tables, with headers in `language` (zh or en) and times in `zone`."""
    t = LABELS["en" if language == "en" else "zh"]
    names = content.get("names", {})
    period = content["period"]
    summary = Table("summary", t["summary"], [t["kind_" + kind], ""])
    summary.rows = [
        [t["period"], f"{period['first']} – {period['last']} ({period['label']})"],
        [t["working_days"], period["working_days"]],
        [t["as_of"], local(content["as_of"], zone)],
    ]
    if generated_at is not None:
        summary.rows.append([t["generated_at"], local(generated_at, zone)])
    tables = [summary]
    rate_headers = [t[r] for r in RATES]
    if kind == "weekly":
        departments = Table(
            "departments",
            t["departments"],
            [
                t["department"],
                t["received"],
                t["replied"],
                t["closed"],
                t["not_replied"],
                t["not_closed"],
                *rate_headers,
            ],
            rate_columns={6, 7, 8, 9},
        )
        for row in content["departments"]:
            departments.rows.append(
                [
                    _name(names, "departments", row["code"], language),
                    row["received"],
                    row["replied"],
                    row["closed"],
                    row["not_replied"],
                    row["not_closed"],
                    *(_rate(row.get("rates"), r) for r in RATES),
                ]
            )
        total = content["total"]
        departments.rows.append(
            [
                t["total"],
                total["received"],
                total["replied"],
                total["closed"],
                total["not_replied"],
                total["not_closed"],
                *(_rate(total.get("rates"), r) for r in RATES),
            ]
        )
        open_cases = Table(
            "open_cases",
            t["open_cases"],
            [
                t["case_number"],
                t["process"],
                t["department"],
                t["category"],
                t["opened_at"],
                t["replied"],
                t["overdue"],
                t["reason"],
            ],
        )
        for row in content["open_cases"]:
            open_cases.rows.append(
                [
                    row["case_number"],
                    row["process_name_en"] if language == "en" else row["process_name"],
                    _name(names, "departments", row["department"], language),
                    _name(names, "categories", row["category"], language) if row["category"] else "",
                    local(row["opened_at"], zone),
                    t["yes"] if row["replied"] else t["no"],
                    t["yes"] if row["overdue"] else t["no"],
                    row["reason_en"] if language == "en" else row["reason"],
                ]
            )
        return [*tables, departments, open_cases]

    processes = Table("processes", t["processes"], [t["process"], t["received"], t["replied"], t["closed"]])
    for row in content["processes"]:
        processes.rows.append(
            [
                row["name_en"] if language == "en" else row["name"],
                row["received"],
                row["replied"],
                row["closed"],
            ]
        )
    total = content["total"]
    processes.rows.append([t["total"], total["received"], total["replied"], total["closed"]])
    categories = Table(
        "categories",
        t["categories"],
        [t["category"], t["received"], t["replied"], t["closed"], t["complaints"], *rate_headers],
        rate_columns={5, 6, 7, 8},
    )

    def category_row(label: str, row: dict[str, Any]) -> list[Any]:
        return [
            label,
            row["received"],
            row["replied"],
            row["closed"],
            row["complaints"],
            *(_rate(row["rates"], r) for r in RATES),
        ]

    for row in content["categories"]:
        categories.rows.append(category_row(_name(names, "categories", row["code"], language), row))
        for child in row["children"]:
            label = (
                t["unspecified"]
                if child.get("unspecified")
                else _name(names, "categories", child["code"], language)
            )
            categories.rows.append(category_row("  " + label, child))
    if content["no_category"]["received"]:
        categories.rows.append(category_row(t["no_category"], content["no_category"]))
    categories.rows.append(category_row(t["total"], total))
    complaints = Table(
        "complaints_by_department",
        t["complaints_by_department"],
        [t["department"], t["complaints"], t["replied"], t["closed"]],
    )
    for row in content["complaints_by_department"]:
        complaints.rows.append(
            [
                _name(names, "departments", row["code"], language),
                row["received"],
                row["replied"],
                row["closed"],
            ]
        )
    notable_table = Table(
        "notable",
        t["notable"],
        [
            t["case_number"],
            t["category"],
            t["department"],
            t["status"],
            t["summary_text"],
            t["result"],
            t["root_cause"],
            t["improvement"],
            t["note"],
        ],
    )
    for case in (notable or {}).get("cases", []):
        notable_table.rows.append(
            [
                case["case_number"],
                _name(names, "categories", case["category"], language) if case["category"] else "",
                _name(names, "departments", case["department"], language) if case["department"] else "",
                t.get(case["status"], case["status"]),
                case["summary"],
                case["result"],
                case["root_cause"],
                case["improvement"],
                case["note"],
            ]
        )
    return [*tables, processes, categories, complaints, notable_table]


# What a spreadsheet reads as the start of a formula. Reports carry text customers and staff typed
# (a description, a note), which must stay text: "=HYPERLINK(...)" would become a live link.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(table: Table, index: int, value: Any) -> Any:
    if index in table.rate_columns:
        return "—" if value is None else f"{value * 100:.1f}%"
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def to_csv(tables: list[Table]) -> bytes:
    """The tables one after the other: a title line, the header, the rows, a blank line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for table in tables:
        writer.writerow([f"# {table.title}"])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([_csv_value(table, i, v) for i, v in enumerate(row)])
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def _xlsx_value(value: Any) -> Any:
    """Excel keeps no time zone: a local time is written as it reads on the clock."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _shown(value: Any) -> str:
    return value.strftime(TIME_FORMAT) if isinstance(value, datetime) else str(value)


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: header in bold, rates as percentages (a missing rate is an empty cell)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx_value(value) for value in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, never a formula (see FORMULA_STARTS)
                elif isinstance(cell.value, datetime):
                    cell.number_format = EXCEL_TIME_FORMAT
            for index in table.rate_columns:
                cell = sheet.cell(row=sheet.max_row, column=index + 1)
                if isinstance(cell.value, float | int):
                    cell.number_format = "0.0%"
        for column, header in enumerate(table.headers, start=1):
            width = max(
                [len(str(header))] + [len(_shown(r[column - 1])) for r in table.rows if column - 1 < len(r)]
            )
            sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = min(
                60, max(10, width + 2)
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
