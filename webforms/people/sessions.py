"""Who is signed in: the session token in the cookie, looked up on the server on every request.

The cookie (Flask's signed session, HttpOnly, SameSite=Lax, Secure over TLS) carries as Flask-Login's
user id only the random token of a SignInSession row; the CSRF token, the language and pending
messages live beside it but grant nothing. Each request reads the row in a read-only unit (no SQLite
write lock), or, for a view that begins with a change (`reads_sign_in_in_its_unit`), in the unit the
view goes on with: a session signed out, ended by a password change or a disabled account, idle longer than
`HOTLINE_IDLE_MINUTES` or older than `HOTLINE_SESSION_HOURS` signs nobody in, and an idle or expired one
asks for the password again and comes back to where the person was. "Last seen" is written at most once
a minute, in a unit that does not wait for the write lock (skipped while a writer holds it), so reading
pages never queue behind writers.

Why not Flask-Session: it stores the whole session dict server-side through Flask-SQLAlchemy (which
this project does not use) and would write on every request that touches a flash message or the CSRF
token; one small table of tokens with Flask-Login's "basic" session protection (strong protection
would sign a repair worker out whenever the phone's address changes) gives revocation without that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, logout_user

from engine.db import User
from engine.people import PII_ROLES, SessionLimits, SessionState, SessionUser, note_seen, session_state
from engine.runtime import Actor
from engine.unit_of_work import UnitOfWork, WriteLockBusy
from webforms.database import (
    begins_with_a_change,
    close_early_unit,
    early_unit,
    read_only,
    runtime,
    unit_of_work,
)

# Flask-Login's key for the user id in the cookie session: here, the session token.
_TOKEN_KEY = "_user_id"
# What opens for someone who must first choose their own password (an administrator chose theirs).
OPEN_BEFORE_PASSWORD_CHANGE = frozenset({"account.password", "auth.logout", "auth.set_language", "static"})


@dataclass
class SignedInUser(UserMixin):
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    # The session's random token: what Flask-Login keeps in the cookie as the "user id".
    token: str = ""
    # An administrator chose the password: only the password page opens until the user chose one.
    must_change_password: bool = False

    def get_id(self) -> str:
        return self.token

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.roles & PII_ROLES)


def signed_in_user(user: User | SessionUser, token: str) -> SignedInUser:
    return SignedInUser(
        user.id,
        user.username,
        user.display_name,
        frozenset(user.role_names),
        token,
        user.must_change_password,
    )


def session_limits() -> SessionLimits:
    config = current_app.config
    return SessionLimits(
        idle=timedelta(minutes=config["HOTLINE_IDLE_MINUTES"]),
        lifetime=timedelta(hours=config["HOTLINE_SESSION_HOURS"]),
    )


def signed_in_for(token: str) -> SignedInUser | None:
    """The user the token signs in now (Flask-Login's user loader); checked once per request."""
    if "hotline_signed_in" in g:
        found: SignedInUser | None = g.hotline_signed_in
        return found if found is not None and found.token == token else None
    return _look_up(token)[1]


def _look_up(token: str) -> tuple[SessionState, SignedInUser | None]:
    """The session's state and whom it signs in, read once and kept for the rest of the request: in
    the unit opened for the view when it begins with a change, else in a read-only unit of its own."""
    early = early_unit()
    if early is not None:
        state = _state_in(early, token)
    else:
        with read_only() as uow:
            state = _state_in(uow, token)
    signed_in = signed_in_user(state.user, token) if state.user is not None else None
    g.hotline_signed_in = signed_in
    return state, signed_in


def _state_in(uow: UnitOfWork, token: str) -> SessionState:
    return session_state(uow.session, runtime().clock, token, session_limits())


def _note_seen(token: str) -> None:
    """Keep the session from going idle, unless a writer holds the lock: then the next request does.
    In the unit opened for the view (it holds the write lock on SQLite): written and committed at once,
    so a view that keeps nothing (a refused form) does not keep the session from its idle end."""
    unit = early_unit()
    if unit is not None:
        note_seen(unit, token)
        unit.commit()
        return
    try:
        with unit_of_work(wait=False) as uow:
            note_seen(uow, token)
            uow.commit()
    except WriteLockBusy:
        pass


def init_app(app: Flask) -> None:
    """The session check, among the first hooks of a request; for a view that begins with a change see
    `init_check_in_the_views_unit`."""

    @app.before_request
    def _check_session_apart() -> Any:
        return None if begins_with_a_change() else _check_session(app)


def init_check_in_the_views_unit(app: Flask) -> None:
    """The session check of a view that begins with a change, as the last hook before the view: on
    SQLite its unit holds the write lock from the session's read on, so no other hook runs inside it."""

    @app.before_request
    def _check_session_in_the_views_unit() -> Any:
        return _check_session(app) if begins_with_a_change() else None


def _check_session(app: Flask) -> Any:
    """Who the cookie's session signs in, or the answer for a session that ended."""
    token = session.get(_TOKEN_KEY)
    if request.endpoint in (None, "static") or not isinstance(token, str) or not token:
        return None
    state, signed_in = _look_up(token)
    if signed_in is not None:
        if state.stale:
            _note_seen(token)
        if signed_in.must_change_password and request.endpoint not in OPEN_BEFORE_PASSWORD_CHANGE:
            close_early_unit()
            return redirect(url_for("account.password"))
        return None
    close_early_unit()
    logout_user()
    if state.ended == "idle":
        flash(
            _(
                "You were signed out after %(minutes)s minutes without activity. Sign in again to go on.",
                minutes=app.config["HOTLINE_IDLE_MINUTES"],
            ),
            "info",
        )
    elif state.ended == "expired":
        hours = "{:g}".format(app.config["HOTLINE_SESSION_HOURS"])
        flash(
            _(
                "Your session ended %(hours)s hours after you signed in. Sign in again to go on.",
                hours=hours,
            ),
            "info",
        )
    else:
        return None  # signed out elsewhere: the page's own sign-in check answers
    if request.endpoint == "auth.login":
        return None
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))
