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
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

from engine.messages import NC_, Translate, say

TIME_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_TIME_FORMAT = "yyyy-mm-dd hh:mm"
RATES = ("satisfaction", "timeliness", "resolution", "complaint_handling")

# Table titles and headers in English, kept apart in the catalogs under the context "report" (the
# caller says them in the report's language through the catalogs: webforms, hotline).
LABELS: dict[str, str] = {
    "summary": NC_("report", "Summary"),
    "departments": NC_("report", "Departments"),
    "open_cases": NC_("report", "Not replied or not closed"),
    "processes": NC_("report", "Procedures"),
    "categories": NC_("report", "Categories"),
    "complaints_by_department": NC_("report", "Complaints by department"),
    "higher_authorities": NC_("report", "Cases from higher authorities"),
    "sources": NC_("report", "Cases by source"),
    "source": NC_("report", "Source"),
    "notable": NC_("report", "Notable cases"),
    "period": NC_("report", "Period"),
    "as_of": NC_("report", "Figures as at"),
    "covered": NC_("report", "Counts the cases received"),
    "working_days": NC_("report", "Working days"),
    "kind_weekly": NC_("report", "Weekly hotline report"),
    "kind_monthly": NC_("report", "Monthly hotline report"),
    "department": NC_("report", "Department"),
    "process": NC_("report", "Procedure"),
    "category": NC_("report", "Category"),
    "received": NC_("report", "Received"),
    "replied": NC_("report", "Replied"),
    "closed": NC_("report", "Closed"),
    "not_replied": NC_("report", "Not replied"),
    "not_closed": NC_("report", "Not closed"),
    "complaints": NC_("report", "Complaints"),
    "satisfaction": NC_("report", "Satisfaction rate"),
    "timeliness": NC_("report", "Response timeliness rate"),
    "resolution": NC_("report", "Resolution rate"),
    "complaint_handling": NC_("report", "Complaint handling rate"),
    "case_number": NC_("report", "Case"),
    "opened_at": NC_("report", "Received at"),
    "overdue": NC_("report", "Overdue"),
    "reason": NC_("report", "Reason"),
    "yes": NC_("report", "yes"),
    "no": NC_("report", "no"),
    "total": NC_("report", "Total"),
    "unspecified": NC_("report", "(not specified)"),
    "no_category": NC_("report", "(no category)"),
    "note": NC_("report", "Supervisor's note"),
    "summary_text": NC_("report", "What it was about"),
    "result": NC_("report", "Result"),
    "root_cause": NC_("report", "Root cause"),
    "improvement": NC_("report", "Improvement"),
    "status": NC_("report", "Status"),
    "running": NC_("report", "open"),
    "completed": NC_("report", "closed"),
    "generated_at": NC_("report", "Generated at"),
    "sampled_callbacks": NC_("report", "Sampled callbacks"),
    "callback_case": NC_("report", "Callback"),
    "original_case": NC_("report", "Original case"),
    "outcome": NC_("report", "Outcome"),
    "answered_at": NC_("report", "Answered at"),
    "outcome_satisfied": NC_("report", "satisfied"),
    "outcome_not_satisfied": NC_("report", "not satisfied: sent back to the department"),
    "outcome_not_reached": NC_("report", "customer not reached"),
    "outcome_open": NC_("report", "open: waiting for the call"),
    "outcome_with_department": NC_("report", "open: sent back to the department"),
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
    return str(entry["name_en"] if language == "en" else entry["name"])


def _rate(rates: dict[str, Any] | None, name: str) -> float | None:
    if not rates:
        return None
    rate = rates[name]["rate"]
    return None if rate is None else float(rate)


def local(value: str | datetime, zone: ZoneInfo) -> datetime:
    """A stored time (ISO text or datetime, with its offset) in the hotline's zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone)


def _sampled_table(
    content: dict[str, Any], names: dict[str, Any], language: str, t: dict[str, str], zone: ZoneInfo
) -> Table:
    """The week's sampled callbacks (M1): each answer with its outcome, then those still open. A report
    made before sampled callbacks were reported has none."""
    sampled = content.get("sampled_callbacks") or {"answers": [], "open": []}
    table = Table(
        "sampled_callbacks",
        t["sampled_callbacks"],
        [t["callback_case"], t["original_case"], t["department"], t["outcome"], t["answered_at"]],
    )
    for row in sampled["answers"]:
        table.rows.append(
            [
                row["case_number"],
                row["original_case"],
                _name(names, "departments", row["department"], language) if row["department"] else "",
                t["outcome_" + row["outcome"]],
                local(row["at"], zone),
            ]
        )
    for row in sampled["open"]:
        table.rows.append(
            [
                row["case_number"],
                row["original_case"],
                _name(names, "departments", row["department"], language) if row["department"] else "",
                t["outcome_with_department"] if row["sent_back"] else t["outcome_open"],
                "",
            ]
        )
    return table


def report_tables(
    kind: str,
    content: dict[str, Any],
    notable: dict[str, Any] | None,
    language: str = "zh",
    generated_at: datetime | None = None,
    *,
    zone: ZoneInfo,
    translate: Translate,
) -> list[Table]:
    """The report's tables, with titles and headers said through `translate` (a catalog lookup), the
    names of departments, procedures and categories in `language` (zh or en), and times in `zone`."""
    t = {key: say(template, {}, translate) for key, template in LABELS.items()}
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
    if "covered" in content:  # the span kept with the report (store.covered_span): cut-off to cut-off
        start, end = (local(content["covered"][edge], zone) for edge in ("from", "to"))
        summary.rows.append([t["covered"], f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"])
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
        return [
            *tables,
            departments,
            *_source_tables(content, "sources", names, language, t),
            open_cases,
            _sampled_table(content, names, language, t, zone),
        ]

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
    return [
        *tables,
        processes,
        categories,
        complaints,
        *_source_tables(content, "higher_authorities", names, language, t),
        notable_table,
    ]


def _source_tables(
    content: dict[str, Any], key: str, names: dict[str, Any], language: str, t: dict[str, str]
) -> list[Table]:
    """Cases by source (weekly) or from each higher authority (monthly, M10), with their total; none for
    a report made before cases had a source."""
    if key not in content:
        return []
    table = Table(key, t[key], [t["source"], t["received"], t["replied"], t["closed"]])
    total = [0, 0, 0]
    for row in content[key]:
        figures = [row["received"], row["replied"], row["closed"]]
        table.rows.append([_name(names, "sources", row["code"], language), *figures])
        total = [a + b for a, b in zip(total, figures, strict=True)]
    table.rows.append([t["total"], *total])
    return [table]


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


# Characters XML 1.0 (and so an XLSX sheet) cannot hold; older case data may contain them (Word pastes
# a vertical tab for a line break). A vertical tab or form feed becomes a line break, any other the
# replacement character, so the export always writes and shows where something was.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_IN_XML.sub(lambda found: "\n" if found.group() in "\x0b\x0c" else "\ufffd", text)


def _xlsx_value(value: Any) -> Any:
    """Excel keeps no time zone: a local time is written as it reads on the clock; text loses the
    characters XML cannot hold."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        return _xml_text(value)
    return value


def _shown(value: Any) -> str:
    return value.strftime(TIME_FORMAT) if isinstance(value, datetime) else str(value)


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: header in bold, rates as percentages (a missing rate is an empty cell)."""
    workbook = Workbook()
    for default_sheet in workbook.worksheets:  # a new workbook starts with one empty sheet
        workbook.remove(default_sheet)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append([_xlsx_value(header) for header in table.headers])
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
