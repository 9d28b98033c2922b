"""Exporting the customer register (M5) as CSV or XLSX, in the import's columns with the account first:
in full for the roles that see personal data (each export recorded in the log of unmasked views, M6,
one row per customer written), masked as the masking module masks it elsewhere for the others."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session

from engine.db import Customer, PersonalDataAccess
from engine.people.masking import masked_as
from engine.people.register_upsert import COLUMNS

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

EXPORT_COLUMNS = ("account", *COLUMNS)
_MASKED_AS = {"name": "name", "phone": "phone", "address": "address"}
# A spreadsheet would run text starting with these as a formula; such text is written as text.
FORMULA_STARTS = ("=", "@", "\t", "\r")
_CHUNK = 1000
EXPORT_VIEW = "register_export"


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


def record_register_export(uow: UnitOfWork, username: str) -> None:
    """A full export read every customer's personal data: one M6 row per customer, in one statement."""
    uow.session.execute(
        insert(PersonalDataAccess).from_select(
            ["at", "username", "customer_id", "view"],
            select(literal(uow.clock.now()), literal(username), Customer.id, literal(EXPORT_VIEW)),
        )
    )


def _cell_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def register_csv(rows: Iterator[list[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet program reads the Chinese as such."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def register_xlsx(rows: Iterator[list[str]]) -> bytes:
    """One sheet, every value as text (account numbers and phones keep their leading zeros); text a
    spreadsheet would take for a formula stays text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("customers")
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Any, value: str) -> Any:
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if not value.startswith("="):
        return value  # a str is written as text
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
