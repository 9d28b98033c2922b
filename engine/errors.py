"""What can go wrong in a unit of work: one root, `HotlineError`, for every error the engine raises.

An error carries what the web and the command line need to say it in a person's language: a `code`
(the kind of problem, stable), the diagram element where it happened (if any), `params` for the
message, and, from SpiffWorkflow or the XML parser, the file's `line` and `notes`. `str(error)` is an
English sentence for logs. `say()` fills the code's template (marked with `N_` for the catalogs) in
the language of the lookup it is given: webforms/error_messages.py turns an error into a status and a
message for a page with it, hotline/errors.py prints it on the command line.

This module imports only engine.messages, so every package can raise these errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from engine.messages import N_, Translate, english, say


class HotlineError(Exception):
    """The root of the engine's errors. Subclasses set a default `code`; a raise may give another."""

    code: str = "error"
    # The English template of each code this class raises; a code without one is said by str(error).
    TEMPLATES: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        element_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        line: int | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        super().__init__(message or code or self.code)
        if code is not None:
            self.code = code
        self.element_id = element_id
        self.params: dict[str, Any] = dict(params or {})
        self.line = line
        self.notes: tuple[str, ...] = tuple(notes)

    def say(self, translate: Translate = english, **params: Any) -> str:
        """The error in the language of `translate`. `params` replace some of the error's own, to say a
        value better (a person's name for a user name)."""
        template = self.TEMPLATES.get(self.code)
        if template is None:
            return str(self)
        try:
            return say(template, {**self.params, **params}, translate)
        except (KeyError, TypeError, ValueError):  # a template or translation that needs other parameters
            return str(self)


class NotFound(HotlineError):
    code = "not-found"


class Conflict(HotlineError):
    """Someone else changed the case or the task first; nothing was written.

    `reason` (the code) names the kind of conflict and `params` its details, so a user interface can
    say it in the user's language; the message is for logs and the command line.
    """

    code = "changed"
    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "task_closed": N_(
            "Task “%(task)s” of case %(case)s is already %(status)s (by %(by)s). Nothing was changed."
        ),
        "task_gone": N_(
            "Task “%(task)s” of case %(case)s is no longer waiting. Reload the case to see where it is."
        ),
        "changed": N_(
            "Case %(case)s was changed by someone else while you worked on it. Reload it and try again."
        ),
        "task_claimed": N_("Task “%(task)s” of case %(case)s was claimed by %(by)s. Nothing was changed."),
        "task_paused": N_(
            "Task “%(task)s” of case %(case)s is paused (by %(by)s). Resume it first; nothing was changed."
        ),
        "task_not_paused": N_(
            "Task “%(task)s” of case %(case)s is not paused: someone resumed it meanwhile. Nothing was changed."
        ),
        "taken": N_("“%(code)s” was added by someone else meanwhile; nothing was changed. Reload the page."),
        "account_changed": N_(
            "Account %(username)s was changed by someone else while you edited it; nothing was changed. "
            "Reload the page and try again."
        ),
        "knowledge_changed": N_(
            "Knowledge base entry %(entry)s was changed by someone else while you edited it; nothing was "
            "changed. Reload the page to see their version."
        ),
        "external_task_closed": N_(
            "External task %(task)s is %(status)s; there is nothing more to do with it."
        ),
        "external_task_not_locked": N_(
            "External task %(task)s is not locked by worker “%(worker)s”: its lock ran out or another "
            "worker holds it. Nothing was changed; fetch and lock it again."
        ),
        "message_ambiguous": N_(
            "%(count)s steps wait for the message “%(name)s” with these keys; nothing was delivered. Name "
            "the case by its number, or give more correlation keys."
        ),
        "merged_already": N_("Case %(case)s was already merged into case %(into)s; nothing was changed."),
        "not_open": N_("Case %(case)s is no longer open, so nothing can be merged into or out of it."),
        "template_changed": N_(
            "Someone saved this message's wording while you edited it; nothing was changed. Reload the "
            "page to see their version."
        ),
        "version_taken": N_(
            "Someone deployed version %(version)s of %(key)s meanwhile, so nothing was deployed. "
            "Reload and deploy again."
        ),
    }

    def __init__(self, message: str, reason: str = "changed", **params: Any) -> None:
        super().__init__(message, code=reason, params=params)

    @property
    def reason(self) -> str:
        return self.code


class NotAllowed(HotlineError):
    """The user's groups do not include this task's candidate groups."""

    code = "not-allowed"


class FormInvalid(HotlineError):
    """Values that the form's fields refuse; `errors` maps a field id to its FieldError."""

    code = "form-invalid"
    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "form-invalid": N_("Some values need attention; nothing was saved yet."),
    }

    def __init__(self, errors: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        super().__init__("some values are not valid: " + ", ".join(sorted(errors)))
        self.errors = dict(errors)
        self.values = dict(values)


class ScriptFailed(HotlineError):
    """A diagram script or expression failed; the case stays as it was before the step."""

    code = "script-failed"
    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "script-failed": N_("Nothing was saved. Tell the process owner: %(detail)s"),
    }

    def __init__(
        self, element_id: str, message: str, *, line: int | None = None, notes: Iterable[str] = ()
    ) -> None:
        super().__init__(
            f"step '{element_id}' failed: {message}",
            element_id=element_id,
            params={"element": element_id, "detail": f"step '{element_id}' failed: {message}"},
            line=line,
            notes=notes,
        )
        self.detail = message

    @classmethod
    def from_spiff(cls, element_id: str, err: Exception) -> ScriptFailed:
        """From SpiffWorkflow's exception, keeping the script line and the notes it adds."""
        return cls(
            element_id,
            str(err),
            line=getattr(err, "line_number", None) or None,
            notes=getattr(err, "notes", ()) or (),
        )
