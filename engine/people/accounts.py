"""Staff accounts administered: added, their details, roles and departments changed, disabled and
enabled again (never deleted: the history names them), a password reset by an administrator (to be
changed at the next sign-in) or changed by its owner. Every administrative change is recorded in the
administrative audit (engine.reference.audit): who, when, each field before and after.

Use cases take plain values and a unit of work; a refusal is FormInvalid with a FieldError per field
whose code has an English template in ACCOUNT_PROBLEMS (or the web's field messages)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.db import ESCAPE, Department, User, UserRole, containing
from engine.errors import Conflict, FormInvalid, NotFound
from engine.messages import N_
from engine.people.message_channel import STAFF_LANGUAGES
from engine.people.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from engine.people.users import end_sessions_of, find_user, hash_password, verify_password
from engine.reference import EXTRA_GROUPS, STAFF_ROLES, changes_between, record_admin_change

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{1,49}$")
EMAIL = re.compile(r"^[^@\s]{1,100}@[^@\s]{1,100}\.[^@\s]{1,20}$")
PHONE = re.compile(r"^[0-9+\- ]{3,30}$")
# Roles an account may hold besides its departments.
ROLES = (*STAFF_ROLES, *EXTRA_GROUPS)

ACCOUNT_PROBLEMS: dict[str, str] = {
    "username_pattern": N_("Use 2 to 50 letters, digits, “.”, “-” or “_”, beginning with a letter."),
    "username_taken": N_("This user name is already used."),
    "email": N_("Enter an e-mail address such as name@example.com."),
    "phone": N_("Enter a phone number of digits, spaces, “+” and “-”."),
    "not_role": N_("“%(value)s” is no role or department. Choose one of: %(known)s."),
    "too-short": N_("Use at least %(min)s characters."),
    "too-long": N_("Use at most %(max)s characters."),
    "contains-username": N_("The password may not contain the user name."),
    "too-common": N_(
        "This password is too easy to guess (a common password, a name, a word or a keyboard pattern). "
        "A few unrelated words together make a good one."
    ),
    "password_mismatch": N_("The two new passwords differ."),
    "wrong_password": N_("This is not your current password."),
    "same_password": N_("Choose a password different from the current one."),
    "last_admin": N_("At least one active administrator must remain."),
    "own_account": N_("You cannot disable your own account."),
    "required": N_("This field is required."),
    "directory_managed": N_(
        "This account signs in with the staff directory: its password, details, roles and departments "
        "are kept there."
    ),
}
_PROFILE = ("display_name", "phone", "email")


def _password_error(password: str, username: str, display_name: str) -> FieldError | None:
    problem = password_problem(password, username, display_name)
    if problem is None:
        return None
    return FieldError(problem, {"min": MIN_LENGTH, "max": MAX_LENGTH})


def _profile_errors(values: Mapping[str, str]) -> dict[str, FieldError]:
    errors: dict[str, FieldError] = {}
    for key, value in values.items():
        error = control_character_error(value)
        if error is not None:
            errors[key] = error
    if "display_name" in values and not values["display_name"] and "display_name" not in errors:
        errors["display_name"] = FieldError("required")
    if values.get("phone") and "phone" not in errors and not PHONE.match(values["phone"]):
        errors["phone"] = FieldError("phone")
    if values.get("email") and "email" not in errors and not EMAIL.match(values["email"]):
        errors["email"] = FieldError("email")
    return errors


def _group_errors(
    session: Session, roles: Iterable[str], departments: Iterable[str], held: set[str]
) -> dict[str, FieldError]:
    """Roles must be staff roles; departments must be active ones, or ones the account already holds."""
    errors: dict[str, FieldError] = {}
    unknown_roles = [r for r in roles if r not in ROLES]
    if unknown_roles:
        errors["roles"] = FieldError("not_role", {"value": unknown_roles[0], "known": ", ".join(ROLES)})
    active = set(session.scalars(select(Department.code).where(Department.active.is_(True))))
    unknown = [d for d in departments if d not in active and d not in held]
    if unknown:
        errors["departments"] = FieldError(
            "not_role", {"value": unknown[0], "known": ", ".join(sorted(active))}
        )
    return errors


def _clean(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _account(session: Session, username: str, *, lock: bool = False) -> User:
    """The account; `lock`: its row is locked until the unit ends (PostgreSQL's FOR UPDATE; SQLite's
    writers queue anyway), so a change compared against what its editor saw cannot interleave."""
    query = select(User).where(User.username == username)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    user = session.scalars(query).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def account_stamp(user: User) -> str:
    """A short fingerprint of what an edit form shows of the account: a form sent back with another one
    was filled in on a version someone else has changed since."""
    shown = json.dumps(_profile(user), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "admin", User.active.is_(True), User.id != user.id)
        )
        or 0
    )


def _profile(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "language": user.language,
        "groups": sorted(user.role_names),
        "active": user.active,
    }


def add_account(
    uow: UnitOfWork,
    actor: str,
    username: str,
    password: str,
    *,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    roles: Sequence[str] = (),
    departments: Sequence[str] = (),
    must_change_password: bool = True,
    language: str = STAFF_LANGUAGES[0],
) -> User:
    """A new staff account. When an administrator chose the password, its owner changes it at the first
    sign-in (`must_change_password`)."""
    username = _clean(username, 100)
    values = {
        "display_name": _clean(display_name, 100) or username,
        "phone": _clean(phone, 30),
        "email": _clean(email, 200),
    }
    submitted = {
        "username": username,
        **values,
        "language": language,
        "roles": list(roles),
        "departments": list(departments),
    }
    errors = _profile_errors(values)
    if language not in STAFF_LANGUAGES:
        errors["language"] = FieldError("not_option")
    if not USERNAME.match(username):
        errors["username"] = FieldError("username_pattern")
    elif find_user(uow.session, username) is not None:
        errors["username"] = FieldError("username_taken")
    errors |= _group_errors(uow.session, roles, departments, set())
    password_error = _password_error(password, username, values["display_name"])
    if password_error is not None:
        errors["password"] = password_error
    if errors:
        raise FormInvalid(errors, submitted)
    user = User(
        username=username,
        password_hash=hash_password(password),
        active=True,
        created_at=uow.clock.now(),
        must_change_password=must_change_password,
        language=language,
        roles=[UserRole(role=group) for group in sorted({*roles, *departments})],
        **values,
    )
    uow.session.add(user)
    changes = changes_between({}, _profile(user))
    if must_change_password:
        changes["must_change_password"] = [None, True]
    record_admin_change(uow.session, uow.clock, actor, "user_added", "user", username, changes)
    try:
        uow.session.flush()
    except IntegrityError as err:  # the same user name added by someone else since the check above
        raise Conflict(f"user {username} was added meanwhile", "taken", code=username) from err
    return user


def update_account(
    uow: UnitOfWork,
    actor: str,
    username: str,
    *,
    display_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    roles: Sequence[str] | None = None,
    departments: Sequence[str] | None = None,
    seen: str | None = None,
    language: str | None = None,
) -> dict[str, list[Any]]:
    """Change what is given (None: left as it is); returns the changes recorded. `seen`: the
    account_stamp the editor's form was filled in on; Conflict when the account changed since."""
    user = _account(uow.session, username, lock=seen is not None)
    if seen is not None and seen != account_stamp(user):
        raise Conflict(f"account {username} was changed meanwhile", "account_changed", username=username)
    before = _profile(user)
    values = {
        key: _clean(value, limit)
        for key, value, limit in (
            ("display_name", display_name, 100),
            ("phone", phone, 30),
            ("email", email, 200),
        )
        if value is not None
    }
    held = user.role_names
    new_roles = list(roles) if roles is not None else [r for r in held if r in ROLES]
    new_departments = list(departments) if departments is not None else [r for r in held if r not in ROLES]
    submitted: dict[str, Any] = {**values, "roles": new_roles, "departments": new_departments}
    if language is not None:
        submitted["language"] = language
    errors = _profile_errors(values)
    if language is not None and language not in STAFF_LANGUAGES:
        errors["language"] = FieldError("not_option")
    errors |= _group_errors(uow.session, new_roles, new_departments, held)
    if (
        "admin" in held
        and "admin" not in new_roles
        and user.active
        and not _other_active_admins(uow.session, user)
    ):
        errors["roles"] = FieldError("last_admin")
    groups = set(new_roles) | set(new_departments)
    if user.directory_managed and not errors:
        # The next sign-in would put the directory's values back: they are changed in the directory.
        changed = [key for key, value in values.items() if getattr(user, key) != value]
        errors = {key: FieldError("directory_managed") for key in changed}
        if groups != held:
            errors["roles"] = FieldError("directory_managed")
    if errors:
        raise FormInvalid(errors, submitted)
    for key, value in values.items():
        setattr(user, key, value)
    if language is not None:  # the directory keeps no language: it is the account's own
        user.language = language
    if groups != held:
        user.roles = [role for role in user.roles if role.role in groups] + [
            UserRole(role=group) for group in sorted(groups - held)
        ]
    changes = changes_between(before, _profile(user))
    if changes:
        record_admin_change(uow.session, uow.clock, actor, "user_changed", "user", username, changes)
        uow.session.flush()
    return changes


