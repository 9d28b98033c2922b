"""Errors in one place: the engine's refusals mapped to a status and a message in the user's language,
the error pages, and `refusals`, the one way a view answers a refused change with its own page.

A use case that refuses raises (FormInvalid, Conflict, NotAllowed, ScriptFailed, ...); the exception
leaves the view's unit of work, which throws the change away, and is answered here:

    @bp.route("/tasks/<int:task_id>", methods=["POST"])
    @refusals({FormInvalid: form_refused(_l("Some values need attention; ..."), render_task_again)})
    def complete(task_id): ...

Whatever a view does not answer itself goes to the app's handlers below, which take the status,
title and message of every engine error from webforms.error_messages (Conflict 409, NotAllowed 403,
NotFound 404, ScriptFailed 500, ...), so a race answers 409, never 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from flask import Flask, flash, render_template
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError

from engine.db import is_transient
from engine.errors import FormInvalid, HotlineError, ScriptFailed
from webforms.error_messages import message_for, status_for, title_for


def is_api_request() -> bool:
    from webforms.api.problems import is_api_request as api_address

    return api_address()


def http_problem(err: Any) -> ResponseReturnValue:
    """An API address answers problem details, not a page (webforms.api.problems)."""
    from webforms.api.problems import http_problem as problem

    return problem(err)


View = Callable[..., ResponseReturnValue]
# An answer gets the refusal and the view's own arguments (the values of its URL).
Answer = Callable[..., ResponseReturnValue]


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
    if request_ctx.url_adapter is None:
        # The request's Host could not be read (werkzeug's BadHost): no address of the site can be
        # built, so the page with its menu and links cannot be drawn; the same words, without them.
        return (
            f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>",
            status,
        )
    return render_template("error.html", status=status, title=title, message=message), status


# Seconds a client is asked to wait before trying again after the database was busy.
RETRY_AFTER_SECONDS = 5


def database_busy_page() -> ResponseReturnValue:
    """The database did not answer in time (a lock held too long, a lost connection, a serialization
    failure): the request's unit of work was rolled back, so the same request may simply be sent again."""
    page, status = error_page(
        503,
        _("The database is busy"),
        _(
            "Nothing was saved by this request. Wait a moment and try again (go back and send the form again)."
        ),
    )
    return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def init_app(app: Flask) -> None:
    @app.errorhandler(SQLAlchemyError)
    def _database_error(err: SQLAlchemyError) -> ResponseReturnValue:
        if is_transient(err):
            return database_busy_page()
        raise err

    @app.errorhandler(ScriptFailed)
    def _script_failed(err: ScriptFailed) -> ResponseReturnValue:
        if is_transient(err):  # a lookup the script made lost the database, not the script's fault
            return database_busy_page()
        return error_page(
            status_for(err),
            title_for(err),
            _("Nothing was saved. Tell the process owner: %(detail)s", detail=message_for(err)),
        )

    @app.errorhandler(HotlineError)
    def _refused(err: HotlineError) -> tuple[str, int]:
        return error_page(status_for(err), title_for(err), message_for(err))

    @app.errorhandler(400)
    def _bad_request(err: Any) -> ResponseReturnValue:
        if is_api_request():
            return http_problem(err)
        return error_page(
            400,
            _("Not understood"),
            _(
                "A value in the address or the form cannot be used (a date that does not exist, say). Go back and correct it."
            ),
        )

    @app.errorhandler(403)
    def _forbidden(err: Any) -> ResponseReturnValue:
        if is_api_request():
            return http_problem(err)
        return error_page(403, _("Not allowed"), _("Your roles do not allow this page or action."))

    @app.errorhandler(404)
    def _missing(err: Any) -> ResponseReturnValue:
        if is_api_request():
            return http_problem(err)
        return error_page(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(413)
    def _too_large(_err: Any) -> ResponseReturnValue:
        from webforms.request_checks import too_large_answer

        answer = too_large_answer()
        if answer is not None:
            return answer
        return error_page(
            413, _("Too large"), _("What was sent is larger than this page accepts; nothing was saved.")
        )

    @app.errorhandler(405)
    def _method_not_allowed(err: Any) -> ResponseReturnValue:
        if is_api_request():
            return http_problem(err)
        page, status = error_page(
            405,
            _("Not possible here"),
            _("This address does not take what was sent. Go back and use the page's own buttons."),
        )
        return page, status, {"Allow": ", ".join(getattr(err, "valid_methods", None) or ())}

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> tuple[str, int]:
        return error_page(400, _("The form expired"), _("Reload the page and send the form again."))
