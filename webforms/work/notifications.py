"""In-app messages to staff (L2 urgent notices to a department head, chases) and marking them read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_login import current_user, login_required

from engine.people.access_log import cases_named_in, record_list_access
from engine.work.messages import case_numbers, mark_read, notifications_for, unread_count
from webforms.database import commit, db, runtime

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@login_required
def index() -> Any:
    found = notifications_for(db(), current_user.username)
    numbers = case_numbers(db(), sorted({n.instance_id for n in found if n.instance_id is not None}))
    # A diagram may name the customer in a message (L2: the urgent notice to the department head, who
    # must know where to send people): each case so named on the page is recorded (M6).
    texts: dict[int, list[str]] = {}
    for n in found:
        if n.instance_id is not None:
            texts.setdefault(n.instance_id, []).extend((n.message, n.message_en or ""))
    record_list_access(
        db(), runtime().clock, current_user.username, cases_named_in(db(), texts), "notifications"
    )
    commit()
    return render_template("work/notifications.html", notifications=found, case_numbers=numbers)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int) -> Any:
    mark_read(db(), current_user.username, runtime().clock.now(), notification_id)
    commit()
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all() -> Any:
    mark_read(db(), current_user.username, runtime().clock.now())
    commit()
    return redirect(url_for("notifications.index"))


def init_app(app: Flask) -> None:
    @app.context_processor
    def _unread() -> dict[str, Any]:
        if current_user.is_authenticated:
            return {"unread_notifications": unread_count(db(), current_user.username)}
        return {"unread_notifications": 0}
