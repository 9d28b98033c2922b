"""Importing the customer register (M5) from the billing system's CSV or XLSX export: every row checked,
rejected rows reported with their line, reason and values as given, the rest upserted by account
number. Importing the same file twice changes nothing the second time. Each import is an
administrative audit event, and its result is kept (engine.db.CustomerImport) so the rejected
rows can be fetched later.

The upsert is set-based (engine.people.register_upsert): checked rows go to a staging table in
batches, then one statement writes what differs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import CustomerImport
from engine.messages import N_, Translate, english, say
from engine.people.customer_files import HEADERS
from engine.people.register_upsert import StagedRegister
from engine.reference import record_admin_change

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
# Why a row is rejected: English templates (N_, in the catalogs), said in a person's language by say().
WHY = {
    "account": N_("account missing or not letters, digits and dashes (at most 30)"),
    "name": N_("name missing"),
    "phone_missing": N_("phone missing"),
    "phone": N_("phone not a number"),
    "service": N_("service must be heating or water (供暖 / 供水)"),
    "area": N_("heated area not a number"),
    "area_range": N_("heated area out of range"),
    "too_long": N_("%(column)s longer than %(limit)s characters"),
    "phones": N_("too many phone numbers"),
    "again": N_("account already given on an earlier line"),
    "no_sms": N_("no SMS must be yes or no (是 / 否), or empty to leave it as it is"),
    "language": N_("language must be zh_CN or en (中文 / English), or empty to leave it as it is"),
}
# The customer's message preferences: an empty cell (or no such column) leaves the register's as it is.
NO_SMS = {
    **dict.fromkeys(("1", "yes", "y", "true", "x", "是", "不发", "拒收"), True),
    **dict.fromkeys(("0", "no", "n", "false", "否", "发送"), False),
}
LANGUAGES = {
    **dict.fromkeys(("zh_cn", "zh-cn", "zh", "cn", "chinese", "中文", "汉语", "简体中文"), "zh_CN"),
    **dict.fromkeys(("en", "english", "英文", "英语"), "en"),
}
_SEPARATORS = re.compile(r"[,;/、，]")
_PHONE_NOISE = re.compile(r"[\s()-]")


@dataclass(frozen=True)
class Rejected:
    """A row left out: its line in the file, why (a WHY code and its parameters) and its values as
    given (the register's columns the file has)."""

    line: int
    account: str
    why: str
    params: tuple[tuple[str, str], ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)

    def say(self, translate: Translate = english) -> str:
        return say(WHY[self.why], dict(self.params), translate)

    @property
    def reason(self) -> str:
        return self.say()


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    import_id: int | None = None  # the kept record of the import (engine.db.CustomerImport)

    def as_counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


def _phones(text: str) -> list[str]:
    return [_PHONE_NOISE.sub("", p) for p in _SEPARATORS.split(text) if p.strip()]


def checked_row(row: Mapping[str, str]) -> tuple[str, dict[str, Any]] | tuple[str, dict[str, str]]:
    """("ok", the register's values with the account) or (a WHY code, its parameters)."""
    account = row.get("account", "")
    if not _ACCOUNT.fullmatch(account):
        return "account", {}
    name = row.get("name", "")
    if not name:
        return "name", {}
    phones = _phones(row.get("phone", "")) + _phones(row.get("other_phones", ""))
    if not phones:
        return "phone_missing", {}
    if any(not _PHONE.fullmatch(p) for p in phones):
        return "phone", {}
    service = SERVICES.get(row.get("service", "").strip().lower())
    if service is None:
        return "service", {}
    area: float | None = None
    if row.get("heated_area"):
        try:
            area = float(row["heated_area"])
        except ValueError:
            return "area", {}
        if not 0 <= area <= 100000:
            return "area_range", {}
    no_sms: bool | None = None
    if row.get("no_sms"):
        no_sms = NO_SMS.get(row["no_sms"].strip().lower())
        if no_sms is None:
            return "no_sms", {}
    language: str | None = None
    if row.get("language"):
        language = LANGUAGES.get(row["language"].strip().lower())
        if language is None:
            return "language", {}
    values: dict[str, Any] = {
        "account_no": account,
        "name": name,
        "phone": phones[0],
        "other_phones": ",".join(phones[1:]),
        "heated_area": area,
        "service": service,
        "no_sms": no_sms,
        "language": language,
    }
    for key, limit in LIMITS.items():
        values.setdefault(key, row.get(key, ""))
        if len(values[key]) > limit:
            return "too_long", {"column": key, "limit": str(limit)}
    if len(values["other_phones"]) > 100:
        return "phones", {}
    return "ok", values


def import_customers(
    session: Session, clock: Clock, actor: str, rows: Iterable[tuple[int, Mapping[str, str]]], source: str
) -> ImportResult:
    """Upsert the valid rows by account; the caller's unit of work commits (or, on an error, nothing)."""
    result = ImportResult()
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []
    staging = StagedRegister(session)
    for line, row in rows:
        why, values = checked_row(row)
        if why == "ok" and values["account_no"] in seen:
            why, values = "again", {}
        if why != "ok":
            params = tuple(sorted(values.items()))
            result.rejected.append(Rejected(line, row.get("account", "")[:30], why, params, dict(row)))
            continue
        seen.add(values["account_no"])
        batch.append(values)
        if len(batch) >= _CHUNK:
            staging.stage(batch)
            batch = []
    staging.stage(batch)
    result.added, result.updated, result.unchanged = staging.write()
    record_admin_change(
        session, clock, actor, "import", "customer_register", source[:100], result.as_counts()
    )
    kept = CustomerImport(
        at=clock.now(),
        actor=actor[:100],
        source=source[:100],
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected_count=len(result.rejected),
        rejected=[[r.line, r.why, dict(r.params), dict(r.values)] for r in result.rejected],
    )
    session.add(kept)
    session.flush()
    result.import_id = kept.id
    return result


def rejected_of(kept: CustomerImport) -> list[Rejected]:
    """The rejected rows of a kept import."""
    return [
        Rejected(line, str(values.get("account", ""))[:30], why, tuple(sorted(params.items())), values)
        for line, why, params, values in kept.rejected
    ]


def rejected_rows_csv(rejected: Iterable[Rejected], translate: Translate = english) -> str:
    """The rejected rows as CSV: line, reason (in the language of `translate`) and the row's values as
    given (the register's columns the file has), for the person who fixes the file."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows = list(rejected)
    given = [key for key in HEADERS if any(key in row.values for row in rows)]
    writer.writerow(["line", "reason", *given])
    for row in rows:
        writer.writerow([row.line, row.say(translate), *(row.values.get(key, "") for key in given)])
    return out.getvalue()
