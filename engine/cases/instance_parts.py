"""The parts of a multi-instance step (engine.bpmn.multi_instance): one per instance, with whom it was
for (its candidate groups: an assisting department), who did it and when, its deadline, whether it was
done on time, and what its form recorded. The case page shows them, and so does the form of the step
that comes after (the lead department reads the assisting departments' answers, 主办/协办)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import ParsedDefinition, instance_results
from engine.db import HumanTask, ProcessInstance


@dataclass(frozen=True)
class InstancePart:
    element_id: str
    groups: str
    status: str
    assignee: str | None
    done_at: datetime | None
    due_at: datetime | None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def on_time(self) -> bool | None:
        """Done by its deadline (None: no deadline, or not done yet)."""
        if self.due_at is None or self.done_at is None:
            return None
        return self.done_at <= self.due_at

    def late(self, now: datetime) -> bool:
        """Done after its deadline, or still open past it."""
        if self.due_at is None:
            return False
        return (self.done_at or now) > self.due_at


def instance_parts(
    session: Session, instance: ProcessInstance, parsed: ParsedDefinition
) -> dict[str, list[InstancePart]]:
    """Each multi-instance step's parts by element id, in the order they were opened; a step the case
    went through again shows the parts of its latest pass."""
    steps = parsed.multi_instance_steps
    if not steps:
        return {}
    rows = list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.element_id.in_(steps))
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    )
    parts: dict[str, list[InstancePart]] = {}
    for element_id in steps:
        own = [r for r in rows if r.element_id == element_id]
        results = instance_results(instance.data, element_id)
        done = sorted((r for r in own if r.status == "completed"), key=lambda r: (r.completed_at, r.id))
        recorded = dict(zip((r.id for r in done[len(done) - len(results) :]), results, strict=False))
        if not own:
            continue
        # The latest pass: the instances whose values the case keeps and those still open.
        # A part withdrawn (the lead replied without it, past its deadline) is shown as withdrawn.
        kept = [r for r in own if r.id in recorded or r.status == "open"]
        first = min((r.created_at for r in kept), default=None)
        latest = [
            r
            for r in own
            if r in kept or (r.status == "cancelled" and first is not None and r.created_at >= first)
        ] or own
        parts[element_id] = [
            InstancePart(
                element_id=element_id,
                groups=r.candidate_groups,
                status=r.status,
                assignee=r.completed_by or r.assignee,
                done_at=r.completed_at if r.status == "completed" else None,
                due_at=r.due_at,
                values=recorded.get(r.id, {}),
            )
            for r in latest
        ]
    return parts
