"""Incidents: timers whose firing failed, and retrying them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.cases import case_number_of_timer, timers_by_state
from engine.supervision import retry_incident
from engine.unit_of_work import UnitOfWork
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
            "supervision/incidents.html", failed=state["failed"], overdue=state["overdue"], now=now
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


def _back_after_retry(uow: UnitOfWork, timer_id: int) -> str:
    """Back to where the retry was pressed: the board, the case's page or the incidents."""
    back = request.form.get("back")
    if back == "board":
        return url_for("board.index")
    if back == "case":
        return url_for("cases.show", case_number=case_number_of_timer(uow.session, timer_id))
    return url_for("supervise.incidents")
