"""Signing in: sessions kept on the server so they can end, and a limit on guessing passwords.

A session is a row (SignInSession) keyed by the SHA-256 of a random token; the browser's cookie
carries the token and nothing else that grants access. Every request looks the token up: a session
revoked (sign-out, a password change, the account disabled), idle longer than the idle limit or older
than its absolute lifetime lets nobody in, whatever the cookie says, so a copied cookie dies with it.
"Last seen" is written at most once a minute (SEEN_EVERY), so reading pages stay reads.

Guessing is throttled per account and per client address from the failures recorded in the database
(SignInFailure), so the limit holds across web processes: ACCOUNT_LIMIT failures of one username or
ADDRESS_LIMIT from one address within the window lock sign-in for that username or address until the
oldest of them leaves the window. An unknown or disabled username costs the same argon2 check as a
known one (against a dummy hash), so the answer's time does not tell which usernames exist. The
check reads only (check_credentials, in a read-only unit: the slow argon2 check never holds SQLite's
write lock); the failure or the new session is then written in a short unit of its own. Tries made at
the very same moment may each pass the count before any is recorded, so a burst can exceed the limit
by the number of its concurrent requests, never more.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.clock import Clock
from engine.db import DriverStatement, SignInFailure, SignInSession, User, UserRole, rows_matched
from engine.errors import HotlineError
from engine.people.users import check_password_against_dummy, find_user, verify_password

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

log = logging.getLogger("hotline.sign_in")

# "Last seen" is written at most this often: the idle limit is enforced to within this much.
SEEN_EVERY = timedelta(minutes=1)
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
# Failed sign-ins are kept this long as the record of them (who tried which account, from where).
FAILURES_KEPT = timedelta(days=90)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)


class SignInRefused(HotlineError):
    """Wrong username or password (the same words whether the username exists or not)."""

    code = "sign-in-refused"


class SignInLocked(HotlineError):
    """Too many failed sign-ins for this username or from this address: refused until `until`.

    The sign-in page says both refusals in its own words (the time in the hotline's zone)."""

    code = "sign-in-locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(f"sign-in locked until {until.isoformat()}", params={"until": until})
        self.until = until


@dataclass(frozen=True)
class SessionUser:
    """The account a valid session signs in, as the session's lookup read it."""

    id: int
    username: str
    display_name: str
    role_names: frozenset[str]
    must_change_password: bool


@dataclass(frozen=True)
class SessionState:
    """What a token is worth now: the user it signs in, or why it signs in nobody."""

    user: SessionUser | None
    # None while the session is valid; else "unknown", "revoked", "idle", "expired" or "disabled".
    ended: str | None
    # Whether "last seen" is old enough to be written again (see SEEN_EVERY).
    stale: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lock_until(
    session: Session, column: InstrumentedAttribute[str], value: str, limit: int, now: datetime
) -> datetime | None:
    since = now - THROTTLE_WINDOW
    times = list(
        session.scalars(
            select(SignInFailure.at)
            .where(column == value, SignInFailure.at > since)
            .order_by(SignInFailure.at.desc())
            .limit(limit)
        )
    )
    if len(times) < limit:
        return None
    return times[-1] + THROTTLE_WINDOW


def sign_in_locked_until(session: Session, clock: Clock, username: str, address: str) -> datetime | None:
    """Until when sign-in is refused for this username or from this address (None: it is not)."""
    now = clock.now()
    locks = [
        until
        for until in (
            _lock_until(session, SignInFailure.username, username, ACCOUNT_LIMIT, now),
            _lock_until(session, SignInFailure.address, address, ADDRESS_LIMIT, now),
        )
        if until is not None
    ]
    return max(locks) if locks else None


def check_credentials(session: Session, clock: Clock, username: str, password: str, address: str) -> User:
    """The user whose password this is, read only: the argon2 check runs outside any write, so sign-in
    tries never hold SQLite's write lock. Raises SignInLocked while sign-in is throttled for the username
    or the address (the right password is refused too), SignInRefused for a wrong username or password
    (the caller records it: record_failed_sign_in)."""
    username, address = username[:100], address[:100]
    until = sign_in_locked_until(session, clock, username, address)
    if until is not None:
        log.warning("sign-in of %r from %s refused: locked until %s", username, address, until.isoformat())
        raise SignInLocked(until)
    user = find_user(session, username) if username else None
    if user is None or not user.active:
        check_password_against_dummy(password)
        raise SignInRefused("wrong username or password")
    if not verify_password(user, password):
        raise SignInRefused("wrong username or password")
    return user


def record_failed_sign_in(uow: UnitOfWork, username: str, address: str) -> None:
    """A refused sign-in counts towards the limits of its username and its address (and is logged)."""
    uow.session.add(SignInFailure(at=uow.clock.now(), username=username[:100], address=address[:100]))
    log.warning("failed sign-in of %r from %s", username[:100], address[:100])


def open_session(uow: UnitOfWork, user_id: int, address: str, limits: SessionLimits) -> str:
    """A new session for the user (whose password was checked); returns the token for the cookie. Ended
    sessions are deleted on the way."""
    now = uow.clock.now()
    delete_ended_sessions(uow.session, uow.clock, limits)
    token = secrets.token_urlsafe(32)
    uow.session.add(
        SignInSession(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            revoked_at=None,
            address=address[:100],
        )
    )
    uow.session.flush()
    return token


# Every request asks: the session, its account and the account's roles in one round trip (a row per
# role), by a statement built once.
_SESSION_WITH_USER = DriverStatement(
    select(
        SignInSession.created_at,
        SignInSession.last_seen_at,
        SignInSession.revoked_at,
        User.id,
        User.username,
        User.display_name,
        User.active,
        User.must_change_password,
        UserRole.role,
    )
    .select_from(SignInSession)
    .outerjoin(User, User.id == SignInSession.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(SignInSession.token_hash == bindparam("token_hash"))
)


def session_state(session: Session, clock: Clock, token: str, limits: SessionLimits) -> SessionState:
    """Whom the token signs in now, read only."""
    # Straight to the driver on the session's connection (engine.db.driver_statements): plain rows,
    # without SQLAlchemy's execution and loading layers, and no flush of the session first.
    rows = _SESSION_WITH_USER.execute_on(session.connection(), {"token_hash": token_hash(token)}).rows
    if not rows:
        return SessionState(None, "unknown")
    row = rows[0]
    now = clock.now()
    if row.revoked_at is not None:
        return SessionState(None, "revoked")
    if now - row.created_at > limits.lifetime:
        return SessionState(None, "expired")
    if now - row.last_seen_at > limits.idle:
        return SessionState(None, "idle")
    if row.id is None or not row.active:
        return SessionState(None, "disabled")
    roles = frozenset(r.role for r in rows if r.role is not None)
    user = SessionUser(row.id, row.username, row.display_name, roles, row.must_change_password)
    return SessionState(user, None, stale=now - row.last_seen_at >= SEEN_EVERY)


def note_seen(uow: UnitOfWork, token: str) -> None:
    """The session was used now (keeps it from going idle)."""
    uow.session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == token_hash(token), SignInSession.revoked_at.is_(None))
        .values(last_seen_at=uow.clock.now())
    )


def end_session(uow: UnitOfWork, token: str) -> None:
    """Sign-out: the session's token lets nobody in any more."""
    uow.session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == token_hash(token), SignInSession.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now())
    )


def delete_ended_sessions(session: Session, clock: Clock, limits: SessionLimits) -> int:
    """Delete sessions that can no longer sign anyone in, and failures older than FAILURES_KEPT."""
    now = clock.now()
    ended = session.execute(
        delete(SignInSession).where(
            SignInSession.revoked_at.is_not(None)
            | (SignInSession.created_at < now - limits.lifetime)
            | (SignInSession.last_seen_at < now - limits.idle)
        )
    )
    session.execute(delete(SignInFailure).where(SignInFailure.at < now - FAILURES_KEPT))
    return rows_matched(ended)


def sessions_of(session: Session, user: User) -> int:
    """How many sessions of `user` are stored and not revoked (for tests and the admin pages)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SignInSession)
            .where(SignInSession.user_id == user.id, SignInSession.revoked_at.is_(None))
        )
        or 0
    )
