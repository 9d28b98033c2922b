"""Who may read a case's files (photos from site, scans, drawn signatures, R4), and which of them are
a customer's personal data (M6)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import fields_by_id
from engine.cases import parsed_definition
from engine.db import HumanTask, HumanTaskGroup, ProcessInstance
from engine.runtime import Runtime

# Roles that read every case with its files: supervisors check cases, the rest see personal data anyway.
ALL_CASES_ROLES = frozenset({"supervisor", "admin"})


def takes_part_in_case(session: Session, instance_id: int, username: str, roles: Iterable[str]) -> bool:
    """Whether the user holds a candidate group of one of the case's tasks (open or done), or claimed
    or completed one: the people who work on the case."""
    in_groups = exists().where(
        HumanTaskGroup.task_id == HumanTask.id, HumanTaskGroup.group_name.in_(list(roles))
    )
    return (
        session.scalar(
            select(HumanTask.id)
            .where(
                HumanTask.instance_id == instance_id,
                or_(HumanTask.assignee == username, HumanTask.completed_by == username, in_groups),
            )
            .limit(1)
        )
        is not None
    )


def may_read_files(
    session: Session, instance_id: int, username: str, roles: frozenset[str], sees_personal_data: bool
) -> bool:
    return (
        bool(roles & ALL_CASES_ROLES)
        or sees_personal_data
        or takes_part_in_case(session, instance_id, username, roles)
    )


def is_signature(engine: Runtime, instance: ProcessInstance, attachment_id: int) -> bool:
    """A customer's drawn signature: the case's data keeps its attachment id in a signature field."""
    fields = fields_by_id(parsed_definition(engine, instance.definition))
    return any(
        field.type == "signature" and instance.data.get(field_id) == attachment_id
        for field_id, field in fields.items()
    )
