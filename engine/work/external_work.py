"""What an external worker does through the API, as use cases on a unit of work (which they never
commit): fetch and lock tasks by topic, complete them with variables, report a failure, extend or
give back a lock. The rows and the rules are engine.cases.external_tasks; completing runs the case on
in the same unit of work (engine.cases.runner.complete_external_task)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from engine.cases import (
    LockedTask,
    broadcast_signal,
    complete_external_task,
    correlate_message,
    extend_lock,
    external_task_by_id,
    fail_external_task,
    fetch_and_lock,
    parsed_definition,
    retry_external_incident,
    unlock_external_task,
)
from engine.db import ExternalTaskRow, ProcessInstance
from engine.runtime import Actor

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork


def fetch_and_lock_tasks(
    uow: UnitOfWork,
    worker_id: str,
    topics: dict[str, timedelta],
    max_tasks: int,
    variable_names: dict[str, list[str] | None] | None = None,
) -> list[LockedTask]:
    return fetch_and_lock(uow.session, worker_id, topics, uow.clock.now(), max_tasks, variable_names)


def complete_external(
    uow: UnitOfWork, task_id: int, worker_id: str, actor: Actor, variables: dict[str, Any]
) -> ProcessInstance:
    return complete_external_task(uow.session, uow.runtime, task_id, worker_id, actor, variables)


def fail_external(
    uow: UnitOfWork,
    task_id: int,
    worker_id: str,
    error_message: str,
    error_details: str = "",
    retries: int | None = None,
    retry_timeout: timedelta | None = None,
) -> ExternalTaskRow:
    row = external_task_by_id(uow.session, task_id)
    instance = uow.session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    parsed = parsed_definition(uow.runtime, instance.definition)
    return fail_external_task(
        uow.session,
        task_id,
        worker_id,
        uow.clock.now(),
        parsed,
        error_message,
        error_details,
        retries,
        retry_timeout,
    )


def extend_external_lock(
    uow: UnitOfWork, task_id: int, worker_id: str, duration: timedelta
) -> ExternalTaskRow:
    return extend_lock(uow.session, task_id, worker_id, duration, uow.clock.now())


def unlock_external(uow: UnitOfWork, task_id: int, worker_id: str) -> ExternalTaskRow:
    return unlock_external_task(uow.session, task_id, worker_id, uow.clock.now())


def send_message(
    uow: UnitOfWork,
    actor: Actor,
    message_name: str,
    case_number: str | None,
    correlation_keys: dict[str, Any],
    variables: dict[str, Any],
) -> ProcessInstance:
    """Deliver a message to the one step waiting for it (engine.cases.runner.correlate_message)."""
    return correlate_message(
        uow.session, uow.runtime, actor, message_name, case_number, correlation_keys, variables
    )


def send_signal(uow: UnitOfWork, actor: Actor, signal_name: str) -> list[str]:
    """Deliver a signal to every case waiting for it; their case numbers."""
    return broadcast_signal(uow.session, uow.runtime, actor, signal_name)


def retry_external_task_incident(uow: UnitOfWork, task_id: int, username: str) -> bool:
    """A supervisor puts an external task whose retries ran out back in line (one more try)."""
    return retry_external_incident(uow.session, task_id, username, uow.clock.now())
