"""External tasks, Camunda's pattern: workers fetch and lock the tasks of their topics, then complete
them with variables (the case goes on at once), report a failure (retries and back-off, then an
incident on the case and the incidents page), extend their lock or give the task back. A worker's id
is its own; a lock held by another worker, or run out, answers 409."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask_login import current_user
from marshmallow import Schema

from engine.cases import LockedTask
from engine.db import ExternalTaskRow, ProcessInstance
from engine.work import (
    complete_external,
    extend_external_lock,
    fail_external,
    fetch_and_lock_tasks,
    unlock_external,
)
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.schemas import (
    CompleteExternalSchema,
    ExtendLockSchema,
    ExternalTaskStateSchema,
    FailureSchema,
    FetchAndLockSchema,
    LockedTaskSchema,
    UnlockSchema,
)
from webforms.database import unit_of_work
from webforms.request_log import note_case

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

View = TypeVar("View", bound=Callable[..., Any])

blp = api_blueprint(
    "external_tasks",
    "/external-tasks",
    "External tasks: fetch and lock by topic, complete, report a failure, extend or give back a lock",
)
TASK = f"/<int(min=1, max={2**31 - 1}):task_id>"


def _locked(found: LockedTask) -> dict[str, Any]:
    task = found.task
    return {
        "id": task.id,
        "topic_name": task.topic,
        "activity_id": task.element_id,
        "activity_name": task.name,
        "case_number": found.case_number,
        "process_key": found.process_key,
        "worker_id": task.worker_id,
        "lock_expiration_time": task.lock_until,
        "retries": task.retries,
        "error_message": task.error_message,
        "variables": found.variables,
    }


def _state(task: ExternalTaskRow, instance: ProcessInstance | None) -> dict[str, Any]:
    return {
        "id": task.id,
        "status": task.status,
        "retries": task.retries,
        "lock_expiration_time": task.lock_until,
        "case_number": instance.case_number if instance is not None else "",
        "case_status": instance.status if instance is not None else "",
    }


@blp.route("/fetch-and-lock", methods=["POST"])
@blp.arguments(FetchAndLockSchema)
@blp.response(200, LockedTaskSchema(many=True))
@needs_scope("external:work")
def fetch(body: dict[str, Any]) -> Any:
    """Lock up to maxTasks open tasks of the topics for this worker, oldest first, with the case's
    variables (only those a topic names, where it names any). None waiting: an empty list."""
    topics = {t["topic_name"]: timedelta(milliseconds=t["lock_duration"]) for t in body["topics"]}
    names = {t["topic_name"]: t.get("variables") for t in body["topics"]}
    with unit_of_work() as uow:
        locked = fetch_and_lock_tasks(uow, body["worker_id"], topics, body["max_tasks"], names)
        result = [_locked(found) for found in locked]
        uow.commit()
    return result


def _on_task(path: str, schema: type[Schema]) -> Callable[[View], View]:
    """A worker's call on one of its locked tasks: POST TASK + path with a body of `schema` (its
    worker id), answered with the task's state after it; the scope external:work."""

    def decorate(view: View) -> View:
        view = needs_scope("external:work")(view)
        view = blp.response(200, ExternalTaskStateSchema)(view)
        view = blp.arguments(schema)(view)
        routed: View = blp.route(TASK + path, methods=["POST"])(view)
        return routed

    return decorate


def _task_state_after(change: Callable[[UnitOfWork], ExternalTaskRow]) -> dict[str, Any]:
    """Makes the change to the task (the use case refuses a lock that is not the worker's, or ran out)
    in one transaction; the task's state after it, with its case's."""
    with unit_of_work() as uow:
        task = change(uow)
        result = _state(task, uow.session.get(ProcessInstance, task.instance_id))
        uow.commit()
    return result


@_on_task("/complete", CompleteExternalSchema)
def complete(body: dict[str, Any], task_id: int) -> Any:
    """Done: the variables go into the case and the case goes on to its next step in the same
    transaction (a lock that is not this worker's, or ran out: 409)."""
    with unit_of_work() as uow:
        instance = complete_external(uow, task_id, body["worker_id"], current_user.actor, body["variables"])
        note_case(instance.case_number)
        result = _state(uow.session.get(ExternalTaskRow, task_id), instance)  # type: ignore[arg-type]
        uow.commit()
    return result


@_on_task("/failure", FailureSchema)
def failure(body: dict[str, Any], task_id: int) -> Any:
    """Could not do it: offered again after retryTimeout while retries are left (absent: the element's
    camunda:failedJobRetryTimeCycle, else three tries at once); at 0 retries an incident."""
    timeout = body.get("retry_timeout")
    return _task_state_after(
        lambda uow: fail_external(
            uow,
            task_id,
            body["worker_id"],
            body["error_message"],
            body.get("error_details", ""),
            body.get("retries"),
            timedelta(milliseconds=timeout) if timeout is not None else None,
        )
    )


@_on_task("/extend-lock", ExtendLockSchema)
def extend(body: dict[str, Any], task_id: int) -> Any:
    """More time for the worker that holds the lock, counted from now."""
    duration = timedelta(milliseconds=body["new_duration"])
    return _task_state_after(lambda uow: extend_external_lock(uow, task_id, body["worker_id"], duration))


@_on_task("/unlock", UnlockSchema)
def unlock(body: dict[str, Any], task_id: int) -> Any:
    """Give the task back without a failure: any worker may fetch it at once."""
    return _task_state_after(lambda uow: unlock_external(uow, task_id, body["worker_id"]))
