"""One database session per request, closed (and rolled back if not committed) when the request ends.

Views that change something call the engine and then `commit()` once: the request is the transaction.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.runtime import Runtime


def hotline():  # noqa: ANN201 - returns webforms.Hotline; imported lazily to avoid a cycle
    return current_app.extensions["hotline"]


def db() -> Session:
    if "db_session" not in g:
        g.db_session = hotline().sessions()
    return g.db_session


def runtime() -> Runtime:
    return hotline().runtime


def commit() -> None:
    db().commit()


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
