"""群体性诉求: many calls from one building, to the supervisors' and the operations department's phones."""

from __future__ import annotations

from engine.messages import N_, Translate, say
from engine.messaging.texts.composed import Composed

_SUBJECT = N_("Group alert: %(building)s")
_TEXT = N_("Group alert: %(calls)s calls from %(building)s within %(hours)s hours (latest case %(case)s).")


def compose_group_alert(
    building: str, calls: int, hours: str, case_number: str, translate: Translate
) -> Composed:
    params = {"building": building, "calls": calls, "hours": hours, "case": case_number}
    return Composed(
        say(_SUBJECT, params, translate),
        say(_TEXT, params, translate),
        (building[:60], str(calls), hours, case_number),
    )
