"""Values a unit of work notes on its session for the rest of its transaction only.

A stamp read with the case's lock, the reference data read once: each holds for the transaction that
read it and must not be trusted by the next one on the same session. Noted with the transaction they
belong to, they are found again only while that transaction lasts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def note_for_transaction(session: Session, key: str, value: Any) -> None:
    """Note `value` under `key` for the session's current transaction."""
    session.info[key] = (session.get_transaction(), value)


def noted_in_transaction(session: Session, key: str) -> Any | None:
    """What the current transaction noted under `key`; None when it noted nothing (or another did)."""
    noted = session.info.get(key)
    transaction = session.get_transaction()
    if noted is None or transaction is None or noted[0] is not transaction:
        return None
    return noted[1]
