"""Field work on a phone (R3, R4): a repair worker's jobs with the address and a map link, and one tap
to record a time (arrived, done) where the step asks for nothing else.

The address and phone of a job are what the worker needs to get there, so this page shows them in
full to the job's group, and records each such view (M6); a confidential complainant (C7) is reached
through the hotline only, so a job of such a case shows `***` instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.db import HumanTask
from engine.people import holds_personal_data, identity_hidden, record_case_view, without_identity
from engine.work import arrive_on_site, one_tap_field, open_tasks_for
from webforms.database import read_only, runtime, unit_of_work
from webforms.diagram_names import task_label
from webforms.people.auth import can_do

bp = Blueprint("field", __name__, url_prefix="/field")
FIELD_ROLES = ("repair_worker",)


def map_link(address: str) -> str:
    return f"https://uri.amap.com/search?keyword={quote(address)}"


def _hidden(task: HumanTask) -> bool:
    return identity_hidden(task.instance.data or {}, task.instance.opened_by, current_user.actor)


def job_data(task: HumanTask) -> dict[str, Any]:
    """The case data a job shows: a confidential complainant's name, phone and address as `***` (C7)."""
    data = task.instance.data or {}
    return without_identity(data) if _hidden(task) else dict(data)


@bp.route("")
@login_required
def jobs() -> Any:
    if not current_user.has_role(*FIELD_ROLES):
        abort(403)
    with read_only() as uow:
        tasks = open_tasks_for(uow.session, "todo", current_user.username, current_user.roles, 100)
        jobs = [(task, one_tap_field(runtime(), task)) for task in tasks]
        page = render_template(
            "work/field.html", jobs=jobs, now=runtime().clock.now(), map_link=map_link, job_data=job_data
        )
        shown = [
            task.instance_id
            for task in tasks
            if holds_personal_data(task.instance.data) and not _hidden(task)
        ]
    if shown:
        with unit_of_work() as uow:
            for instance_id in shown:
                record_case_view(uow, current_user.username, instance_id, "field")
            uow.commit()
    return page


@bp.route("/<int:task_id>/now", methods=["POST"])
@login_required
def record_now(task_id: int) -> Any:
    with unit_of_work() as uow:
        task = uow.session.get(HumanTask, task_id)
        if task is None or not can_do(task):
            abort(404 if task is None else 403)
        if one_tap_field(runtime(), task) is None:
            abort(400)
        name = task_label(task)
        arrival = arrive_on_site(uow, task_id, current_user.actor)
        message = _(
            "“%(name)s” recorded at %(time)s for case %(case)s.",
            name=name,
            time=arrival.recorded_at[11:],
            case=arrival.instance.case_number,
        )
        uow.commit()
    flash(message, "success")
    return redirect(url_for("field.jobs"))


def from_field() -> bool:
    """Whether the task form was opened from the field page (so completing it leads back there)."""
    return request.values.get("back") == "field" and current_user.has_role(*FIELD_ROLES)
