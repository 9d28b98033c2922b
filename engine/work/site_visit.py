"""Field work on a phone (R3, R4): which steps a tap can record, and a job that becomes the worker's.

Rules of the work, not of a page: the CLI, a job or a test arriving on site goes through the same
functions as the phone's one tap.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import parsed_definition
from engine.db import HumanTask
from engine.runtime import Actor, Runtime
from engine.work.claims import claim_task


def one_tap_field(runtime: Runtime, task: HumanTask) -> str | None:
    """The field of a form that asks only for a time (e.g. 'arrived at'), which a tap can fill with now:
    its one required field is a time and nothing else is asked unless chosen (the other fields are
    optional, e.g. the finding that sends an order back, C4, which the full form offers)."""
    info = parsed_definition(runtime, task.instance.definition).user_tasks.get(task.element_id)
    if info is None:
        return None
    required = [f for f in info.fields if f.required]
    if len(required) != 1 or required[0].type != "datetime":
        return None
    return required[0].id


def claim_next_steps(session: Session, runtime: Runtime, instance_id: int, actor: Actor) -> list[HumanTask]:
    """A job the worker has arrived at is theirs: the case's next open steps for their groups (the
    on-site report) are claimed for them, so nobody else picks them up and the form says so."""
    now = runtime.clock.now()
    unclaimed = session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open", HumanTask.assignee.is_(None)
        )
    ).all()
    return [
        claim_task(session, task.id, actor, now)
        for task in unclaimed
        if set(task.candidate_groups.split(",")) & actor.groups
    ]
