"""External tasks, Camunda's pattern: workers fetch and lock the tasks of their topics, then complete
them with variables (the case goes on at once), report a failure (retries and back-off, then an
incident on the case and the incidents page), extend their lock or give the task back. A worker's id
is its own; a lock held by another worker, or run out, answers 409."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_login import current_user

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


@blp.route(TASK + "/complete", methods=["POST"])
@blp.arguments(CompleteExternalSchema)
@blp.response(200, ExternalTaskStateSchema)
@needs_scope("external:work")
def complete(body: dict[str, Any], task_id: int) -> Any:
    """Done: the variables go into the case and the case goes on to its next step in the same
    transaction (a lock that is not this worker's, or ran out: 409)."""
    with unit_of_work() as uow:
        instance = complete_external(uow, task_id, body["worker_id"], current_user.actor, body["variables"])
        note_case(instance.case_number)
        result = _state(uow.session.get(ExternalTaskRow, task_id), instance)  # type: ignore[arg-type]
        uow.commit()
    return result


@blp.route(TASK + "/failure", methods=["POST"])
@blp.arguments(FailureSchema)
@blp.response(200, ExternalTaskStateSchema)
@needs_scope("external:work")
def failure(body: dict[str, Any], task_id: int) -> Any:
    """Could not do it: offered again after retryTimeout while retries are left (absent: the element's
    camunda:failedJobRetryTimeCycle, else three tries at once); at 0 retries an incident."""
    timeout = body.get("retry_timeout")
    with unit_of_work() as uow:
        task = fail_external(
            uow,
            task_id,
            body["worker_id"],
            body["error_message"],
            body.get("error_details", ""),
            body.get("retries"),
            timedelta(milliseconds=timeout) if timeout is not None else None,
        )
        result = _state(task, uow.session.get(ProcessInstance, task.instance_id))
        uow.commit()
    return result


@blp.route(TASK + "/extend-lock", methods=["POST"])
@blp.arguments(ExtendLockSchema)
@blp.response(200, ExternalTaskStateSchema)
@needs_scope("external:work")
def extend(body: dict[str, Any], task_id: int) -> Any:
    """More time for the worker that holds the lock, counted from now."""
    with unit_of_work() as uow:
        task = extend_external_lock(
            uow, task_id, body["worker_id"], timedelta(milliseconds=body["new_duration"])
        )
        result = _state(task, uow.session.get(ProcessInstance, task.instance_id))
        uow.commit()
    return result


@blp.route(TASK + "/unlock", methods=["POST"])
@blp.arguments(UnlockSchema)
@blp.response(200, ExternalTaskStateSchema)
@needs_scope("external:work")
def unlock(body: dict[str, Any], task_id: int) -> Any:
    """Give the task back without a failure: any worker may fetch it at once."""
    with unit_of_work() as uow:
        task = unlock_external(uow, task_id, body["worker_id"])
        result = _state(task, uow.session.get(ProcessInstance, task.instance_id))
        uow.commit()
    return result
