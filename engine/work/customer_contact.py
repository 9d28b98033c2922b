"""What of a case's customer the signed-in person needs in full to visit or call them (M6): the kinds
the case's steps they may do or did declare (customer_contact, engine.cases.contact_kinds_of_tasks),
and, for whoever opened the case, what its intake step declares (the liaison sees the address they
have just typed, and needs it to call back)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.cases import contact_kinds_of_tasks, parsed_definition
from engine.db import ProcessInstance
from engine.people import identity_hidden
from engine.runtime import Actor, Runtime
from engine.work.intake import intake_task


def customer_contact_kinds(
    session: Session, engine: Runtime, instance: ProcessInstance, actor: Actor
) -> frozenset[str]:
    if identity_hidden(instance.data, instance.opened_by, actor):
        return frozenset()  # a confidential complainant is reached through the hotline only (C7)
    parsed = parsed_definition(engine, instance.definition)
    kinds = contact_kinds_of_tasks(session, parsed, instance.id, actor)
    if instance.opened_by == actor.username:
        intake = intake_task(engine, parsed)
        if intake is not None:
            kinds |= intake.customer_contact
    return kinds
