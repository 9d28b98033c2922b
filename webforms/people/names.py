"""People by name: pages show who did something by their display name (app_user.display_name), not
their login. The names are read once per request, in one query, the first time a page asks."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import gettext as _
from sqlalchemy import select

from engine.db import User
from webforms.database import reading_session

# Actors that are the system itself: the engine's own steps and the scheduler's jobs.
SYSTEM_ACTORS = frozenset({"system", "scheduler"})


def display_names() -> dict[str, str]:
    """Every user's display name by login, for this request."""
    if "display_names" not in g:
        g.display_names = {
            row.username: row.display_name
            for row in reading_session().execute(select(User.username, User.display_name))
        }
    return g.display_names


def person(username: str | None) -> str:
    """Who someone is, as people call them: the display name, else the login; the system as "system"."""
    if not username:
        return ""
    if username in SYSTEM_ACTORS:
        return _("system")
    return display_names().get(username) or username


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(person=person)
