"""What a page says when the engine refuses: one HTTP status, one title and one message per error.

Every engine error derives from `engine.errors.HotlineError` and carries a code with parameters; the
message is its template said through the catalogs, with a few parameters said better for a person
(a user name as the person's name, a task status in words). The view-level catch block
(webforms/errors.py) calls these functions, so no view maps errors on its own.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.bpmn import DefinitionError, UnsafeXml
from engine.cases import AttachmentRefused
from engine.errors import Conflict, FormInvalid, HotlineError, NotAllowed, NotFound, ScriptFailed
from engine.processes import InvalidDiagram
from engine.supervision import HandoverNotAllowed
from webforms.labels import TASK_STATUS
from webforms.people.names import person

# The most specific class first: an error answers with the status of the first class it is.
STATUSES: tuple[tuple[type[HotlineError], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 403),
    (Conflict, 409),
    (HandoverNotAllowed, 409),
    (FormInvalid, 400),
    (UnsafeXml, 400),
    (AttachmentRefused, 400),
    (InvalidDiagram, 422),
    (DefinitionError, 422),
    (ScriptFailed, 500),
)
TITLES: tuple[tuple[type[HotlineError], Any], ...] = (
    (NotFound, _l("Not found")),
    (NotAllowed, _l("Not your task")),
    (Conflict, _l("Someone was quicker")),
    (ScriptFailed, _l("A step of the procedure failed")),
)


def status_for(error: HotlineError) -> int:
    """The HTTP status that answers `error` (400 for an error of no known kind: the request was refused)."""
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 400)


def title_for(error: HotlineError) -> str:
    """The heading of an error page, in the user's language."""
    return str(next((title for kind, title in TITLES if isinstance(error, kind)), _l("Not done")))


def message_for(error: HotlineError) -> str:
    """What went wrong and what to do, in the user's language (the English message for an error whose
    code has no template)."""
    return error.say(gettext, **_said_better(error))


def _said_better(error: HotlineError) -> dict[str, str]:
    """Parameters a person reads better than the engine writes them."""
    better: dict[str, str] = {}
    if isinstance(error, Conflict):
        status = error.params.get("status")
        if status:
            better["status"] = str(TASK_STATUS.get(status, status))
        if error.params.get("by"):
            better["by"] = person(error.params["by"])
    return better
