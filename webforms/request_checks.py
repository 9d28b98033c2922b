"""What no request may bring in, checked before a view runs: numbers in the address that no database
column holds, and control characters (NUL above all, which PostgreSQL cannot store or even compare).

- `<int:…>` in a route takes at most what an id column holds (a 32-bit INTEGER on PostgreSQL); a
  larger number is a 404, like any unknown id (SQLite raised OverflowError on
  `/tasks/99999999999999999999`, PostgreSQL refused `/tasks/3000000000` with "integer out of range").
- `int_arg` reads a whole-number query parameter (a page, a version) within the same bounds.
- Path parts and query parameters with a control character are refused with a 400 page that says
  why (`next`, where sign-in goes, is checked by webforms.people.auth and falls back to the
  tasklist); so are forms,
  except those of views marked `@checks_own_input`, whose fields refuse such a value with a field
  error and keep what was typed (task forms, intake, reference data).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1
FIRST_YEAR, LAST_YEAR = 1900, 2200
# Tabs and line breaks are text in a form's text area; no other control character is.
_CONTROL_IN_ARG = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
View = TypeVar("View", bound=Callable[..., Any])


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` up to the largest 64-bit id: a longer number matches no route (404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(url_map, *args, **kwargs)


def int_arg(name: str, default: int | None = None, lowest: int = 1) -> int | None:
    """A whole-number query parameter between `lowest` and the largest id; else `default`."""
    raw = request.args.get(name, "").strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", raw):
        return default
    number = int(raw)
    return number if lowest <= number <= LARGEST_ID else default


def day_of(text: str) -> date | None:
    """A day typed in a filter (YYYY-MM-DD) within the years a case can have; else None (9999-12-31
    has no day after it, and the filters count to the start of the next day)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def day_arg(name: str, default: date) -> date:
    """A day parameter of the query or the posted form (YYYY-MM-DD, see day_of); `default` where it is
    absent or empty, 400 where it is no such day."""
    raw = request.values.get(name, "").strip()
    if not raw:
        return default
    day = day_of(raw)
    if day is None:
        abort(400)
    return day


def checks_own_input(view: View) -> View:
    """Marks a view whose form fields refuse control characters themselves, with the form kept."""
    view.checks_own_input = True  # type: ignore[attr-defined]
    return view


def takes_large_upload(limit_bytes: int, too_large: Callable[[], Any]) -> Callable[[View], View]:
    """Marks a view that accepts a request body larger than the app's MAX_CONTENT_LENGTH (a register
    file), up to `limit_bytes`; `too_large()` answers a larger one with the view's own page."""

    def mark(view: View) -> View:
        view.upload_limit = limit_bytes  # type: ignore[attr-defined]
        view.too_large = too_large  # type: ignore[attr-defined]
        return view

    return mark


def _marked_view() -> Any:
    return current_app.view_functions.get(request.endpoint or "")


def _upload_limit() -> None:
    limit = getattr(_marked_view(), "upload_limit", None)
    if limit is not None:
        request.max_content_length = limit


def too_large_answer() -> Any:
    """The marked view's own answer to a body over its limit, or None."""
    answer = getattr(_marked_view(), "too_large", None)
    return answer() if answer is not None else None


def _refused_input() -> tuple[str, int] | None:
    # A path part (a case number, a procedure key: `/cases/%00`) is compared with a text column too.
    if any(isinstance(v, str) and _CONTROL_IN_ARG.search(v) for v in (request.view_args or {}).values()):
        return _page()
    for key, values in request.args.lists():
        if key == "next":
            continue  # where to go after signing in: read only through auth's check, which drops it
        if _CONTROL_IN_ARG.search(key) or any(_CONTROL_IN_ARG.search(v) for v in values):
            return _page()
    if request.method == "POST":
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "checks_own_input", False):
            return None
        for key, values in request.form.lists():
            if _CONTROL_IN_FORM.search(key) or any(_CONTROL_IN_FORM.search(v) for v in values):
                return _page()
    return None


def _page() -> Any:
    from webforms.api.problems import is_api_request, problem
    from webforms.errors import error_page

    if is_api_request():
        return problem(400, _("Characters that cannot be used"), _("The address holds a control character."))

    return error_page(
        400,
        _("Characters that cannot be used"),
        _(
            "The address or the form holds a control character (such as NUL or a vertical tab), which "
            "no field can keep. Remove it (retype the text instead of pasting it) and try again."
        ),
    )


def register_converters(app: Flask) -> None:
    """Before any blueprint is registered: its rules are compiled with the converters known then."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def init_upload_limits(app: Flask) -> None:
    """Before anything reads the form (the CSRF check): a marked view's larger body limit."""
    app.before_request(_upload_limit)


def init_app(app: Flask) -> None:
    app.before_request(_refused_input)


def submitted_form() -> dict[str, Any]:
    """The posted form as field → value; a field sent several times (the boxes of a multiple choice)
    as the list of its values, any other as its one text."""
    return {key: values if len(values) > 1 else values[0] for key, values in request.form.lists()}
