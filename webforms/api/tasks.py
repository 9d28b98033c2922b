"""Tasks: the client's tasklist with its filters, one task with its form, claim, release and complete,
through the same use cases and checks as the task pages (a race answers 409). Completing takes the
case's version as If-Match: a client that read an older state gets 412 and nothing is changed."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.bpmn import fields_by_id, initial_values
from engine.cases import parsed_definition
from engine.db import HumanTask
from engine.work import (
    SUPERVISING_ROLES,
    TABS,
    TaskFilter,
    claim_task,
    complete_task,
    customer_contact_kinds,
    release_task,
    tasklist_page,
)
from webforms.api import shown
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.cursors import task_cursor, task_offset
from webforms.api.problems import problem
from webforms.api.schemas import (
    CompleteTaskSchema,
    TaskListArgs,
    TaskPageSchema,
    TaskSchema,
    TaskSummarySchema,
)
from webforms.database import read_only, runtime, unit_of_work
from webforms.people.access_records import record_unmasked_view
from webforms.people.auth import can_do
from webforms.people.masking import hide_customer_of, show_customer_in_full
from webforms.reference.labels import form_fields
from webforms.request_log import note_case
from webforms.work.staff_picker import with_staff_options
from webforms.work.tasks import task_filter_of

blp = api_blueprint("tasks", "/tasks", "Tasks: list, read with the form, claim, release, complete")
# Task ids are 32-bit integer columns (PostgreSQL refuses a larger number in a comparison): the
# document says so, and a larger id matches no route (404).
TASK = f"/<int(min=1, max={2**31 - 1}):task_id>"
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The case's ETag (its version) as read: a newer case answers 412",
}


def _tabs() -> list[str]:
    return [t for t in TABS if t != "all" or current_user.has_role(*SUPERVISING_ROLES)]


def _filter(args: dict[str, Any]) -> TaskFilter:
    """The tasklist page's filters, from the API's arguments."""
    named = {
        "process": "procedure",
        "category": "category",
        "department": "department",
        "due": "due",
        "q": "q",
    }
    return task_filter_of({page: str(args.get(api) or "") for page, api in named.items()})[0]


@blp.route("", methods=["GET"])
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskPageSchema)
@needs_scope("tasks:work")
def tasklist(args: dict[str, Any]) -> Any:
    """Open tasks of the client's groups (tab todo, mine, group; all for supervising roles), most
    urgent first, a page at a time."""
    tab, tabs = args["tab"], _tabs()
    if tab not in tabs:
        abort(403)
    groups = current_user.roles
    if args.get("group"):
        if args["group"] not in groups:
            abort(problem(403, _("Not allowed"), _("This API client does not act for that group.")))
        groups = frozenset({args["group"]})
    offset, limit = task_offset(args.get("cursor")), args["limit"]
    with read_only() as uow:
        found = tasklist_page(
            uow.session, tab, tabs, current_user.username, groups, limit, offset, _filter(args)
        )
        items = [shown.task_summary(t) for t in found.tasks]
    return {"items": items, "next_cursor": task_cursor(offset + limit) if found.more else None}


def _task(session: Session, task_id: int) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        abort(404)
    if not can_do(task) and not current_user.has_role(*SUPERVISING_ROLES):
        abort(403)
    note_case(task.instance.case_number)
    return task


@blp.route(TASK, methods=["GET"])
@blp.response(200, TaskSchema)
@needs_scope("tasks:work")
def read_task(task_id: int) -> Any:
    """One task with its form's fields and their current values; the ETag is the case's version."""
    with read_only() as uow:
        task = _task(uow.session, task_id)
        instance = task.instance
        parsed = parsed_definition(runtime(), instance.definition)
        hide_customer_of(instance)  # a confidential complainant, as on the pages (C7)
        show_customer_in_full(customer_contact_kinds(uow.session, runtime(), instance, current_user.actor))
        info = parsed.user_tasks.get(task.element_id)
        fields = with_staff_options(uow.session, form_fields(info.fields)) if info else ()
        case_fields = fields_by_id(parsed)
        values = {**initial_values(fields, instance.data), **(task.draft or {})}
        body = {
            **shown.task_summary(task),
            "case_version": instance.version,
            "fields": [shown.form_field(f) for f in fields],
            "values": shown.masked_values(values, case_fields),
        }
        instance_id, data, tag = instance.id, instance.data, shown.etag(instance)
    record_unmasked_view(instance_id, data, "api_task", case_fields)
    return body, 200, {"ETag": tag}


def _check_if_match(task: HumanTask) -> None:
    given = request.headers.get("If-Match")
    if given is None:
        return
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    if "*" not in tags and shown.etag(task.instance) not in tags:
        abort(
            problem(
                412,
                _("The case has changed"),
                _("The case was changed since you read it. Read it again and decide anew."),
                code="changed",
                headers={"ETag": shown.etag(task.instance)},
            )
        )


@blp.route(TASK + "/complete", methods=["POST"])
@blp.arguments(CompleteTaskSchema)
@blp.response(200, TaskSummarySchema)
@blp.doc(parameters=[IF_MATCH])
@needs_scope("tasks:work")
def complete(body: dict[str, Any], task_id: int) -> Any:
    """Complete the task with its form's values (refused values: 422 with the fields; someone was
    quicker: 409; the case changed since the If-Match version: 412)."""
    with unit_of_work() as uow:
        task = _task(uow.session, task_id)
        _check_if_match(task)
        instance = complete_task(uow, task_id, current_user.actor, body["values"])
        uow.session.refresh(task)
        result, tag = shown.task_summary(task), shown.etag(instance)
        uow.commit()
    return result, 200, {"ETag": tag}


@blp.route(TASK + "/claim", methods=["POST"])
@blp.response(200, TaskSummarySchema)
@needs_scope("tasks:work")
def claim(task_id: int) -> Any:
    """Take the task: others of its groups no longer see it to do (someone was quicker: 409)."""
    with unit_of_work() as uow:
        task = claim_task(uow, task_id, current_user.actor)
        result = shown.task_summary(task)
        uow.commit()
    return result


@blp.route(TASK + "/release", methods=["POST"])
@blp.response(200, TaskSummarySchema)
@needs_scope("tasks:work")
def release(task_id: int) -> Any:
    """Give a claimed task back to its groups."""
    with unit_of_work() as uow:
        task = release_task(uow, task_id, current_user.actor)
        result = shown.task_summary(task)
        uow.commit()
    return result
