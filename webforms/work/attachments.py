"""Attaching files to a case from a task (photos from site, scans) and reading them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine.db.models import Attachment, HumanTask, ProcessInstance
from engine.people.access_log import record_access
from engine.work.attachment_access import is_signature, may_read_files
from engine.work.attachments import MAX_BYTES, AttachmentRefused, add_attachment, read_attachment
from webforms.database import commit, db, runtime
from webforms.views_support import can_do

bp = Blueprint("attachments", __name__)
REFUSALS = {
    "empty": _l("Choose a file to attach."),
    "too_large": _l("The file is larger than %(mb)s MB."),
    "not_allowed": _l("Only photos (JPEG, PNG) and PDF files can be attached."),
}


def attachment_folder() -> Path:
    folder = runtime().attachment_folder
    assert folder is not None  # create_app refuses a runtime without one
    return folder


@bp.route("/tasks/<int:task_id>/attachments", methods=["POST"])
@login_required
def upload(task_id: int) -> Any:
    task = db().get(HumanTask, task_id)
    if task is None:
        abort(404)
    if not can_do(task) or task.status != "open":
        abort(403)
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload is not None else b""
    try:
        add_attachment(
            db(),
            attachment_folder(),
            task.instance_id,
            task.id,
            upload.filename if upload else "",
            data,
            current_user.username,
            runtime().clock.now(),
        )
    except AttachmentRefused as refused:
        db().rollback()
        flash(str(REFUSALS[refused.code]) % {"mb": MAX_BYTES // (1024 * 1024)}, "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    commit()
    flash(_("File attached to case %(case)s.", case=task.instance.case_number), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Any:
    attachment = db().get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    if not may_read_files(
        db(),
        attachment.instance_id,
        current_user.username,
        current_user.roles,
        current_user.sees_personal_data,
    ):
        abort(403)
    instance = db().get(ProcessInstance, attachment.instance_id)
    if is_signature(runtime(), instance, attachment.id):  # a customer's signature is personal data (M6)
        record_access(db(), runtime().clock, current_user.username, instance.id, "attachment")
        commit()
    data = read_attachment(attachment_folder(), attachment)
    response = Response(data, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(attachment.file_name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
