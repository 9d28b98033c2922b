"""Errors in one place: the engine's refusals mapped to a status and a message in the user's language,
the error pages, and `refusals`, the one way a view answers a refused change with its own page.

A use case that refuses raises (FormInvalid, Conflict, NotAllowed, ScriptFailed, ...); the exception
leaves the view's unit of work, which throws the change away, and is answered here:

    @bp.route("/tasks/<int:task_id>", methods=["POST"])
    @refusals({FormInvalid: form_refused(_l("Some values need attention; ..."), render_task_again)})
    def complete(task_id): ...

Whatever a view does not answer itself goes to the app's handlers below (Conflict 409, NotAllowed
403, NotFound 404, ScriptFailed 500), so a race answers 409, never 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from flask import Flask, flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from engine.errors import Conflict, FormInvalid, NotAllowed, NotFound, ScriptFailed
from webforms.labels import TASK_STATUS
from webforms.people.names import person

View = Callable[..., ResponseReturnValue]
# An answer gets the refusal and the view's own arguments (the values of its URL).
Answer = Callable[..., ResponseReturnValue]

CONFLICT_MESSAGES = {
    "task_closed": _l(
        "Task “%(task)s” of case %(case)s is already %(status)s (by %(by)s). Nothing was changed."
    ),
    "task_gone": _l(
        "Task “%(task)s” of case %(case)s is no longer waiting. Reload the case to see where it is."
    ),
    "changed": _l(
        "Case %(case)s was changed by someone else while you worked on it. Reload it and try again."
    ),
    "task_claimed": _l("Task “%(task)s” of case %(case)s was claimed by %(by)s. Nothing was changed."),
}


def conflict_text(err: Conflict) -> str:
    params = dict(err.params)
    if "status" in params:
        params["status"] = str(TASK_STATUS.get(params["status"], params["status"]))
    if params.get("by"):
        params["by"] = person(params["by"])
    message = CONFLICT_MESSAGES.get(err.reason)
    try:
        return str(message) % params if message else str(err)
    except (KeyError, TypeError):
        return str(err)


def refusals(answers: Mapping[type[Exception], Answer]) -> Callable[[View], View]:
    """The view's own answers to refusals (the first matching class answers); others propagate."""
    kinds = tuple(answers)

    def decorate(view: View) -> View:
        @wraps(view)
        def answered(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            try:
                return view(*args, **kwargs)
            except kinds as refused:
                answer = next(a for kind, a in answers.items() if isinstance(refused, kind))
                return answer(refused, *args, **kwargs)

        return answered

    return decorate


def form_refused(message: Any, render_again: Callable[..., ResponseReturnValue]) -> Answer:
    """A form with errors: say so, and show the form again with what was typed and the errors
    (`render_again(err, **view_args)` answers 400)."""

    def answer(err: FormInvalid, *args: Any, **kwargs: Any) -> ResponseReturnValue:
        flash(str(message), "error")
        return render_again(err, *args, **kwargs)

    return answer


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(Conflict)
    def _conflict(err: Conflict) -> tuple[str, int]:
        return error_page(409, _("Someone was quicker"), conflict_text(err))

    @app.errorhandler(NotAllowed)
    def _not_allowed(err: NotAllowed) -> tuple[str, int]:
        return error_page(403, _("Not your task"), str(err))

    @app.errorhandler(NotFound)
    def _not_found(err: NotFound) -> tuple[str, int]:
        return error_page(404, _("Not found"), str(err))

    @app.errorhandler(ScriptFailed)
    def _script_failed(err: ScriptFailed) -> tuple[str, int]:
        return error_page(
            500,
            _("A step of the procedure failed"),
            _("Nothing was saved. Tell the process owner: %(detail)s", detail=str(err)),
        )

    @app.errorhandler(403)
    def _forbidden(_err: Any) -> tuple[str, int]:
        return error_page(403, _("Not allowed"), _("Your roles do not allow this page or action."))

    @app.errorhandler(404)
    def _missing(_err: Any) -> tuple[str, int]:
        return error_page(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> tuple[str, int]:
        return error_page(400, _("The form expired"), _("Reload the page and send the form again."))
