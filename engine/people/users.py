"""Staff accounts: argon2 password hashes and roles (a role doubles as a candidate group)."""

from __future__ import annotations

import contextlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import SignInSession, User, UserRole, rows_matched
from engine.runtime import Actor

_hasher = PasswordHasher()

# Who may see a complainant's identity unmasked (C7, M6).
PII_ROLES = frozenset({"operator", "dispatcher", "supervisor", "admin"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash of no one's password per hasher, so that checking an unknown or disabled username costs what
# checking a real one does (the time of the answer must not tell which usernames exist).
_dummy_hashes: dict[int, str] = {}


def check_password_against_dummy(password: str) -> None:
    """An argon2 check with the current parameters whose result is thrown away."""
    hasher = _hasher
    dummy = _dummy_hashes.get(id(hasher))
    if dummy is None:
        dummy = _dummy_hashes[id(hasher)] = hasher.hash(secrets.token_hex(16))
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, password)


def set_password(session: Session, clock: Clock, user: User, password: str) -> None:
    """A new password; every session of the user ends (whoever held one signs in again)."""
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    user.password_hash = hash_password(password)
    end_sessions_of(session, clock, user)


def set_active(session: Session, clock: Clock, user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends every session of the user at once."""
    user.active = active
    if not active:
        end_sessions_of(session, clock, user)


def end_sessions_of(session: Session, clock: Clock, user: User) -> int:
    """End every session of `user`: the next request of any of them asks for the password. Returns how
    many were open. For a password change and an account disabled (set_password, set_active)."""
    result = session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user.id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return rows_matched(result)


def create_user(
    session: Session, clock: Clock, username: str, password: str, display_name: str, roles: list[str]
) -> User:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        active=True,
        created_at=clock.now(),
        roles=[UserRole(role=r) for r in sorted(set(roles))],
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user is None or not user.active:
        check_password_against_dummy(password)
        return None
    return user if verify_password(user, password) else None


def actor_of(user: User) -> Actor:
    return Actor(user.username, frozenset(user.role_names))
