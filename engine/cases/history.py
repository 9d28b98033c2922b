"""The case history: data diffs and the event log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Event


def data_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{key: [before, after]} for every key whose value changed, appeared or disappeared."""
    changes: dict[str, list[Any]] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old != new or (key in before) != (key in after):
            changes[key] = [old, new]
    return dict(sorted(changes.items()))


def case_history(session: Session, instance_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)))
