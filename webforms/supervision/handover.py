"""The shift handover (M7, O3): the live picture for the next shift and the handover records the
scheduler prepares at each shift change, completed by the outgoing and acknowledged by the incoming shift."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.errors import Conflict
from engine.supervision import (
    HandoverNotAllowed,
    acknowledge_handover,
    get_record,
    hand_over_shift,
    in_flood_season,
    open_cases_of,
    overdue_tasks,
    recent_records,
)
from webforms.database import read_only, runtime, unit_of_work
from webforms.diagram_names import process_choices
from webforms.error_messages import message_for
from webforms.errors import refusals
from webforms.people.auth import roles_required
from webforms.reference.labels import reference_name
from webforms.request_checks import int_arg

bp = Blueprint("handover", __name__, url_prefix="/handover")

HANDOVER_ROLES = ("operator", "dispatcher", "supervisor", "admin")
NOTES_LIMIT = 4000
PAGE_SIZE = 30


@bp.app_context_processor
def _handover_roles() -> dict[str, Any]:
    return {"handover_roles": HANDOVER_ROLES}


STATUS_LABELS = {
    "prepared": _l("Waiting for the outgoing shift"),
    "handed_over": _l("Handed over, not yet acknowledged"),
    "acknowledged": _l("Acknowledged"),
}


@bp.route("")
@roles_required(*HANDOVER_ROLES)
def current() -> Any:
    """The shift's handover and the live picture: cases of every department, so only for the roles
    that read every case (docs/access.md)."""
    now = runtime().clock.now()
    with read_only() as uow:
        latest = recent_records(uow.session, limit=1)
        return render_template(
            "supervision/handover.html",
            record=latest[0] if latest else None,
            **_record_context(),
            outages=open_cases_of(uow.session, "outage"),
            complaints=open_cases_of(uow.session, "complaint"),
            overdue=overdue_tasks(uow.session, now),
            now=now,
        )


@bp.route("/records")
@roles_required(*HANDOVER_ROLES)
def records() -> Any:
    page = int_arg("page", 1) or 1
    with read_only() as uow:
        rows = recent_records(uow.session, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        return render_template(
            "supervision/handover_records.html",
            records=rows[:PAGE_SIZE],
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            status_labels=STATUS_LABELS,
        )


@bp.route("/records/<int:record_id>")
@roles_required(*HANDOVER_ROLES)
def show(record_id: int) -> Any:
    with read_only() as uow:
        return render_template(
            "supervision/handover_record.html", record=get_record(uow.session, record_id), **_record_context()
        )


def _handed_over_first(err: Conflict, record_id: int) -> Any:
    flash(
        _("%(user)s handed this shift over first; nothing was changed.", user=err.params.get("by")), "error"
    )
    return redirect(url_for("handover.show", record_id=record_id))


@bp.route("/records/<int:record_id>/hand-over", methods=["POST"])
@roles_required(*HANDOVER_ROLES)
@refusals({Conflict: _handed_over_first})
def submit(record_id: int) -> Any:
    notes = request.form.get("notes", "").strip()
    flood_notes = request.form.get("flood_notes", "").strip()
    with unit_of_work() as uow:
        record = get_record(uow.session, record_id)
        errors = _notes_errors(notes, flood_notes, in_flood_season(record, runtime().zone))
        if errors:
            return render_template(
                "supervision/handover_record.html",
                record=record,
                errors=errors,
                typed=request.form,
                **_record_context(),
            ), 400
        hand_over_shift(uow, record_id, current_user.username, notes, flood_notes)
        uow.commit()
    flash(_("Handed over. The incoming shift acknowledges it."), "success")
    return redirect(url_for("handover.show", record_id=record_id))


def _acknowledged_first(err: Conflict, record_id: int) -> Any:
    flash(
        _("%(user)s acknowledged this handover first; nothing was changed.", user=err.params.get("by")),
        "error",
    )
    return redirect(url_for("handover.show", record_id=record_id))


def _not_allowed(refused: HandoverNotAllowed, record_id: int) -> Any:
    flash(message_for(refused), "error")
    return redirect(url_for("handover.show", record_id=record_id))


@bp.route("/records/<int:record_id>/acknowledge", methods=["POST"])
@roles_required(*HANDOVER_ROLES)
@refusals({Conflict: _acknowledged_first, HandoverNotAllowed: _not_allowed})
def confirm(record_id: int) -> Any:
    with unit_of_work() as uow:
        acknowledge_handover(uow, record_id, current_user.username)
        uow.commit()
    flash(_("Handover acknowledged."), "success")
    return redirect(url_for("handover.show", record_id=record_id))


def _notes_errors(notes: str, flood_notes: str, flood_season: bool) -> dict[str, str]:
    errors = {}
    if not notes:
        errors["notes"] = _("Write what the next shift must know (or “nothing further”).")
    elif len(notes) > NOTES_LIMIT:
        errors["notes"] = _("Enter at most %(max)s characters.", max=NOTES_LIMIT)
    if flood_season and not flood_notes:
        errors["flood_notes"] = _("From May to September the flood-prevention record is required.")
    elif len(flood_notes) > NOTES_LIMIT:
        errors["flood_notes"] = _("Enter at most %(max)s characters.", max=NOTES_LIMIT)
    return errors


def _record_context() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "flood_season": lambda record: in_flood_season(record, runtime().zone),
        "may_act": current_user.has_role(*HANDOVER_ROLES),
        "ref_name": reference_name,
        "process_names": dict(process_choices()),
    }
