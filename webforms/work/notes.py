"""Notes on a case from its page or a task page: added, never edited or deleted (engine.work.notes).

A note that cannot be kept (empty, too long) comes back with its text in the box and the reason; the
text waits in the signed-in user's session until the note is added or the box is emptied."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.work import NoteRefused, case_by_number, write_note
from webforms.case_access import check_case_readable
from webforms.database import unit_of_work
from webforms.error_messages import message_for

bp = Blueprint("notes", __name__)

DRAFTS = "note_drafts"
MAX_KEPT_DRAFTS = 5  # the session cookie stays small


def note_draft(case_number: str) -> str:
    """The text of a note on this case that was refused, to show again in the box."""
    drafts = session.get(DRAFTS) or {}
    return str(drafts.get(case_number, ""))


def _keep_draft(case_number: str, text: str) -> None:
    drafts = {k: v for k, v in (session.get(DRAFTS) or {}).items() if k != case_number}
    if text:
        drafts[case_number] = text
    session[DRAFTS] = dict(list(drafts.items())[-MAX_KEPT_DRAFTS:])


def _back(case_number: str) -> str:
    back = request.form.get("back", "")
    if back.startswith("/tasks/") and back[len("/tasks/") :].isdigit():
        return back
    return url_for("cases.show", case_number=case_number)


@bp.route("/cases/<case_number>/notes", methods=["POST"])
@login_required
def add(case_number: str) -> Any:
    text = request.form.get("text", "")
    with unit_of_work() as uow:
        instance = case_by_number(uow.session, case_number)
        check_case_readable(uow.session, instance.id if instance is not None else None)
        try:
            write_note(uow, case_number, current_user.actor, text)
        except NoteRefused as refused:
            uow.rollback()
            _keep_draft(case_number, text[:20_000])
            flash(message_for(refused), "error")
            return redirect(_back(case_number))
        uow.commit()
    _keep_draft(case_number, "")
    flash(_("Note added to case %(case)s.", case=case_number), "success")
    return redirect(_back(case_number))
