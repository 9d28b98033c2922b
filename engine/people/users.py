"""Staff accounts: argon2 password hashes and roles (a role doubles as a candidate group)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import User, UserRole
from engine.runtime import Actor

_hasher = PasswordHasher()

# Roles that are not departments. Departments (operations, repair, ...) are roles too: their handlers'
# tasks are addressed to them by the diagrams' candidate groups.
STAFF_ROLES = ("operator", "dispatcher", "repair_worker", "liaison", "supervisor", "process_owner", "admin")
DEPARTMENTS = ("customer_service", "operations", "repair", "technical", "billing")
# Who may see a complainant's identity unmasked (C7, M6).
PII_ROLES = frozenset({"operator", "dispatcher", "supervisor", "admin"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    if user is None or not user.active or not verify_password(user, password):
        return None
    return user


def actor_of(user: User) -> Actor:
    return Actor(user.username, frozenset(user.role_names))
