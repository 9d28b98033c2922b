"""The record of administrative changes (staff accounts, departments, categories): who changed what,
when, and each field before and after. Append-only; supervisors read it.

It lives with the reference data, the lowest layer that administers anything, so both the reference
data's and the staff accounts' use cases (engine.people, above it) write it the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import AdminAudit
from engine.reference.stamp import REFERENCE_SUBJECTS, reference_changed


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for each field whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record_admin_change(
    session: Session,
    clock: Clock,
    actor: str,
    action: str,
    subject_kind: str,
    subject: str,
    changes: Mapping[str, Any],
) -> AdminAudit:
    if subject_kind in REFERENCE_SUBJECTS:
        reference_changed(session)
    event = AdminAudit(
        at=clock.now(),
        actor=actor[:100],
        action=action,
        subject_kind=subject_kind,
        subject=subject[:100],
        changes=dict(changes),
    )
    session.add(event)
    return event


def admin_events(
    session: Session,
    *,
    subject_kind: str | None = None,
    subject: str | None = None,
    actor: str | None = None,
    limit: int = 200,
) -> list[AdminAudit]:
    """The latest administrative changes first, optionally of one subject or by one actor."""
    query = select(AdminAudit).order_by(AdminAudit.at.desc(), AdminAudit.id.desc()).limit(limit)
    if subject_kind:
        query = query.where(AdminAudit.subject_kind == subject_kind)
    if subject:
        query = query.where(AdminAudit.subject == subject)
    if actor:
        query = query.where(AdminAudit.actor == actor)
    return list(session.scalars(query))
