"""Units of work for a request: a view opens one, calls a use case, commits, renders.

    with unit_of_work() as uow:           # a change: the only way a view commits
        record_call(uow, ...)
        uow.commit()

    with read_only() as uow:              # a page that only reads: no SQLite write lock, no commit
        return render_template(..., tasks=open_tasks_for(uow.session, ...))

    @reads_only                           # the same for a whole view, which reads via reading_session()

What every page reads besides its own data (display names, reference data, the unread count) goes
through `reading_session()`: the session of the unit the view has open, or, when none is (an error
page), a read-only unit opened for the rest of the request. The signed-in user is loaded in a short
read-only unit of its own, except for a view marked `@reads_sign_in_in_its_unit`: its unit is opened
by the request's last hook, the session is read in it, and the view's first `unit_of_work()` takes it
over (one transaction per request instead of two; on SQLite the write lock is held from that read on).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import wraps
from types import TracebackType
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork


def hotline():  # noqa: ANN201 - returns webforms.Hotline; imported lazily to avoid a cycle
    return current_app.extensions["hotline"]


def runtime() -> Runtime:
    return hotline().runtime


# The unit opened before a marked view runs, until the view's first `unit_of_work()` takes it over.
_EARLY_UNIT = "hotline_early_unit"


def _open_units() -> list[UnitOfWork]:
    return g.setdefault("hotline_units", [])


def reads_sign_in_in_its_unit(view: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a view whose first unit is a change (`with unit_of_work() as uow:` before any other unit):
    the request's sign-in check reads the session in that unit (`early_unit`), so the request runs one
    transaction, not a read-only one for the check and then the view's."""
    view.reads_sign_in_in_its_unit = True  # type: ignore[attr-defined]
    return view


def begins_with_a_change() -> bool:
    """Whether the request's view is marked `@reads_sign_in_in_its_unit`."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "reads_sign_in_in_its_unit", False))


def early_unit() -> UnitOfWork | None:
    """For a marked view: its unit of work, opened now and open until the view's first `unit_of_work()`
    takes it over (or the request ends); None for any other view."""
    if _EARLY_UNIT in g:
        early: UnitOfWork = g.get(_EARLY_UNIT)
        return early
    if not begins_with_a_change():
        return None
    uow = UnitOfWork(hotline().sessions, runtime()).__enter__()
    _open_units().append(uow)
    g.setdefault(_EARLY_UNIT, uow)
    return uow


def close_early_unit() -> None:
    """The request will not reach its view (nobody signed in, another page to go to): the unit opened
    for it ends now, without keeping anything not yet committed."""
    uow = g.pop(_EARLY_UNIT, None)
    if uow is not None:
        _open_units().remove(uow)
        uow.__exit__(None, None, None)


class _RequestUnit:
    """A unit of work that knows it is the request's innermost open unit while it is open.

    A class rather than a generator: contextlib's generator wrapper re-assigns an exception's
    traceback, which an exception that is a frozen dataclass (AttachmentRefused) refuses.
    """

    def __init__(self, read_only: bool, wait: bool = True) -> None:
        early = g.pop(_EARLY_UNIT, None) if not read_only and wait else None
        # Taken over already entered and among the open units; it ends with this block like any other.
        self._taken_over = early is not None
        self._uow = early or UnitOfWork(hotline().sessions, runtime(), read_only=read_only, wait=wait)

    def __enter__(self) -> UnitOfWork:
        if self._taken_over:
            return self._uow
        uow = self._uow.__enter__()
        _open_units().append(uow)
        return uow

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        _open_units().remove(self._uow)
        self._uow.__exit__(exc_type, exc, traceback)


def unit_of_work(wait: bool = True) -> AbstractContextManager[UnitOfWork]:
    """A unit that may write; leaving it without `uow.commit()` (an error, a refused form) keeps nothing.
    `wait=False`: raise WriteLockBusy at once rather than queue behind a writer (bookkeeping only)."""
    return _RequestUnit(read_only=False, wait=wait)


def read_only() -> AbstractContextManager[UnitOfWork]:
    """A unit that only reads: on SQLite it takes no write lock, so it never waits behind a writer."""
    return _RequestUnit(read_only=True)


def reads_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page that only reads, run (rendering included) inside one read-only unit; the view reads
    through `reading_session()`."""

    @wraps(view)
    def in_read_only_unit(*args: Any, **kwargs: Any) -> Any:
        with read_only():
            return view(*args, **kwargs)

    return in_read_only_unit


def reading_session() -> Session:
    """The session shared helpers read through: the innermost open unit's, else the request's own
    read-only unit (opened on first use, closed when the request ends)."""
    units = _open_units()
    if units:
        return units[-1].session
    if "hotline_reading" not in g:
        reading = UnitOfWork(hotline().sessions, runtime(), read_only=True)
        reading.__enter__()
        g.hotline_reading = reading
    return g.hotline_reading.session


def _close(_exc: BaseException | None) -> None:
    close_early_unit()
    reading = g.pop("hotline_reading", None)
    if reading is not None:
        reading.__exit__(None, None, None)


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