def set_account_active(uow: UnitOfWork, actor: str, username: str, active: bool) -> bool:
    """Disable an account (its sessions end at once) or enable it again; False when it already was."""
    user = _account(uow.session, username)
    if user.active == active:
        return False
    if not active:
        if username == actor:
            raise FormInvalid({"active": FieldError("own_account")}, {})
        if "admin" in user.role_names and not _other_active_admins(uow.session, user):
            raise FormInvalid({"active": FieldError("last_admin")}, {})
    user.active = active
    if not active:
        end_sessions_of(uow.session, uow.clock, user)
    action = "user_enabled" if active else "user_disabled"
    record_admin_change(
        uow.session, uow.clock, actor, action, "user", username, {"active": [not active, active]}
    )
    uow.session.flush()
    return True


def reset_password(uow: UnitOfWork, actor: str, username: str, password: str) -> None:
    """An administrator sets a temporary password: the account's sessions end, and its owner must
    choose their own at the next sign-in."""
    user = _account(uow.session, username)
    error = (
        FieldError("directory_managed")
        if user.directory_managed
        else _password_error(password, username, user.display_name)
    )
    if error is not None:
        raise FormInvalid({"password": error}, {})
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_sessions_of(uow.session, uow.clock, user)
    record_admin_change(
        uow.session, uow.clock, actor, "password_reset", "user", username, {"password": ["", "reset"]}
    )
    uow.session.flush()


