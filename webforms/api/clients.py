"""Who calls the API: an API client, by the bearer token it was given (engine.people.api_clients). It
acts as a signed-in user with its role and departments (`current_user`), so the pages' checks,
masking and access records apply to it unchanged; its scopes say which resources it may use.

The API reads no cookie (webforms.api.sessions): a browser's session never authenticates an API call,
which is why the API needs no CSRF token while every cookie-authenticated form keeps its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Request, abort
from flask_babel import gettext as _
from flask_login import UserMixin, current_user

from engine.people import PII_ROLES, client_actor, client_for_token
from engine.runtime import Actor
from webforms.api.problems import is_api_request, problem
from webforms.database import read_only, runtime

View = TypeVar("View", bound=Callable[..., Any])


@dataclass
class ApiPrincipal(UserMixin):
    """An API client as Flask-Login's user for one request."""

    client_id: int
    name: str
    scopes: frozenset[str]
    actor: Actor
    must_change_password: bool = False

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def display_name(self) -> str:
        return self.actor.username

    @property
    def roles(self) -> frozenset[str]:
        return self.actor.groups

    @property
    def token(self) -> str:
        return ""

    def get_id(self) -> str:
        return self.username

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.roles & PII_ROLES)


def principal_for(request: Request) -> ApiPrincipal | None:
    """Flask-Login's request loader: the client of an API call's `Authorization: Bearer` token."""
    if not is_api_request():
        return None
    kind, _space, token = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    with read_only() as uow:
        client = client_for_token(uow.session, token.strip(), runtime().clock.now())
        if client is None:
            return None
        return ApiPrincipal(client.id, client.name, client.scope_set, client_actor(client))


def require_client() -> Any:
    """Before every API view: a valid token, or 401."""
    if not isinstance(current_user._get_current_object(), ApiPrincipal):
        return problem(
            401,
            _("Authentication needed"),
            _("Send a valid API token as “Authorization: Bearer <token>”."),
            headers={"WWW-Authenticate": 'Bearer realm="hotline"'},
        )
    return None


def needs_scope(scope: str) -> Callable[[View], View]:
    """A view for clients holding `scope`; 403 otherwise."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if scope not in current_user.scopes:
                abort(
                    problem(
                        403, _("Not allowed"), _("This API client lacks the scope %(scope)s.", scope=scope)
                    )
                )
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate
