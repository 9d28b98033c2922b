"""Whether the reference tables (departments, categories, case sources) changed, without reading them.

Every write to those tables is an administrative change recorded as one more row of the append-only
audit under one of `REFERENCE_SUBJECTS` (engine.reference.admin; seeding, engine.reference.data), in
the same transaction. The count of those rows is the stamp: it changes with every committed change, in
whichever process it was made. Not their largest id: PostgreSQL draws ids before commit, so a change
committing after one that drew a later id would leave the largest unchanged.

The one migration that wrote rows of these tables (0028, the case sources) made that table in the same
step: no process running today's code held a snapshot from before. A later migration that writes them must add an audit row of
kind "reference_data" too, as seeding does.

A unit of work reads it with a statement it sends anyway (the case's lock, engine.cases.store; the
newest definition as a case opens, engine.cases.definitions) and notes it on its session; the reference
data is then read only when this process has no snapshot of that stamp (engine.reference.data).
"""

from __future__ import annotations

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session, SessionTransaction

from engine.db import AdminAudit, note_for_transaction, noted_in_transaction

# The audit's subject kinds of the reference tables' changes; "reference_data": the defaults seeded.
REFERENCE_SUBJECTS = ("department", "category", "case_source", "reference_data")

_STAMP_KEY = "hotline_reference_stamp"
# The reference data one unit of work read, for the rest of its transaction (engine.reference.data).
UNIT_REFERENCE_KEY = "hotline_unit_reference"
# The transaction that changed reference data itself: what it reads is not committed, so it is not
# cached by a stamp another transaction could reach with other rows.
_CHANGED_KEY = "hotline_reference_changed"


def reference_stamp() -> ScalarSelect[int]:
    """SQL: a number that changes with every committed change of the reference tables (the index on
    the audit's subject kind answers it)."""
    return (
        select(func.count())
        .select_from(AdminAudit)
        .where(AdminAudit.subject_kind.in_(REFERENCE_SUBJECTS))
        .scalar_subquery()
    )


def note_reference_stamp(session: Session, stamp: int) -> None:
    """The stamp as this transaction read it, for the rest of the unit."""
    note_for_transaction(session, _STAMP_KEY, stamp)


def noted_reference_stamp(session: Session) -> int | None:
    """The stamp this transaction noted; None when it noted none."""
    noted = noted_in_transaction(session, _STAMP_KEY)
    return None if noted is None else int(noted)


def read_reference_stamp(session: Session) -> int:
    """The stamp read with a statement of its own (a unit that took no lock to read it with), noted."""
    stamp = int(session.scalar(select(reference_stamp())) or 0)
    note_reference_stamp(session, stamp)
    return stamp


def reference_changed(session: Session) -> None:
    """This transaction changes reference data: what it noted or read before no longer holds, and what
    it reads from now on is its own."""
    session.info.pop(_STAMP_KEY, None)
    session.info.pop(UNIT_REFERENCE_KEY, None)
    session.info[_CHANGED_KEY] = session.get_transaction()


def changed_in(session: Session, transaction: SessionTransaction | None) -> bool:
    """Whether this transaction changed reference data (see `reference_changed`)."""
    return transaction is not None and session.info.get(_CHANGED_KEY) is transaction
