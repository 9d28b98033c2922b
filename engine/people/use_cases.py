"""Recording who read customers' personal data unmasked (M6), as use cases: plain values and a unit of
work, never a commit. A page that only reads calls them in its own short unit after reading."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.people.access_log import record_access, record_customer_access, record_list_access

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork


def record_case_view(uow: UnitOfWork, username: str, instance_id: int, view: str) -> None:
    """One case shown in full (its page, a task of it, a downloaded signature)."""
    record_access(uow.session, uow.clock, username, instance_id, view)


def record_case_list_view(uow: UnitOfWork, username: str, instance_ids: Iterable[int], view: str) -> None:
    """Cases shown in full in a list: one row per case, in one statement."""
    record_list_access(uow.session, uow.clock, username, instance_ids, view)


def record_customer_view(uow: UnitOfWork, username: str, customer_ids: Iterable[int], view: str) -> None:
    """Register records shown in full outside a case (the callers found or chosen at intake)."""
    record_customer_access(uow.session, uow.clock, username, customer_ids, view)
