"""The API clients page, for administrators: a client added with its scopes, role and departments, its
token shown once on the answer and never again, refusals shown by field, revoking; others get 403."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, ApiClient
from tests.web.support import get, login, post


def test_an_administrator_adds_a_client_sees_its_token_once_and_revokes_it(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = get(client, "/admin/api-clients")
    assert page.status == 200 and not page.has("new-token")
    form = {
        "name": "city-12345",
        "scopes": ["cases:create", "cases:read", "tasks:work"],
        "role": "operator",
        "departments": ["operations"],
        "days": "30",
    }
    added = post(client, "/admin/api-clients", form, page.csrf_token())
    assert added.status == 200
    token = added.text("token")
    assert token.startswith("hfl_")
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = get(client, "/admin/api-clients")
    assert not again.has("new-token") and token not in again.html and again.has("api-client-city-12345")

    refused = post(client, "/admin/api-clients", {**form, "scopes": [], "days": "0"}, again.csrf_token())
    assert refused.status == 400 and refused.has("err-name") and refused.has("err-scopes")
    assert refused.has("err-expires_at")
    # any out-of-range validity says the allowed range, not "in the future"; what was typed is kept
    for days in ("0", "5000", "-3", "ninety"):
        out = post(client, "/admin/api-clients", {**form, "name": "portal", "days": days}, again.csrf_token())
        assert out.status == 400 and not out.has("err-name")
        assert "1" in out.text("err-expires_at") and "3650" in out.text("err-expires_at")
        assert out.by_id("days").get("value") == days  # type: ignore[union-attr]

    revoked = post(client, "/admin/api-clients/city-12345/revoke", {}, again.csrf_token(), follow=True)
    assert revoked.status == 200
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with sessions() as session:
        assert session.scalars(select(ApiClient.revoked_at)).one() is not None
        actions = list(
            session.scalars(select(AdminAudit.action).where(AdminAudit.subject_kind == "api_client"))
        )
    assert actions == ["api_client_added", "api_client_revoked"]


def test_only_administrators_manage_api_clients(client: FlaskClient) -> None:
    login(client, "supervisor")
    assert get(client, "/admin/api-clients").status == 403
    page = get(client, "/tasks")
    assert post(client, "/admin/api-clients", {"name": "x"}, page.csrf_token()).status == 403
