"""API clients: programs (a phone system, the 12345 platform's bridge) that call the REST API with a
bearer token. An administrator makes one with a name, scopes, the staff role it acts with (and the
departments it acts for) and an expiry; the token is shown once and only its SHA-256 is kept (a
random 256-bit token needs no slow hash: nobody can guess it from its hash). A client is revoked,
never deleted, so the history and the logs that name it keep meaning something. Every change is in
the administrative audit."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import FieldError
from engine.db import ApiClient, Department
from engine.errors import Conflict, FormInvalid, NotFound
from engine.messages import N_
from engine.people.accounts import ROLES
from engine.reference import record_admin_change
from engine.runtime import Actor

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

API_SCOPES = (
    "cases:create",
    "cases:read",
    "tasks:work",
    "notices:read",
    "customers:read",
    "external:work",
    "messages:send",
    "webhooks:manage",
)
TOKEN_PREFIX = "hfl_"
CLIENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{1,49}$")
# What a client is called in the history and the logs: never mistaken for a staff member's user name
# (user names begin with a letter and hold no colon).
ACTOR_PREFIX = "api:"

API_CLIENT_PROBLEMS: dict[str, str] = {
    "client_name": N_("Use 2 to 50 letters, digits, “.”, “-” or “_”, beginning with a letter."),
    "client_taken": N_("An API client of this name exists already."),
    "no_scope": N_("Choose at least one scope."),
    "not_scope": N_("“%(value)s” is no scope. Choose from: %(known)s."),
    "not_role": N_("“%(value)s” is no role or department. Choose one of: %(known)s."),
    "expiry_past": N_("The expiry must lie in the future."),
    "validity_days": N_("Enter a whole number of days from %(min)s to %(max)s."),
}
# How long a client made on the administrators' page stays valid, in days.
VALID_DAYS = (1, 3650)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiClient:
    """A client just made and its token, which is never shown again."""

    client: ApiClient
    token: str


def client_actor(client: ApiClient) -> Actor:
    """Whom the client acts as: its name marked as a program, with its role and departments."""
    return client_actor_of(client.name, client.role, client.departments)


def client_actor_of(name: str, role: str, departments: str) -> Actor:
    """`client_actor` from the client's columns (`departments` space-separated, as stored)."""
    return Actor(ACTOR_PREFIX + name, frozenset({role, *departments.split()}))


def _errors(
    session: Session, name: str, scopes: Sequence[str], role: str, departments: Sequence[str]
) -> dict[str, FieldError]:
    errors: dict[str, FieldError] = {}
    if not CLIENT_NAME.match(name):
        errors["name"] = FieldError("client_name")
    elif session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        errors["name"] = FieldError("client_taken")
    if not scopes:
        errors["scopes"] = FieldError("no_scope")
    unknown_scopes = [s for s in scopes if s not in API_SCOPES]
    if unknown_scopes:
        errors["scopes"] = FieldError(
            "not_scope", {"value": unknown_scopes[0], "known": ", ".join(API_SCOPES)}
        )
    if role not in ROLES:
        errors["role"] = FieldError("not_role", {"value": role, "known": ", ".join(ROLES)})
    active = set(session.scalars(select(Department.code).where(Department.active.is_(True))))
    unknown = [d for d in departments if d not in active]
    if unknown:
        errors["departments"] = FieldError(
            "not_role", {"value": unknown[0], "known": ", ".join(sorted(active))}
        )
    return errors


def add_api_client(
    uow: UnitOfWork,
    actor: str,
    name: str,
    *,
    scopes: Sequence[str],
    role: str,
    departments: Sequence[str] = (),
    expires_at: datetime | None,
) -> NewApiClient:
    """A new client and its token; FormInvalid (nothing written) when a value is refused. `expires_at`
    None: the validity given was not a number of days in VALID_DAYS."""
    name = name.strip()[:50]
    scopes = sorted(set(scopes))
    departments = sorted(set(departments))
    submitted = {"name": name, "scopes": scopes, "role": role, "departments": departments}
    errors = _errors(uow.session, name, scopes, role, departments)
    now = uow.clock.now()
    if expires_at is None:
        errors["expires_at"] = FieldError("validity_days", {"min": VALID_DAYS[0], "max": VALID_DAYS[1]})
    elif expires_at <= now:
        errors["expires_at"] = FieldError("expiry_past")
    if errors or expires_at is None:
        raise FormInvalid(errors, submitted)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        token_hash=hash_token(token),
        token_prefix=token[:10],
        scopes=" ".join(scopes),
        role=role,
        departments=" ".join(departments),
        created_at=now,
        created_by=actor[:100],
        expires_at=expires_at,
        revoked_at=None,
    )
    uow.session.add(client)
    changes = {key: [None, value] for key, value in submitted.items() if key != "name"}
    changes["expires_at"] = [None, expires_at.isoformat()]
    _audit(uow, actor, "api_client_added", name, changes)
    try:
        uow.session.flush()
    except IntegrityError as err:  # the same name added by someone else since the check above
        raise Conflict(f"API client {name} was added meanwhile", code="changed") from err
    return NewApiClient(client, token)


def _audit(uow: UnitOfWork, actor: str, action: str, name: str, changes: dict[str, list[Any]]) -> None:
    record_admin_change(uow.session, uow.clock, actor, action, "api_client", name, changes)


def api_clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


def revoke_api_client(uow: UnitOfWork, actor: str, name: str) -> ApiClient:
    """The client's token stops working at once; revoking a revoked client changes nothing."""
    client = uow.session.scalars(select(ApiClient).where(ApiClient.name == name)).first()
    if client is None:
        raise NotFound(f"no API client {name!r}")
    if client.revoked_at is None:
        client.revoked_at = uow.clock.now()
        uow.runtime.webhook_subscriptions.clear()  # its webhooks stop at once
        _audit(uow, actor, "api_client_revoked", name, {"revoked_at": [None, client.revoked_at.isoformat()]})
    return client


def client_for_token(session: Session, token: str, now: datetime) -> ApiClient | None:
    """The client the token belongs to while it is neither revoked nor expired; else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    client = session.scalars(select(ApiClient).where(ApiClient.token_hash == hash_token(token))).first()
    if client is None or client.revoked_at is not None or client.expires_at <= now:
        return None
    return client
