"""Fixtures for the web tests: the Flask app on the test database (SQLite, and PostgreSQL when
HOTLINE_TEST_DATABASE_URL is set), complaint.bpmn deployed, the demo users, and a test client.

CSRF protection stays on: tests take the token from the form they post, as a browser does
(see support.submit). Helpers: login(client, username), logout(client), get, submit, post.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.web.support import build_app, fast_password_hashing, get, login, logout, post, submit

__all__ = ["get", "login", "logout", "post", "submit"]


@pytest.fixture
def app(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    """create_app(settings, runtime=runtime, TESTING) on the test database, demo users created."""
    fast_password_hashing(monkeypatch)
    return build_app(tmp_path, database_url, runtime, sessions)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
