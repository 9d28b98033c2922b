"""The engine's messages about diagrams on the process owners' pages: validation problems, changes
between versions, why a case cannot move, and a deploy that lost the race for its version number.

The templates live where the engine says them (engine/processes/validation.py, engine/processes/diff.py,
engine/processes/migration.py, engine/errors.py), marked with `N_` so the catalogs hold them; this
module only says them through the catalogs (webforms/i18n.py `translated`)."""

from __future__ import annotations

from flask_babel import lazy_gettext

from engine.errors import Conflict
from engine.processes import MESSAGES, DiagramProblem
from webforms.error_messages import message_for
from webforms.i18n import translated

# Each problem's template by code, translated when used: for a page's script that says a problem
# before the server is asked (the size limit of an upload).
PROBLEM_MESSAGES = {code: lazy_gettext(template) for code, template in MESSAGES.items()}


def problem_as_dict(problem: DiagramProblem) -> dict[str, str | None]:
    """For a page's script (the modeler marks the faulty elements): the message in the user's language."""
    return {
        "element_id": problem.element_id,
        "element_name": problem.element_name,
        "code": problem.code,
        "message": translated(problem),
        "process_key": problem.process_key,
    }


def deploy_conflict(err: Conflict) -> str:
    """A deploy that lost the race for its version number (engine.processes.deployment.deploy), in words."""
    return message_for(err)
