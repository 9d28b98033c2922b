"""Who did what, in the log: each request gets an id (the caller's X-Request-ID when it is a plain token,
else a new one, sent back in the response) and ends with one line saying its method, route, path, status
and time taken. Every log record written during a request carries the request id, the signed-in user and
the case number the request is about, as attributes the formatter (hotline.logs) writes out.

Personal data stays out: the path is logged without its query string (searches carry names and phone
numbers), and form values are never logged.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user

log = logging.getLogger("hotline.requests")
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_plain_factory = logging.getLogRecordFactory()


def note_case(case_number: str) -> None:
    """Name the case this request is about, for its log records (when the address does not say it)."""
    g.hotline_case = case_number


def _context() -> dict[str, str | None]:
    if not has_request_context():
        return {}
    case = g.get("hotline_case") or (request.view_args or {}).get("case_number")
    user = None
    try:
        if current_user and current_user.is_authenticated:
            user = current_user.username
    except Exception:  # noqa: BLE001 - a log line must not fail because the user could not be loaded
        user = None
    return {"request_id": g.get("hotline_request_id"), "user": user, "case": case}


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _plain_factory(*args, **kwargs)
    for key, value in _context().items():
        setattr(record, key, value)
    return record


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.hotline_request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
    g.hotline_request_start = time.perf_counter()


def _finish(response: Response) -> Response:
    request_id = g.get("hotline_request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
        took = time.perf_counter() - g.get("hotline_request_start", time.perf_counter())
        log.info(
            "%s %s %s %d %.1f ms",
            request.method,
            request.endpoint or "-",
            request.path,
            response.status_code,
            took * 1000,
        )
    return response


def init_app(app: Flask) -> None:
    logging.setLogRecordFactory(_record_with_context)
    app.before_request(_start)
    app.after_request(_finish)
