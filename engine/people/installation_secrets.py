"""Secrets an installation makes once and keeps in its database, so that every process reads the same
one: the key that signs session cookies and form tokens when HOTLINE_SECRET_KEY is not set.

Several web processes start at once: each offers a candidate, the first insert wins (INSERT … ON
CONFLICT DO NOTHING, keyed by the secret's name) and every process reads back the stored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.db import InstallationSecret

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork

SESSION_SIGNING_KEY = "session_signing_key"


def session_signing_key(uow: UnitOfWork, candidate: str) -> str:
    """The installation's session signing key: the one stored, else `candidate`, stored now."""
    return shared_secret(uow.session, SESSION_SIGNING_KEY, candidate, uow.clock.now())


def shared_secret(session: Session, name: str, candidate: str, now: datetime) -> str:
    """The secret stored under `name`; `candidate` becomes it when none is stored yet. Of processes
    racing here, one insert wins, the others do nothing, and all return the winner's value."""
    stored = _stored(session, name)
    if stored is not None:
        return stored
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(InstallationSecret)
        .values(name=name, value=candidate, created_at=now)
        .on_conflict_do_nothing(index_elements=[InstallationSecret.name])
    )
    # On PostgreSQL a conflicting insert waits for the winner's commit; this read (a new snapshot in
    # READ COMMITTED) then sees its row. On SQLite the write lock already serialised the racers.
    stored = _stored(session, name)
    if stored is None:
        raise RuntimeError(f"the installation secret {name!r} was neither inserted nor found")
    return stored


def _stored(session: Session, name: str) -> str | None:
    return session.scalar(select(InstallationSecret.value).where(InstallationSecret.name == name))
