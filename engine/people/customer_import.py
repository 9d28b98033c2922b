"""Importing the customer register (M5) from the billing system's CSV or XLSX export: every row checked,
rejected rows reported with their line and reason, the rest upserted by account number. Importing the
same file twice changes nothing the second time. Each import is an administrative audit event.

Columns are found by their header, English or Chinese (account/户号, name/姓名, phone/电话,
other_phones/其他电话, district/小区, building/楼号, unit/单元, room/房号, address/地址,
heated_area/供暖面积, meter_no/表号, service/服务); other columns are ignored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import Customer
from engine.errors import HotlineError
from engine.people.masking import masked_as
from engine.reference import record_admin_change

HEADERS = {
    "account": ("account", "account_no", "户号", "账号"),
    "name": ("name", "姓名", "户名"),
    "phone": ("phone", "电话", "手机"),
    "other_phones": ("other_phones", "phone2", "其他电话"),
    "district": ("district", "小区"),
    "building": ("building", "楼号", "楼栋"),
    "unit": ("unit", "单元"),
    "room": ("room", "房号", "室"),
    "address": ("address", "地址"),
    "heated_area": ("heated_area", "供暖面积", "面积"),
    "meter_no": ("meter_no", "meter", "表号"),
    "service": ("service", "服务", "业务"),
    "no_sms": ("no_sms", "不发短信", "拒收短信"),
    "language": ("language", "消息语言", "语言"),
}
# Optional columns: a file without them leaves each customer's choice as it is.
_NO_SMS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "是": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "否": False,
}
_LANGUAGES = {"zh_cn": "zh_CN", "zh": "zh_CN", "中文": "zh_CN", "en": "en", "english": "en", "英文": "en"}
CHOICES = ("no_sms", "language")
SERVICES = {"heating": "heating", "供暖": "heating", "供热": "heating", "water": "water", "供水": "water"}
LIMITS = {
    "name": 100,
    "district": 100,
    "building": 100,
    "unit": 50,
    "room": 50,
    "address": 300,
    "meter_no": 50,
}
_ACCOUNT = re.compile(r"[A-Za-z0-9-]{1,30}")
_PHONE = re.compile(r"\+?[0-9]{5,20}")
_CHUNK = 1000
# What an import compares and writes: the register's columns the file can give.
COLUMNS = (
    "name",
    "phone",
    "other_phones",
    "district",
    "building",
    "unit",
    "room",
    "address",
    "heated_area",
    "meter_no",
    "service",
)


class ImportRefused(HotlineError):
    """The file as a whole cannot be read (no header with an account column, not CSV or XLSX)."""

    code = "import_refused"


@dataclass(frozen=True)
class Rejected:
    line: int
    account: str
    reason: str


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    # account → {no_sms / language: [before, after]}: audited one by one (how a customer is told).
    choices_changed: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def as_counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for each row after the header, of a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows: Iterable[list[Any]] = (
                [("" if c is None else c) for c in r] for r in sheet.iter_rows(values_only=True)
            )
            yield from _named(rows)
        finally:
            book.close()
    elif suffix in (".csv", ".txt"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from _named(csv.reader(handle))
    else:
        raise ImportRefused(f"{path.name}: only .csv and .xlsx files can be imported")


def _named(rows: Iterable[list[Any]]) -> Iterator[tuple[int, dict[str, str]]]:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise ImportRefused("the file is empty")
    names = [str(h).strip().lower() for h in header]
    where = {
        key: names.index(alias) for key, aliases in HEADERS.items() for alias in aliases if alias in names
    }
    if "account" not in where:
        raise ImportRefused("the header has no account column (account / 户号)")
    for number, row in enumerate(iterator, start=2):
        if not any(str(cell).strip() for cell in row):
            continue
        yield number, {key: _text(row[i]) if i < len(row) else "" for key, i in where.items()}


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a spreadsheet's number column: 12.0 is the account "12"
    return str(cell).strip()


def checked_row(row: Mapping[str, str]) -> tuple[str, dict[str, Any]] | str:
    """(account, the register's values) or the reason the row is rejected."""
    account = row.get("account", "")
    if not _ACCOUNT.fullmatch(account):
        return "account missing or not letters, digits and dashes (at most 30)"
    name = row.get("name", "")
    if not name:
        return "name missing"
    phones = [re.sub(r"[\s()-]", "", p) for p in re.split(r"[,;/、，]", row.get("phone", "")) if p.strip()]
    phones += [
        re.sub(r"[\s()-]", "", p) for p in re.split(r"[,;/、，]", row.get("other_phones", "")) if p.strip()
    ]
    if not phones:
        return "phone missing"
    if any(not _PHONE.fullmatch(p) for p in phones):
        return "phone not a number"
    service = SERVICES.get(row.get("service", "").strip().lower())
    if service is None:
        return "service must be heating or water (供暖 / 供水)"
    area: float | None = None
    if row.get("heated_area"):
        try:
            area = float(row["heated_area"])
        except ValueError:
            return "heated area not a number"
        if not 0 <= area <= 100000:
            return "heated area out of range"
    values: dict[str, Any] = {
        "name": name,
        "phone": phones[0],
        "other_phones": ",".join(phones[1:]),
        "heated_area": area,
        "service": service,
    }
    for key in LIMITS:
        values.setdefault(key, row.get(key, ""))
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            return f"{key} longer than {limit} characters"
    if len(values["other_phones"]) > 100:
        return "too many phone numbers"
    if row.get("no_sms"):
        no_sms = _NO_SMS.get(row["no_sms"].strip().lower())
        if no_sms is None:
            return "no_sms must be yes or no (是 / 否)"
        values["no_sms"] = no_sms
    if row.get("language"):
        language = _LANGUAGES.get(row["language"].strip().lower())
        if language is None:
            return "language must be zh_CN or en (中文 / 英文)"
        values["language"] = language
    return account, values


def import_customers(
    session: Session, clock: Clock, actor: str, rows: Iterable[tuple[int, Mapping[str, str]]], source: str
) -> ImportResult:
    """Upsert the valid rows by account; the caller's unit of work commits (or, on an error, nothing)."""
    result = ImportResult()
    seen: set[str] = set()
    batch: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        checked = checked_row(row)
        if isinstance(checked, str):
            result.rejected.append(Rejected(line, row.get("account", "")[:30], checked))
            continue
        account, values = checked
        if account in seen:
            result.rejected.append(Rejected(line, account, "account already given on an earlier line"))
            continue
        seen.add(account)
        batch[account] = values
        if len(batch) >= _CHUNK:
            _upsert(session, batch, result)
            batch = {}
    _upsert(session, batch, result)
    record_admin_change(
        session, clock, actor, "import", "customer_register", source[:100], result.as_counts()
    )
    for account, changes in result.choices_changed.items():
        if changes:
            record_admin_change(
                session, clock, actor, "customer_messages_changed", "customer", account, changes
            )
    return result


def _upsert(session: Session, batch: dict[str, dict[str, Any]], result: ImportResult) -> None:
    if not batch:
        return
    existing = {
        row.account_no: row
        for row in session.execute(
            select(
                Customer.id, Customer.account_no, *(getattr(Customer, c) for c in (*COLUMNS, *CHOICES))
            ).where(Customer.account_no.in_(list(batch)))
        )
    }
    new, changed = [], []
    for account, values in batch.items():
        found = existing.get(account)
        if found is None:
            new.append({"account_no": account, "email": "", "no_sms": False, "language": "zh_CN", **values})
        elif any(getattr(found, c) != value for c, value in values.items()):
            changed.append({"id": found.id, **values})
            choices = {c: [getattr(found, c), values[c]] for c in CHOICES if c in values}
            result.choices_changed.update({account: {c: v for c, v in choices.items() if v[0] != v[1]}})
        else:
            result.unchanged += 1
    if new:
        session.execute(insert(Customer), new)
    # One bulk UPDATE per set of columns: rows of a file with the optional columns carry more of them.
    for columns in {tuple(sorted(row)) for row in changed}:
        session.execute(update(Customer), [row for row in changed if tuple(sorted(row)) == columns])
    result.added += len(new)
    result.updated += len(changed)


def rejected_rows_csv(rejected: Iterable[Rejected]) -> str:
    """The rejected rows as CSV (line, account, reason), for the person who fixes the file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "account", "reason"])
    for row in rejected:
        writer.writerow([row.line, row.account, row.reason])
    return out.getvalue()


EXPORT_COLUMNS = ("account", *COLUMNS)
_MASKED_AS = {"name": "name", "phone": "phone", "address": "address"}


def export_customers(session: Session, masked: bool) -> Iterator[list[str]]:
    """The register as rows (a header first), in account order; `masked`: as a masked role sees it."""
    yield list(EXPORT_COLUMNS)
    rows = session.execute(
        select(Customer.account_no, *(getattr(Customer, c) for c in COLUMNS)).order_by(Customer.account_no)
    )
    for row in rows.yield_per(_CHUNK):
        values = dict(zip(EXPORT_COLUMNS, row, strict=True))
        if masked:
            for key, kind in _MASKED_AS.items():
                values[key] = masked_as(kind, values[key])
            values["other_phones"] = ",".join(
                masked_as("phone", p) for p in values["other_phones"].split(",") if p
            )
        yield ["" if values[c] is None else str(values[c]) for c in EXPORT_COLUMNS]
