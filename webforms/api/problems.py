"""Errors of the API as RFC 9457 problem details (`application/problem+json`): a status, a title and a
detail in the client's language, the engine's code, and for a refused form each field's error.

The same engine errors the pages answer (webforms/error_messages.py) answer here with the same status,
except a refused form: 422 with the fields, not a form shown again."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.db import is_transient
from engine.errors import FormInvalid, HotlineError
from webforms.api.field_messages import field_message
from webforms.error_messages import message_for, status_for, title_for
from webforms.errors import RETRY_AFTER_SECONDS
from webforms.labels import error_text

API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    code: str = "",
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def engine_problem(err: HotlineError) -> Response:
    if is_transient(err):
        return busy_problem()
    if isinstance(err, FormInvalid):
        errors = {key: error_text(error) for key, error in err.errors.items()}
        return problem(422, _("Some values need attention"), message_for(err), code=err.code, errors=errors)
    return problem(status_for(err), title_for(err), message_for(err), code=err.code)


def busy_problem() -> Response:
    detail = _("Nothing was saved by this request. Wait a moment and try again.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem(503, _("The database is busy"), detail, code="busy", headers=headers)


def _field_messages(messages: Any) -> dict[str, Any]:
    """webargs' errors by location ({"json": {"field": ["..."]}}) as one map of field to message."""
    found: dict[str, Any] = {}
    if isinstance(messages, dict):
        for part in messages.values():
            if isinstance(part, dict):
                for key, value in part.items():
                    found[str(key)] = _in_language(value)
    return found


def _in_language(value: Any) -> Any:
    """The checks' messages of one field (a list, or a map for a nested value) in the client's language."""
    if isinstance(value, str):
        return field_message(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " ".join(field_message(item) for item in value)
    if isinstance(value, list):
        return [_in_language(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _in_language(item) for key, item in value.items()}
    return value


def http_problem(err: HTTPException) -> Response:
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="hotline"')
    if status == 429 and err.description:
        return problem(429, _("Too many requests"), _("Slow down and try again shortly."), headers=headers)
    errors = _field_messages(data.get("messages") or data.get("errors"))
    if errors:
        return problem(status, _("Some values need attention"), errors=errors, headers=headers)
    if status == 400:
        return problem(
            400,
            _("Not understood"),
            _("The request cannot be read (a body that is not valid JSON, say); nothing was saved."),
            headers=headers,
        )
    if status == 403:
        return problem(403, _("Not allowed"), _("Your roles do not allow this page or action."))
    if status == 404:
        return problem(404, _("Not found"), _("There is nothing at this address."))
    if status == 405:
        headers.setdefault("Allow", ", ".join(getattr(err, "valid_methods", None) or ()))
        return problem(
            405,
            _("Not possible here"),
            _("This address does not take this method; the API document lists what it takes."),
            headers=headers,
        )
    return problem(
        status, err.name or "Error", str(data.get("message") or err.description or ""), headers=headers
    )


def init_app(app: Flask) -> None:
    """The app-wide answers of an API address (a route that does not exist, a method it does not take);
    the pages keep their own."""

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Any:
        if is_api_request():
            return http_problem(err)
        return err
