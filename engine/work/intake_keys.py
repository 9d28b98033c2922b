"""One case per intake form: the form carries a one-time key; its first submission records the key with
the case it opened, and any later submission of the same key is shown that case instead.

Two submissions at once are settled by the key's primary key, not by looking first: the second insert
waits for the first transaction and fails once it commits (PostgreSQL), or waits for the write lock
(SQLite); `engine.work.record_call` then throws its own case away and returns the first one.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import IntakeKey, ProcessInstance

_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_intake_key() -> str:
    return secrets.token_urlsafe(24)


def valid_intake_key(text: str | None) -> str | None:
    """The submitted key if it looks like one this system hands out, else None (no protection)."""
    return text if text and _KEY.match(text) else None


def record_intake_key(session: Session, key: str, instance_id: int, now: datetime) -> None:
    """Raises IntegrityError (here or at commit) when another submission recorded the key first."""
    session.add(IntakeKey(key=key, instance_id=instance_id, created_at=now))
    session.flush()


def case_of_intake_key(session: Session, key: str) -> ProcessInstance | None:
    return session.scalar(
        select(ProcessInstance)
        .join(IntakeKey, IntakeKey.instance_id == ProcessInstance.id)
        .where(IntakeKey.key == key)
    )
