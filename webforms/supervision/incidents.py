"""Incidents: timers whose firing failed and SMS or e-mail that could not be sent, and retrying them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.cases import (
    call_incidents,
    case_number_of_timer,
    external_incidents,
    retry_case_call,
    timers_by_state,
)
from engine.messaging import failed_messages, retry_failed_message
from engine.supervision import retry_incident
from engine.unit_of_work import UnitOfWork
from engine.work import retry_external_task_incident
from webforms.database import read_only, runtime, unit_of_work
from webforms.people.auth import roles_required

bp = Blueprint("supervise", __name__)


@bp.route("/incidents")
@roles_required("supervisor", "admin")
def incidents() -> Any:
    """Timers whose firing failed (with the error) and timers past due that have not fired yet."""
    now = runtime().clock.now()
    with read_only() as uow:
        state = timers_by_state(uow.session, now)
        return render_template(
            "supervision/incidents.html",
            failed=state["failed"],
            overdue=state["overdue"],
            failed_messages=failed_messages(uow.session),
            external=external_incidents(uow.session),
            calls=call_incidents(uow.session),
            now=now,
        )


@bp.route("/incidents/<int:timer_id>/retry", methods=["POST"])
@roles_required("supervisor", "admin")
def retry(timer_id: int) -> Any:
    with unit_of_work() as uow:
        if not retry_incident(uow, timer_id, current_user.username):
            abort(404)
        back = _back_after_retry(uow, timer_id)
        uow.commit()
    flash(_("The timer will fire again on the scheduler's next round."), "success")
    return redirect(back)


@bp.route("/incidents/messages/<int:message_id>/retry", methods=["POST"])
@roles_required("supervisor", "admin")
def retry_message(message_id: int) -> Any:
    """Send a failed SMS or e-mail again: after a refusal was fixed, or deciding that one a stopped
    sender may have sent did not go out."""
    with unit_of_work() as uow:
        if not retry_failed_message(uow, message_id, current_user.username):
            abort(404)
        uow.commit()
    flash(_("The message goes out on the sender's next round."), "success")
    return redirect(url_for("supervise.incidents", _anchor="failed-messages"))


@bp.route("/incidents/external/<int:task_id>/retry", methods=["POST"])
@roles_required("supervisor", "admin")
def retry_external(task_id: int) -> Any:
    """Offer an external task whose retries ran out to the workers again (one more try)."""
    with unit_of_work() as uow:
        if not retry_external_task_incident(uow, task_id, current_user.username):
            abort(404)
        number = next((n for row, n in external_incidents(uow.session) if row.id == task_id), None)
        uow.commit()
    flash(_("The external task is offered to the workers again."), "success")
    if request.form.get("back") == "case" and number:
        return redirect(url_for("cases.show", case_number=number))
    return redirect(url_for("supervise.incidents", _anchor="external-tasks"))


@bp.route("/incidents/calls/<int:link_id>/retry", methods=["POST"])
@roles_required("supervisor", "admin")
def retry_call(link_id: int) -> Any:
    """Open the case a call activity could not open, once its procedure is deployed (failing again,
    the incident stays with the new error)."""
    with unit_of_work() as uow:
        if retry_case_call(uow.session, uow.runtime, link_id, current_user.actor) is None:
            abort(404)
        still = any(row.id == link_id for row, _number in call_incidents(uow.session))
        uow.commit()
    if still:
        flash(_("The procedure is still not deployed: deploy it first, then retry."), "error")
    else:
        flash(_("The called case is open."), "success")
    return redirect(url_for("supervise.incidents", _anchor="failed-calls"))


def _back_after_retry(uow: UnitOfWork, timer_id: int) -> str:
    """Back to where the retry was pressed: the board, the case's page or the incidents."""
    back = request.form.get("back")
    if back == "board":
        return url_for("board.index")
    if back == "case":
        return url_for("cases.show", case_number=case_number_of_timer(uow.session, timer_id))
    return url_for("supervise.incidents")
