"""Field work on a phone (R3, R4): a repair worker's jobs with the address and a map link, and one tap
to record a time (arrived, done) where the step asks for nothing else.

The address and phone of a job are what the worker needs to get there, so this page shows them in
full to the job's group, and records each such view (M6).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.cases.runner import complete_task
from engine.db.models import HumanTask
from engine.people.access_log import holds_personal_data, record_access
from engine.processes.deployment import parsed_definition
from engine.runtime import Actor
from engine.work.claims import claim_task
from engine.work.tasklist import open_tasks_for
from webforms.database import commit, db, runtime
from webforms.views_support import can_do, task_label

bp = Blueprint("field", __name__, url_prefix="/field")
FIELD_ROLES = ("repair_worker",)


def _one_tap_field(task: HumanTask) -> str | None:
    """The field of a form that asks only for a time (e.g. 'arrived at'), which a tap can fill with now."""
    info = parsed_definition(runtime(), task.instance.definition).user_tasks.get(task.element_id)
    if info is None or len(info.fields) != 1 or info.fields[0].type != "datetime":
        return None
    return info.fields[0].id


def map_link(address: str) -> str:
    return f"https://uri.amap.com/search?keyword={quote(address)}"


@bp.route("")
@login_required
def jobs() -> Any:
    if not current_user.has_role(*FIELD_ROLES):
        abort(403)
    tasks = open_tasks_for(db(), "todo", current_user.username, current_user.roles, 100)
    for task in tasks:
        if holds_personal_data(task.instance.data):
            record_access(db(), runtime().clock, current_user.username, task.instance_id, "field")
    commit()
    jobs = [(task, _one_tap_field(task)) for task in tasks]
    return render_template("work/field.html", jobs=jobs, now=runtime().clock.now(), map_link=map_link)


@bp.route("/<int:task_id>/now", methods=["POST"])
@login_required
def record_now(task_id: int) -> Any:
    task = db().get(HumanTask, task_id)
    if task is None or not can_do(task):
        abort(404 if task is None else 403)
    field_id = _one_tap_field(task)
    if field_id is None:
        abort(400)
    local_now = runtime().clock.now().astimezone(runtime().zone).strftime("%Y-%m-%dT%H:%M")
    instance = complete_task(db(), runtime(), task_id, current_user.actor, {field_id: local_now})
    _claim_next_steps(instance.id, current_user.actor)
    commit()
    flash(
        _(
            "“%(name)s” recorded at %(time)s for case %(case)s.",
            name=task_label(task),
            time=local_now[11:],
            case=instance.case_number,
        ),
        "success",
    )
    return redirect(url_for("field.jobs"))


def _claim_next_steps(instance_id: int, actor: Actor) -> None:
    """A job the worker has arrived at is theirs: the case's next open steps for their groups (the
    on-site report) are claimed for them, so nobody else picks them up and the form says so."""
    now = runtime().clock.now()
    for task in db().scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open", HumanTask.assignee.is_(None)
        )
    ):
        if set(task.candidate_groups.split(",")) & actor.groups:
            claim_task(db(), task.id, actor, now)


def from_field() -> bool:
    """Whether the task form was opened from the field page (so completing it leads back there)."""
    return request.values.get("back") == "field" and current_user.has_role(*FIELD_ROLES)
