"""Helpers for the API tests: API clients made through the engine's use case (as the admin page and
`hotline api-clients add` make them), and calls with their token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine.people import API_SCOPES, add_api_client
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork


def make_client(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    name: str,
    role: str,
    departments: tuple[str, ...] = (),
    scopes: tuple[str, ...] = API_SCOPES,
    days: int = 30,
) -> str:
    """A new API client; returns its token."""
    with UnitOfWork(sessions, runtime) as uow:
        made = add_api_client(
            uow,
            "admin",
            name,
            scopes=scopes,
            role=role,
            departments=departments,
            expires_at=runtime.clock.now() + timedelta(days=days),
        )
        uow.commit()
        return made.token


class Api:
    """One client's calls: `api.get("/cases/TS-…")`, `api.post("/tasks/3/complete", {...})`."""

    def __init__(self, http: FlaskClient, token: str) -> None:
        self.http = http
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.http.get("/api/v1" + path, query_string=params, headers=self.headers())

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> TestResponse:
        return self.http.post("/api/v1" + path, json=body, headers=self.headers(headers))
