"""The tasklist and the task form: staff see their groups' open tasks and complete them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from engine.bpmn import fields_by_id, initial_values
from engine.cases import (
    PAUSE_REASONS,
    attachments_of,
    case_history,
    instance_parts,
    parsed_definition,
    task_by_id,
)
from engine.db import HumanTask, User
from engine.errors import FormInvalid, NotFound
from engine.work import (
    COUNT_LIMIT,
    MAX_NOTE_LENGTH,
    SUPERVISING_ROLES,
    TABS,
    TaskFilter,
    claim_task,
    complete_task,
    customer_contact_kinds,
    eligible_assignees,
    group_members,
    hand_task_to_group,
    links_of,
    notes_of,
    pause_task,
    reassign_task,
    release_task,
    resume_task,
    save_task_draft,
    suitable_groups,
    suitable_people,
    tasklist_page,
)
from webforms.database import read_only, reads_sign_in_in_its_unit, runtime, unit_of_work
from webforms.diagram_names import process_choices, task_label
from webforms.errors import form_refused, refusals
from webforms.history_effects import fold_sent_messages
from webforms.i18n import localized_name
from webforms.labels import TASK_STATUS, group_label
from webforms.people.access_records import record_unmasked_view
from webforms.people.auth import can_do
from webforms.people.masking import hide_customer_of, show_customer_in_full
from webforms.people.names import person
from webforms.reference.labels import form_fields, request_reference
from webforms.request_checks import checks_own_input, int_arg, submitted_form
from webforms.request_log import note_case
from webforms.shown_values import local_time
from webforms.work.field import from_field
from webforms.work.notes import note_draft
from webforms.work.staff_picker import promise_limit, with_staff_options

bp = Blueprint("tasks", __name__)
PAGE_SIZE = 50
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")
NOT_HANDED_OVER = _l("The task was not handed over: some values need attention.")
NOT_PAUSED = _l("The clock was not paused: some values need attention.")


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
            count_limit=COUNT_LIMIT,
            more=found.more,
            tab=tab,
            page=page,
            now=runtime().clock.now(),
            chosen=chosen,
            processes=process_choices(),
            reference=request_reference(),
        )


def _task_filter() -> tuple[TaskFilter, dict[str, str]]:
    """The tasklist's filters from the query string; `chosen` keeps them for the form and the links."""
    return task_filter_of(request.args)


def task_filter_of(args: Mapping[str, str]) -> tuple[TaskFilter, dict[str, str]]:
    """The tasklist's filters from its parameters (the page's query string, the API's checked
    arguments under the same names)."""
    chosen = {
        k: args.get(k, "").strip()[:100] for k in ("process", "category", "department", "source", "due", "q")
    }
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
        source=chosen["source"],
        overdue=chosen["due"] == "overdue",
        due_between=whole_day if chosen["due"] == "today" else None,
        text=chosen["q"],
        personal=current_user.sees_personal_data,
        now=now,
    )
    return where, {k: v for k, v in chosen.items() if v}


def _task_for_user(session: Session, task_id: int) -> HumanTask:
    try:
        task = task_by_id(session, task_id)  # with its case, and kept for the use case that follows
    except NotFound:
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
    handover_errors: dict | None = None,
    handover_values: dict | None = None,
    pause_errors: dict | None = None,
    pause_values: dict | None = None,
) -> Any:
    parsed = parsed_definition(runtime(), task.instance.definition)
    hide_customer_of(task.instance)
    show_customer_in_full(customer_contact_kinds(session, runtime(), task.instance, current_user.actor))
    info = parsed.user_tasks.get(task.element_id)
    fields = with_staff_options(session, form_fields(info.fields)) if info else ()
    shown = (
        values if values is not None else {**initial_values(fields, task.instance.data), **(task.draft or {})}
    )
    task_name = localized_name(info) if info else task.name
    handover = _handover_choices(session, task) if current_user.has_role(*SUPERVISING_ROLES) else None
    return render_template(
        "work/task.html",
        task=task,
        now=runtime().clock.now(),
        info=info,
        task_name=task_name,
        fields=fields,
        values=shown,
        errors=errors or {},
        handover=handover,
        promise_limit=promise_limit(session, fields, task.instance.data),
        handover_errors=handover_errors or {},
        handover_values=handover_values or {},
        pause_reasons=PAUSE_REASONS,
        pause_errors=pause_errors or {},
        pause_values=pause_values or {},
        attachments=attachments_of(session, task.instance_id),
        notes=notes_of(session, task.instance_id),
        # The callers of duplicates merged into the case are told the result too (the callback, C5).
        links=links_of(session, task.instance_id),
        max_note_length=MAX_NOTE_LENGTH,
        note_draft=note_draft(task.instance.case_number),
        case=task.instance,
        case_fields=fields_by_id(parsed),
        case_labels=parsed.variable_labels,
        history=fold_sent_messages(case_history(session, task.instance_id)),
        back_to_field=from_field(),
        parts=instance_parts(session, task.instance, parsed),
        parts_info=parsed.user_tasks,
    ), status


@dataclass(frozen=True)
class HandoverChoices:
    """Whom a supervisor may hand a task to: the members of its groups first, then other staff, then
    groups with members (a group without any would leave the task stuck again)."""

    members: list[User]
    others: list[User]
    groups: list[tuple[str, int]]
    nobody_in_groups: bool


