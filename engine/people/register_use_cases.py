"""The customer register (M5) administered from a page or the command line, as use cases: plain values
and a unit of work, never a commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import CustomerImport
from engine.people.customer_export import (
    export_customers,
    record_register_export,
    register_csv,
    register_xlsx,
)
from engine.people.customer_files import rows_of
from engine.people.customer_import import ImportResult, import_customers

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

EXPORT_KINDS = ("csv", "xlsx")


def import_register(uow: UnitOfWork, actor: str, file_name: str, content: bytes) -> ImportResult:
    """Import an uploaded register file; a file that cannot be read (or larger than IMPORT_LIMIT_MB)
    raises ImportRefused, nothing imported."""
    return import_customers(uow.session, uow.clock, actor, rows_of(file_name, content), file_name)


def kept_import(session: Session, import_id: int) -> CustomerImport | None:
    return session.get(CustomerImport, import_id)


def latest_imports(session: Session, limit: int = 10) -> list[CustomerImport]:
    return list(session.scalars(select(CustomerImport).order_by(CustomerImport.id.desc()).limit(limit)))


def export_register(uow: UnitOfWork, username: str, in_full: bool, kind: str) -> bytes:
    """The register as a CSV or XLSX file: in full (and recorded, M6) or masked."""
    rows = export_customers(uow.session, masked=not in_full)
    content = register_xlsx(rows) if kind == "xlsx" else register_csv(rows)
    if in_full:
        record_register_export(uow, username)
    return content
