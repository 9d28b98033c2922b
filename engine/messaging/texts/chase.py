"""C4 督办: a task's deadline passed; its department's supervisors are chased."""

from __future__ import annotations

from engine.messages import N_, Translate
from engine.messaging.texts.composed import Composed, Wording, fill

SUBJECT = N_("Overdue: case %(case)s")
TEXT = N_("Overdue: task “%(task)s” of case %(case)s was due %(due)s. Please see that it is done.")


def compose_chase(
    case_number: str, task: str, due: str, translate: Translate, wording: Wording | None = None
) -> Composed:
    params = {"case": case_number, "task": task, "due": due}
    return fill((SUBJECT, TEXT), params, translate, wording, (case_number, task, due))
