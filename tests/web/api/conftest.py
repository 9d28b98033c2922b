"""The web app of tests/web/conftest.py, with every shipped procedure deployed, and API clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.web.api.support import Api, make_client
from tests.web.conftest import app, client  # noqa: F401 - the fixtures, for these tests

ALL_PROCEDURES = ("complaint", "repair", "consultation", "connection", "liaison", "outage", "callback")


@pytest.fixture
def every_procedure(deploy_process: Callable[[str], ProcessDefinition], deployed: ProcessDefinition) -> None:
    for key in ALL_PROCEDURES:
        if key != deployed.key:
            deploy_process(key)


@pytest.fixture
def api_as(
    client: FlaskClient,  # noqa: F811
    sessions: sessionmaker[Session],
    runtime: Runtime,
) -> Callable[..., Api]:
    """api_as("operator") -> calls by a new API client acting as that role (all scopes unless given)."""
    made: dict[tuple, Api] = {}

    def api(role: str, *departments: str, scopes: tuple[str, ...] | None = None) -> Api:
        key = (role, departments, scopes)
        if key not in made:
            name = f"c{len(made)}-{role}".replace("_", "-")
            extra = {"scopes": scopes} if scopes is not None else {}
            made[key] = Api(client, make_client(sessions, runtime, name, role, departments, **extra))
        return made[key]

    return api


@pytest.fixture
def api_app(app: Flask) -> Flask:  # noqa: F811
    return app
