"""In-app messages to staff (L2 urgent notices to a department head, chases) and marking them read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import parsed_definition, readable_cases
from engine.db import ProcessDefinition, ProcessInstance
from engine.people import cases_named_in
from engine.work import case_numbers, mark_notifications_read, notifications_for, unread_count
from webforms.database import read_only, reading_session, runtime, unit_of_work
from webforms.people.access_records import record_cases_shown

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@login_required
def index() -> Any:
    with read_only() as uow:
        found = notifications_for(uow.session, current_user.username)
        numbers = case_numbers(
            uow.session, sorted({n.instance_id for n in found if n.instance_id is not None})
        )
        # A diagram may name the customer in a message (L2: the urgent notice to the department head, who
        # must know where to send people): each case so named on the page is recorded (M6).
        texts: dict[int, list[str]] = {}
        for n in found:
            if n.instance_id is not None:
                texts.setdefault(n.instance_id, []).extend((n.message, n.message_en or ""))
        named = cases_named_in(uow.session, texts, _declared_personal)
        page = render_template(
            "work/notifications.html",
            notifications=found,
            case_numbers=numbers,
            openable=_openable(uow.session, list(numbers)),
        )
    record_cases_shown(named, "notifications")
    return page


def _declared_personal(definition: ProcessDefinition) -> list[str]:
    """The fields the case's diagram declares personal data (property `personal`)."""
    return list(parsed_definition(runtime(), definition).personal_fields)


def _openable(session: Session, instance_ids: list[int]) -> set[int]:
    """Of the cases the messages name, those this person may open: the others are named without a
    link (it would answer 404: engine.cases.may_read_case)."""
    readable = readable_cases(current_user.actor)
    if readable is None or not instance_ids:
        return set(instance_ids)
    return set(
        session.scalars(select(ProcessInstance.id).where(ProcessInstance.id.in_(instance_ids), readable))
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int) -> Any:
    with unit_of_work() as uow:
        mark_notifications_read(uow, current_user.username, notification_id)
        uow.commit()
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all() -> Any:
    with unit_of_work() as uow:
        mark_notifications_read(uow, current_user.username)
        uow.commit()
    return redirect(url_for("notifications.index"))


def init_app(app: Flask) -> None:
    @app.context_processor
    def _unread() -> dict[str, Any]:
        if current_user.is_authenticated:
            return {"unread_notifications": unread_count(reading_session(), current_user.username)}
        return {"unread_notifications": 0}
