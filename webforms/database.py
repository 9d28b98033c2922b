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
read-only unit of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import wraps
from types import TracebackType
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork


def hotline():  # noqa: ANN201 - returns webforms.Hotline; imported lazily to avoid a cycle
    return current_app.extensions["hotline"]


def runtime() -> Runtime:
    return hotline().runtime


def _open_units() -> list[UnitOfWork]:
    return g.setdefault("hotline_units", [])


class _RequestUnit:
    """A unit of work that knows it is the request's innermost open unit while it is open.

    A class rather than a generator: contextlib's generator wrapper re-assigns an exception's
    traceback, which an exception that is a frozen dataclass (AttachmentRefused) refuses.
    """

    def __init__(self, read_only: bool, wait: bool = True) -> None:
        self._uow = UnitOfWork(hotline().sessions, runtime(), read_only=read_only, wait=wait)

    def __enter__(self) -> UnitOfWork:
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
    reading = g.pop("hotline_reading", None)
    if reading is not None:
        reading.__exit__(None, None, None)


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
