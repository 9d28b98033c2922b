"""What a case waits for from outside: messages (receive tasks, message catch and boundary events)
and signals (signal catch and boundary events), as rows written with the case's state, so a message
is correlated to its case and a signal reaches every waiting case without loading a workflow that
does not wait for it (issue 21).

A message names its case by number or by correlation keys, values the case data must hold; exactly one
waiting step must match (none: NotFound; more than one: Conflict). A signal goes to every step waiting
for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from engine.db import DriverStatement, EventSubscription, ProcessInstance
from engine.errors import Conflict, NotFound

MESSAGE, SIGNAL = "message", "signal"


@dataclass(frozen=True)
class WaitingEvent:
    guid: str
    element_id: str
    name: str
    kind: str
    event_name: str


def waiting_for_events(workflow: BpmnWorkflow) -> list[WaitingEvent]:
    """The steps of the workflow that wait for a message or a signal."""
    found = []
    for task in workflow.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition):
            kind = MESSAGE
        elif isinstance(definition, SignalEventDefinition):
            kind = SIGNAL
        else:
            continue
        spec = task.task_spec
        found.append(
            WaitingEvent(
                str(task.id), spec.bpmn_id, (spec.bpmn_name or spec.bpmn_id)[:200], kind, definition.name
            )
        )
    return found


def waiting_guids(workflow: BpmnWorkflow) -> frozenset[str]:
    """The tasks of the workflow that wait for a message or a signal: the case's subscription rows as
    `sync_event_subscriptions` wrote them when this workflow was saved."""
    return frozenset(w.guid for w in waiting_for_events(workflow))


_subscriptions = cast(Table, EventSubscription.__table__)
# Built once: a unit binds its values to statements compiled before (the hot ones sent straight to the
# driver, engine.db.driver_statements; the delete binds a list, so it goes through the session).
_SUBSCRIBED_GUIDS = DriverStatement(
    select(_subscriptions.c.task_guid).where(_subscriptions.c.instance_id == bindparam("instance_id"))
)
_DROP_SUBSCRIPTIONS = delete(_subscriptions).where(
    _subscriptions.c.instance_id == bindparam("instance_id"),
    _subscriptions.c.task_guid.in_(bindparam("guids", expanding=True)),
)
_INSERT_SUBSCRIPTIONS = DriverStatement(insert(_subscriptions))


def sync_event_subscriptions(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    now: datetime,
    known: frozenset[str] | None = None,
) -> None:
    """Write a row for each step the case now waits at for a message or signal; drop the others.

    `known`: the task guids of the case's rows, when the unit knows them without reading them (a case
    opened in this unit has none; a unit that loaded the workflow under the case's lock has those of
    `waiting_guids` of the workflow as loaded, as every save of the workflow writes them)."""
    waiting = {w.guid: w for w in waiting_for_events(workflow)}
    if known is None:
        known = frozenset(_SUBSCRIBED_GUIDS.execute(session, {"instance_id": instance.id}).scalars())
    gone = sorted(known - waiting.keys())
    if gone:
        session.execute(_DROP_SUBSCRIPTIONS, {"instance_id": instance.id, "guids": gone})
    added = [
        {
            "instance_id": instance.id,
            "task_guid": guid,
            "element_id": w.element_id,
            "name": w.name,
            "kind": w.kind,
            "event_name": w.event_name,
            "created_at": now,
        }
        for guid, w in waiting.items()
        if guid not in known
    ]
    if added:
        _INSERT_SUBSCRIPTIONS.execute(session, added)


def _matches(instance: ProcessInstance, case_number: str | None, keys: dict[str, Any]) -> bool:
    if case_number is not None and instance.case_number != case_number:
        return False
    data = instance.data or {}
    return all(name in data and data[name] == value for name, value in keys.items())


def message_subscription(
    session: Session, message_name: str, case_number: str | None, keys: dict[str, Any]
) -> EventSubscription:
    """The one step waiting for this message in the case named by number or correlation keys."""
    query = (
        select(EventSubscription, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == EventSubscription.instance_id)
        .where(EventSubscription.kind == MESSAGE, EventSubscription.event_name == message_name)
        .where(ProcessInstance.status == "running")
        .order_by(EventSubscription.id)
    )
    if case_number is not None:
        query = query.where(ProcessInstance.case_number == case_number)
    found = [row for row, instance in session.execute(query).all() if _matches(instance, case_number, keys)]
    if not found:
        raise NotFound(f"no case waits for the message '{message_name}' with these keys")
    if len(found) > 1:
        raise Conflict(
            f"{len(found)} steps wait for the message '{message_name}' with these keys; name the case",
            "message_ambiguous",
            name=message_name,
            count=len(found),
        )
    return found[0]


def signal_subscriptions(session: Session, signal_name: str) -> list[int]:
    """The running cases with a step waiting for this signal."""
    query = (
        select(EventSubscription.instance_id)
        .join(ProcessInstance, ProcessInstance.id == EventSubscription.instance_id)
        .where(EventSubscription.kind == SIGNAL, EventSubscription.event_name == signal_name)
        .where(ProcessInstance.status == "running")
        .distinct()
        .order_by(EventSubscription.instance_id)
    )
    return list(session.scalars(query))


def subscriptions_of(session: Session, instance_id: int) -> list[EventSubscription]:
    """What a case waits for from outside, for its page."""
    query = select(EventSubscription).where(EventSubscription.instance_id == instance_id)
    return list(session.scalars(query.order_by(EventSubscription.id)))


def catching_task(workflow: BpmnWorkflow, guid: str) -> SpiffTask | None:
    return next((t for t in workflow.tasks.values() if str(t.id) == guid), None)