def change_own_password(uow: UnitOfWork, username: str, current: str, new: str, repeated: str) -> None:
    """The owner of an account chooses a new password (knowing the current one). Every session of the
    account ends; the caller signs the person in again with a new one."""
    user = _account(uow.session, username)
    errors: dict[str, FieldError] = {}
    if user.directory_managed:
        errors["current"] = FieldError("directory_managed")
    elif not verify_password(user, current):
        errors["current"] = FieldError("wrong_password")
    elif new == current:
        errors["new"] = FieldError("same_password")
    else:
        error = _password_error(new, username, user.display_name)
        if error is not None:
            errors["new"] = error
        elif new != repeated:
            errors["repeated"] = FieldError("password_mismatch")
    if errors:
        raise FormInvalid(errors, {})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_sessions_of(uow.session, uow.clock, user)
    record_admin_change(uow.session, uow.clock, username, "password_changed", "user", username, {})
    uow.session.flush()


def search_accounts(
    session: Session, text: str = "", *, disabled: bool = True, group: str = ""
) -> list[User]:
    """Accounts by user name, display name, phone or e-mail (a part of any), optionally of one group."""
    query = select(User).order_by(User.active.desc(), User.username)
    text = text.strip()[:100]
    if text:
        query = query.where(
            or_(
                *(
                    column.ilike(containing(text), escape=ESCAPE)
                    for column in (User.username, User.display_name, User.phone, User.email)
                )
            )
        )
    if not disabled:
        query = query.where(User.active.is_(True))
    if group:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == group)))
    return list(session.scalars(query.limit(500)))
