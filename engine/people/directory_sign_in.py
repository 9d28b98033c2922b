"""Directory sign-in: the password checked by the LDAP directory, and the local account of a directory
user, made at their first sign-in and brought in line with the directory at each one after.

A local account (one an administrator added here) keeps signing in with its local password whether a
directory is configured or not; the directory is asked only for names without a local account or whose
account is directory-managed. Such an account has no local password (its hash can match none), and
its display name, phone, e-mail, roles and departments are the directory's: the groups it belongs to,
mapped to roles and departments by the settings. A directory user in no mapped group is refused, and so
is one whose account was disabled here, whatever the directory says. Each change of an account by the
directory is an administrative change by "directory" in the audit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import Department, User, UserRole
from engine.people.accounts import ROLES
from engine.people.directory import DirectoryPerson, DirectorySettings, directory_person
from engine.people.sign_in import SignInLocked, SignInRefused, sign_in_locked_until
from engine.people.users import check_password_against_dummy, find_user
from engine.reference import changes_between, record_admin_change

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

log = logging.getLogger("hotline.sign_in")

DIRECTORY_ACTOR = "directory"
# Stored as the password hash of a directory-managed account: no argon2 hash, so no password matches.
NO_LOCAL_PASSWORD = "!directory"


@dataclass(frozen=True)
class DirectorySignIn:
    """A directory user whose password the directory accepted, with the groups they hold here."""

    person: DirectoryPerson
    groups: frozenset[str]


def signs_in_with_directory(session: Session, username: str) -> bool:
    """Whether this name is the directory's to check: no local account has it, or its account is
    directory-managed."""
    user = find_user(session, username[:100])
    return user is None or user.directory_managed


def check_directory_credentials(
    session: Session, clock: Clock, settings: DirectorySettings, username: str, password: str, address: str
) -> DirectorySignIn:
    """Read only, like check_credentials: SignInLocked while throttled, SignInRefused for an unknown name,
    a wrong password, an account disabled here or a person in no mapped group; DirectoryUnavailable when
    the directory cannot answer (nothing to record: the person did nothing wrong)."""
    username, address = username[:100], address[:100]
    until = sign_in_locked_until(session, clock, username, address)
    if until is not None:
        raise SignInLocked(until)
    local = find_user(session, username) if username else None
    if local is not None and not local.active:
        check_password_against_dummy(password)
        raise SignInRefused("wrong username or password")
    person = directory_person(settings, username, password)
    if person is None:
        raise SignInRefused("wrong username or password")
    groups = frozenset(settings.roles_of(person.groups))
    if not groups:
        log.warning("directory user %r belongs to no group mapped to a role; refused", person.username)
        raise SignInRefused("wrong username or password")
    return DirectorySignIn(person, groups)


def directory_account(uow: UnitOfWork, verified: DirectorySignIn) -> User:
    """The local account of the directory user, made now if it is their first sign-in, with the
    directory's details and groups. SignInRefused when the name is a local account's or the account was
    disabled meanwhile."""
    person = verified.person
    session = uow.session
    created = _insert_if_missing(session, uow.clock, person)
    # Locked, so two first sign-ins at once bring the account in line one after the other.
    user = session.scalars(
        select(User)
        .where(User.username == person.username)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if not user.directory_managed or not user.active:
        log.warning("directory user %r refused: the account here is local or disabled", person.username)
        raise SignInRefused("wrong username or password")
    before = {} if created else _details(user)
    user.display_name = person.display_name[:100] or person.username
    user.phone, user.email = person.phone[:30], person.email[:200]
    groups = _known(session, verified.groups)
    if not groups:
        raise SignInRefused("wrong username or password")
    held = user.role_names
    if groups != held:
        user.roles = [role for role in user.roles if role.role in groups] + [
            UserRole(role=group) for group in sorted(groups - held)
        ]
    changes = changes_between(before, _details(user))
    if changes:
        action = "user_added" if created else "user_changed"
        record_admin_change(session, uow.clock, DIRECTORY_ACTOR, action, "user", user.username, changes)
    session.flush()
    return user


def _insert_if_missing(session: Session, clock: Clock, person: DirectoryPerson) -> bool:
    """Whether the account was made now (False: it existed, or another sign-in made it meanwhile)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    made = session.scalar(
        insert(User)
        .values(
            username=person.username[:100],
            display_name=(person.display_name or person.username)[:100],
            password_hash=NO_LOCAL_PASSWORD,
            active=True,
            created_at=clock.now(),
            phone="",
            email="",
            must_change_password=False,
            directory_managed=True,
        )
        .on_conflict_do_nothing(index_elements=[User.username])
        .returning(User.id)
    )
    return made is not None


def _known(session: Session, groups: frozenset[str]) -> set[str]:
    """The mapped groups that are roles or active departments here; others are left out, and logged."""
    departments = set(session.scalars(select(Department.code).where(Department.active.is_(True))))
    known = {group for group in groups if group in ROLES or group in departments}
    if known != groups:
        log.warning("directory groups map to unknown roles or departments: %s", sorted(groups - known))
    return known


def _details(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "groups": sorted(user.role_names),
    }
