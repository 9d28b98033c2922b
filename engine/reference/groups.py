"""Who a task can be addressed to: the candidate groups a diagram may name. A group is a staff role
(operator, supervisor, ...) or a department, whose code is the group of its handlers; departments are
data an administrator keeps, so the groups are read from the database, not from a list in the code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Department, User, UserRole

# Roles that are not departments; a role doubles as a candidate group.
STAFF_ROLES = ("operator", "dispatcher", "repair_worker", "liaison", "supervisor", "process_owner", "admin")
# Held by people beside their department, and named by diagrams (L2: urgent notices reach the head).
EXTRA_GROUPS = ("department_head",)


def is_role_name(code: str) -> bool:
    """Whether `code` is a staff role (or such a group) and so cannot be a department's code."""
    return code in STAFF_ROLES or code in EXTRA_GROUPS


def known_groups(session: Session) -> set[str]:
    """Every candidate group someone can hold: staff roles, active departments, and roles given to users."""
    groups = set(STAFF_ROLES) | set(EXTRA_GROUPS)
    groups |= set(session.scalars(select(Department.code).where(Department.active.is_(True))))
    groups |= set(session.scalars(select(UserRole.role).distinct()))
    return groups


def known_usernames(session: Session) -> set[str]:
    """Every active staff account's user name: whom a diagram may give a task to by name."""
    return set(session.scalars(select(User.username).where(User.active.is_(True))))
