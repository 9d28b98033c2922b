"""L2: the urgent liaison report, to the department head's phone as well as the app."""

from __future__ import annotations

from engine.messages import N_, Translate
from engine.messaging.texts.composed import Composed, Wording, fill

SUBJECT = N_("Urgent: case %(case)s")
TEXT = N_("Urgent, case %(case)s: %(message)s")


def compose_urgent_report(
    case_number: str, message: str, translate: Translate, wording: Wording | None = None
) -> Composed:
    """`message`: the diagram's notification text, already in the recipient's language."""
    params = {"case": case_number, "message": message}
    return fill((SUBJECT, TEXT), params, translate, wording, (case_number, message[:60]))
