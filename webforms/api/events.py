"""Messages and signals from outside: a message reaches the one step waiting for it in the case named
by number or by correlation keys (none: 404; more than one: 409); a signal reaches every case waiting
for it. Both go through the engine's use cases, each request one unit of work."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from engine.work import send_message, send_signal
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.schemas import MessageResultSchema, MessageSchema, SignalResultSchema, SignalSchema
from webforms.database import unit_of_work
from webforms.request_log import note_case

messages_blp = api_blueprint(
    "messages", "/messages", "Messages: correlate a message to the case waiting for it"
)
signals_blp = api_blueprint("signals", "/signals", "Signals: reach every case waiting for a signal")


@messages_blp.route("", methods=["POST"])
@messages_blp.arguments(MessageSchema)
@messages_blp.response(200, MessageResultSchema)
@needs_scope("messages:send")
def message(body: dict[str, Any]) -> Any:
    """Deliver the message to the one step that waits for it (a receive task, a message catch or
    boundary event) in the case named by caseNumber and/or correlationKeys; its variables go into the
    case and the case goes on. Nothing waits: 404; more than one step: 409."""
    with unit_of_work() as uow:
        instance = send_message(
            uow,
            current_user.actor,
            body["message_name"],
            body.get("case_number"),
            body["correlation_keys"],
            body["variables"],
        )
        note_case(instance.case_number)
        result = {"case_number": instance.case_number, "case_status": instance.status}
        uow.commit()
    return result


@signals_blp.route("", methods=["POST"])
@signals_blp.arguments(SignalSchema)
@signals_blp.response(200, SignalResultSchema)
@needs_scope("messages:send")
def signal(body: dict[str, Any]) -> Any:
    """Deliver the signal to every step waiting for it, in every case; the cases it reached (none: an
    empty list, not an error: a signal is broadcast)."""
    with unit_of_work() as uow:
        numbers = send_signal(uow, current_user.actor, body["name"])
        uow.commit()
    return {"case_numbers": numbers}
