"""Links between a call activity's case and the child case it opened (issue 21): written by the runner
in the parent's unit of work when the child opens; the child's end completes the call in the child's
own unit of work (engine.cases.runner), so the parent never waits for a job that could be lost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine.db import CaseCallRow, ProcessInstance


@dataclass(frozen=True)
class LinkedCase:
    """A case linked to the one shown: its parent, or a child one of its steps called."""

    case_number: str
    process_key: str
    status: str
    element_id: str
    open: bool


# A call whose procedure was not deployed waits as an incident (FAILED_CALL); a supervisor's retry marks
# it RETRY for the unit of work that opens its child case.
FAILED_CALL, RETRY = "failed", "retry"


def call_links(session: Session, instance_id: int) -> dict[str, CaseCallRow]:
    """The case's call links by the task guid of their call activity."""
    query = select(CaseCallRow).where(CaseCallRow.parent_instance_id == instance_id)
    return {row.task_guid: row for row in session.scalars(query)}


def call_incidents(session: Session) -> list[tuple[CaseCallRow, str]]:
    """Call activities that could not open their case (their procedure is not deployed), with the
    calling case's number, oldest first."""
    query = (
        select(CaseCallRow, ProcessInstance.case_number)
        .join(ProcessInstance, ProcessInstance.id == CaseCallRow.parent_instance_id)
        .where(CaseCallRow.status == FAILED_CALL)
        .order_by(CaseCallRow.id)
    )
    return [(row, number) for row, number in session.execute(query).all()]


def open_call_of_child(session: Session, child_id: int) -> CaseCallRow | None:
    query = select(CaseCallRow).where(CaseCallRow.child_instance_id == child_id, CaseCallRow.status == "open")
    return session.scalars(query).first()


def linked_cases(session: Session, instance_id: int) -> tuple[list[LinkedCase], list[LinkedCase]]:
    """(the cases that called this one, the cases this one called), for both case pages."""
    other = aliased(ProcessInstance)

    def read(mine: Any, theirs: Any) -> list[LinkedCase]:
        query = (
            select(CaseCallRow, other)
            .join(other, other.id == theirs)
            .where(mine == instance_id)
            .order_by(CaseCallRow.id)
        )
        return [
            LinkedCase(i.case_number, i.process_key, i.status, c.element_id, c.status == "open")
            for c, i in session.execute(query).all()
        ]

    return (
        read(CaseCallRow.child_instance_id, CaseCallRow.parent_instance_id),
        read(CaseCallRow.parent_instance_id, CaseCallRow.child_instance_id),
    )
