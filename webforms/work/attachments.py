"""Attaching files to a case from a task (photos from site, scans) and reading them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.cases import MAX_BYTES, AttachmentRefused, read_attachment
from engine.db import Attachment, HumanTask, ProcessInstance
from engine.people import record_case_view
from engine.work import attach_file, is_signature
from webforms.case_access import check_case_readable
from webforms.database import read_only, runtime, unit_of_work
from webforms.error_messages import message_for
from webforms.errors import refusals
from webforms.people.auth import can_do

bp = Blueprint("attachments", __name__)


def attachment_folder() -> Path:
    folder = runtime().attachment_folder
    if folder is None:
        raise RuntimeError("the runtime has no attachment folder")
    return folder


def _refused(refused: AttachmentRefused, task_id: int) -> Any:
    flash(message_for(refused), "error")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/attachments", methods=["POST"])
@login_required
@refusals({AttachmentRefused: _refused})
def upload(task_id: int) -> Any:
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload is not None else b""
    with unit_of_work() as uow:
        task = uow.session.get(HumanTask, task_id)
        if task is None:
            abort(404)
        if not can_do(task) or task.status != "open":
            abort(403)
        attach_file(uow, task_id, upload.filename if upload else "", data, current_user.username)
        message = _("File attached to case %(case)s.", case=task.instance.case_number)
        uow.commit()
    flash(message, "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Any:
    with read_only() as uow:
        attachment = uow.session.get(Attachment, attachment_id)
        # A file of a case the user may not open is not found, like the case itself.
        check_case_readable(uow.session, attachment.instance_id if attachment is not None else None)
        assert attachment is not None
        instance = uow.session.get(ProcessInstance, attachment.instance_id)
        # A customer's signature is personal data (M6).
        signature = is_signature(runtime(), instance, attachment.id)
        data = read_attachment(attachment_folder(), attachment)
        content_type, file_name, instance_id = attachment.content_type, attachment.file_name, instance.id
    if signature:
        with unit_of_work() as uow:
            record_case_view(uow, current_user.username, instance_id, "attachment")
            uow.commit()
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(file_name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
