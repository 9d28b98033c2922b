"""Who must reach the customer of a case for their step, and so sees some of the customer's data in
full (M6).

A step names in the diagram what its people need (user-task property customer_contact = phone,
address, …; checked at deploy): the department's handler who investigates a complaint and may visit,
the worker on site, the liaison who calls back. Whoever may do such a step now (an open task of their
group that nobody else holds, or one handed to them), or did it (the liaison who typed the customer
in), sees those kinds of that case's personal data in full; the rest stays masked, and so does all of
it for everyone with no such step. docs/access.md says which role sees what."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import ParsedDefinition
from engine.db import HumanTask, HumanTaskGroup
from engine.runtime import Actor


def contact_steps(parsed: ParsedDefinition) -> dict[str, frozenset[str]]:
    """The diagram's steps whose people must visit or call the customer, with what they need."""
    return {
        element: info.customer_contact for element, info in parsed.user_tasks.items() if info.customer_contact
    }


def contact_kinds_of_tasks(
    session: Session, parsed: ParsedDefinition, instance_id: int, actor: Actor
) -> frozenset[str]:
    """The kinds of personal data named by the case's steps (customer_contact) the actor may do now or
    did (a task row: the intake, completed as the case opens, has none; engine.work adds it)."""
    steps = contact_steps(parsed)
    if not steps:
        return frozenset()
    in_my_groups = HumanTask.id.in_(
        select(HumanTaskGroup.task_id).where(HumanTaskGroup.group_name.in_(sorted(actor.groups)))
    )
    mine = or_(
        and_(
            HumanTask.status == "open",
            or_(HumanTask.assignee == actor.username, and_(HumanTask.assignee.is_(None), in_my_groups)),
        ),
        and_(HumanTask.status == "completed", HumanTask.completed_by == actor.username),
    )
    elements = session.scalars(
        select(HumanTask.element_id)
        .where(HumanTask.instance_id == instance_id, HumanTask.element_id.in_(sorted(steps)), mine)
        .distinct()
    )
    return frozenset().union(*(steps[element] for element in elements))