def _handover_choices(session: Session, task: HumanTask) -> HandoverChoices:
    members = eligible_assignees(session, task)
    member_names = {u.username for u in members}
    counts = group_members(session)
    return HandoverChoices(
        members=members,
        others=[u for u in suitable_people(session) if u.username not in member_names],
        groups=[(g, counts[g]) for g in suitable_groups(session)],
        nobody_in_groups=not members,
    )


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
        parsed = parsed_definition(runtime(), task.instance.definition)
        page = _render_task(uow.session, task)
        instance_id, data = task.instance_id, task.instance.data
        fields = fields_by_id(parsed)
    record_unmasked_view(instance_id, data, "task", fields)
    return page


def _task_again(task_id: int, **refused: Any) -> Any:
    """The task page again (400) showing a refused form's values and what was wrong with them."""
    with read_only() as uow:
        task = uow.session.get(HumanTask, task_id)
        return _render_task(uow.session, task, status=400, **refused)


def _task_form_again(err: FormInvalid, task_id: int) -> Any:
    return _task_again(task_id, values=err.values, errors=err.errors)


@bp.route("/tasks/<int:task_id>", methods=["POST"])
@reads_sign_in_in_its_unit
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _task_form_again)})
def complete(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = _task_for_user(uow.session, task_id)
        name = task_label(task)
        instance = complete_task(uow, task_id, current_user.actor, _form_values())
        uow.commit()
    # Worded after the commit: on SQLite the unit holds the write lock until then.
    flash(_("Task “%(name)s” of case %(case)s completed.", name=name, case=instance.case_number), "success")
    return redirect(url_for("field.jobs") if from_field() else url_for("tasks.tasklist"))


def _form_values() -> dict[str, Any]:
    """What the form sent for the task's fields (without the page's own `back`)."""
    values = submitted_form()
    values.pop("back", None)
    return values


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@reads_sign_in_in_its_unit
@login_required
def claim(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = claim_task(uow, task_id, current_user.actor)
        message = _("You claimed “%(name)s”.", name=task_label(task))
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@reads_sign_in_in_its_unit
@login_required
def release(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = release_task(uow, task_id, current_user.actor)
        message = _("“%(name)s” is back with its group.", name=task_label(task))
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.tasklist"))


def _pause_again(err: FormInvalid, task_id: int) -> Any:
    return _task_again(task_id, pause_errors=err.errors, pause_values=request.form.to_dict())


@bp.route("/tasks/<int:task_id>/pause", methods=["POST"])
@reads_sign_in_in_its_unit
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_PAUSED, _pause_again)})
def pause(task_id: int) -> Any:
    form = request.form
    with unit_of_work() as uow:
        task = _task_for_user(uow.session, task_id)
        name = task_label(task)
        pause_task(
            uow,
            task_id,
            current_user.actor,
            form.get("reason", ""),
            form.get("note", ""),
            form.get("resume_at", ""),
        )
        uow.commit()
    flash(_("The clock of “%(name)s” is paused.", name=name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/resume", methods=["POST"])
@reads_sign_in_in_its_unit
@login_required
def resume(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = _task_for_user(uow.session, task_id)
        name = task_label(task)
        resumed = resume_task(uow, task_id, current_user.actor)
        due = resumed.due_at
        uow.commit()
    if due is not None:
        flash(
            _("The clock of “%(name)s” runs again; it is now due %(time)s.", name=name, time=local_time(due)),
            "success",
        )
    else:
        flash(_("The clock of “%(name)s” runs again.", name=name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


GROUP_CHOICE = "group:"


def _handover_again(err: FormInvalid, task_id: int) -> Any:
    return _task_again(task_id, handover_errors=err.errors, handover_values=request.form.to_dict())


@bp.route("/tasks/<int:task_id>/reassign", methods=["POST"])
@reads_sign_in_in_its_unit
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_HANDED_OVER, _handover_again)})
def reassign(task_id: int) -> Any:
    """A supervisor hands the task to a person (`assignee` = username) or a group (`group:<code>`),
    with a reason the history keeps."""
    chosen = request.form.get("assignee", "")
    reason = request.form.get("handover_reason", "")
    with unit_of_work() as uow:
        if uow.session.get(HumanTask, task_id) is None:
            abort(404)
        if chosen.startswith(GROUP_CHOICE):
            group = chosen[len(GROUP_CHOICE) :]
            task = hand_task_to_group(uow, task_id, current_user.actor, group, reason)
            message = _("“%(name)s” is now with %(group)s.", name=task_label(task), group=group_label(group))
        else:
            task = reassign_task(uow, task_id, current_user.actor, chosen, reason)
            message = _("“%(name)s” is now with %(user)s.", name=task_label(task), user=person(chosen))
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/draft", methods=["POST"])
@reads_sign_in_in_its_unit
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _task_form_again)})
def draft(task_id: int) -> Any:
    """Keep what was typed without completing the task; the form shows it again next time."""
    with unit_of_work() as uow:
        _task_for_user(uow.session, task_id)
        save_task_draft(uow, task_id, current_user.actor, submitted_form())
        uow.commit()
    flash(_("Draft saved; the task stays open."), "success")
    return redirect(
        url_for("tasks.show", task_id=task_id, back="field")
        if from_field()
        else url_for("tasks.show", task_id=task_id)
    )
