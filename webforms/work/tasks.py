"""The tasklist and the task form: staff see their groups' open tasks and complete them."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from engine.bpmn import fields_by_id, initial_values
from engine.cases import attachments_of, case_history, parsed_definition
from engine.db import HumanTask
from engine.errors import FormInvalid
from engine.work import (
    SUPERVISING_ROLES,
    TABS,
    TaskFilter,
    claim_task,
    complete_task,
    eligible_assignees,
    reassign_task,
    release_task,
    save_task_draft,
    tasklist_page,
)
from webforms.database import read_only, runtime, unit_of_work
from webforms.diagram_names import process_choices, task_label
from webforms.errors import form_refused, refusals
from webforms.i18n import localized_name
from webforms.labels import TASK_STATUS
from webforms.people.access_records import record_unmasked_view
from webforms.people.auth import can_do
from webforms.people.names import person
from webforms.reference.labels import form_fields, request_reference
from webforms.request_checks import checks_own_input, int_arg
from webforms.request_log import note_case
from webforms.work.field import from_field

bp = Blueprint("tasks", __name__)
PAGE_SIZE = 50
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")


@bp.route("/")
@login_required
def home() -> Any:
    return redirect(url_for("tasks.tasklist"))


@bp.route("/tasks")
@login_required
def tasklist() -> Any:
    page = int_arg("page", 1) or 1
    tabs = [t for t in TABS if t != "all" or current_user.has_role(*SUPERVISING_ROLES)]
    tab = request.args.get("tab", "todo")
    if tab not in tabs:
        tab = "todo"
    user, groups = current_user.username, current_user.roles
    where, chosen = _task_filter()
    with read_only() as uow:
        found = tasklist_page(uow.session, tab, tabs, user, groups, PAGE_SIZE, (page - 1) * PAGE_SIZE, where)
        counts = found.counts
        return render_template(
            "work/tasks.html",
            tasks=found.tasks,
            total=counts[tab],
            counts=counts,
            tab=tab,
            page=page,
            page_size=PAGE_SIZE,
            now=runtime().clock.now(),
            chosen=chosen,
            processes=process_choices(),
            reference=request_reference(),
        )


def _task_filter() -> tuple[TaskFilter, dict[str, str]]:
    """The tasklist's filters from the query string; `chosen` keeps them for the form and the links."""
    args = request.args
    chosen = {k: args.get(k, "").strip()[:100] for k in ("process", "category", "department", "due", "q")}
    now = runtime().clock.now()
    today = now.astimezone(runtime().zone).date()
    whole_day = (
        datetime.combine(today, time(0, 0), runtime().zone),
        datetime.combine(today, time(23, 59, 59), runtime().zone),
    )
    where = TaskFilter(
        process_key=chosen["process"],
        category=chosen["category"],
        department=chosen["department"],
        overdue=chosen["due"] == "overdue",
        due_between=whole_day if chosen["due"] == "today" else None,
        text=chosen["q"],
        personal=current_user.sees_personal_data,
        now=now,
    )
    return where, {k: v for k, v in chosen.items() if v}


def _task_for_user(session: Session, task_id: int) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        abort(404)
    # Supervisors may open any task to see it or reassign it; the engine still checks who completes.
    if not can_do(task) and not current_user.has_role(*SUPERVISING_ROLES):
        abort(403)
    note_case(task.instance.case_number)
    return task


def _render_task(
    session: Session,
    task: HumanTask,
    values: dict[str, Any] | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> Any:
    parsed = parsed_definition(runtime(), task.instance.definition)
    info = parsed.user_tasks.get(task.element_id)
    fields = form_fields(info.fields) if info else ()
    shown = (
        values if values is not None else {**initial_values(fields, task.instance.data), **(task.draft or {})}
    )
    task_name = localized_name(info) if info else task.name
    assignees = eligible_assignees(session, task) if current_user.has_role(*SUPERVISING_ROLES) else []
    return render_template(
        "work/task.html",
        task=task,
        info=info,
        task_name=task_name,
        fields=fields,
        values=shown,
        errors=errors or {},
        assignees=assignees,
        attachments=attachments_of(session, task.instance_id),
        case=task.instance,
        case_fields=fields_by_id(parsed),
        case_labels=parsed.variable_labels,
        history=case_history(session, task.instance_id),
        back_to_field=from_field(),
    ), status


@bp.route("/tasks/<int:task_id>", methods=["GET"])
@login_required
def show(task_id: int) -> Any:
    with read_only() as uow:
        task = _task_for_user(uow.session, task_id)
        if task.status != "open":
            flash(
                _("This task is already %(status)s.", status=TASK_STATUS.get(task.status, task.status)),
                "info",
            )
            return redirect(url_for("cases.show", case_number=task.instance.case_number))
        page = _render_task(uow.session, task)
        instance_id, data = task.instance_id, task.instance.data
        fields = fields_by_id(parsed_definition(runtime(), task.instance.definition))
    record_unmasked_view(instance_id, data, "task", fields)
    return page


def _task_form_again(err: FormInvalid, task_id: int) -> Any:
    with read_only() as uow:
        task = uow.session.get(HumanTask, task_id)
        return _render_task(uow.session, task, values=err.values, errors=err.errors, status=400)


@bp.route("/tasks/<int:task_id>", methods=["POST"])
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _task_form_again)})
def complete(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = _task_for_user(uow.session, task_id)
        name = task_label(task)
        instance = complete_task(uow, task_id, current_user.actor, _form_values())
        message = _("Task “%(name)s” of case %(case)s completed.", name=name, case=instance.case_number)
        uow.commit()
    flash(message, "success")
    return redirect(url_for("field.jobs") if from_field() else url_for("tasks.tasklist"))


def _form_values() -> dict[str, Any]:
    """What the form sent for the task's fields (without the page's own `back`)."""
    values = request.form.to_dict()
    values.pop("back", None)
    return values


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = claim_task(uow, task_id, current_user.actor)
        message = _("You claimed “%(name)s”.", name=task_label(task))
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@login_required
def release(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = release_task(uow, task_id, current_user.actor)
        message = _("“%(name)s” is back with its group.", name=task_label(task))
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.tasklist"))


@bp.route("/tasks/<int:task_id>/reassign", methods=["POST"])
@login_required
def reassign(task_id: int) -> Any:
    username = request.form.get("assignee", "")
    with unit_of_work() as uow:
        task = reassign_task(uow, task_id, current_user.actor, username)
        message = _("“%(name)s” is now with %(user)s.", name=task_label(task), user=person(username))
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/draft", methods=["POST"])
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _task_form_again)})
def draft(task_id: int) -> Any:
    """Keep what was typed without completing the task; the form shows it again next time."""
    with unit_of_work() as uow:
        _task_for_user(uow.session, task_id)
        save_task_draft(uow, task_id, current_user.actor, request.form.to_dict())
        uow.commit()
    flash(_("Draft saved; the task stays open."), "success")
    return redirect(
        url_for("tasks.show", task_id=task_id, back="field")
        if from_field()
        else url_for("tasks.show", task_id=task_id)
    )
