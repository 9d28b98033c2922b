"""What can go wrong in a unit of work, in words a person understands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.bpmn.form_fields import FieldError


class EngineError(Exception):
    pass


class NotFound(EngineError):
    pass


class Conflict(EngineError):
    """Someone else changed the case or the task first; nothing was written.

    `reason` names the kind of conflict and `params` its details, so a user interface can say it in
    the user's language; the message is for logs and the command line.
    """

    def __init__(self, message: str, reason: str = "changed", **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


class NotAllowed(EngineError):
    """The user's groups do not include this task's candidate groups."""


class FormInvalid(EngineError):
    def __init__(self, errors: Mapping[str, FieldError], values: Mapping[str, Any]) -> None:
        super().__init__("some values are not valid: " + ", ".join(sorted(errors)))
        self.errors = dict(errors)
        self.values = dict(values)


class ScriptFailed(EngineError):
    """A diagram script or expression failed; the case stays as it was before the step."""

    def __init__(self, element_id: str, message: str) -> None:
        super().__init__(f"step '{element_id}' failed: {message}")
        self.element_id = element_id
        self.detail = message
