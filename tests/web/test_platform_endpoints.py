"""U1, issue 19: an administrator sets the reply endpoint of a forwarding platform's case source (its
own page, linked from the case sources); a refused address keeps what was typed; the token is never
shown again and an empty field keeps it; the change is audited without the token; others get 403."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, PlatformEndpoint
from tests.web.support import get, login, post, switch_user

TOKEN = "Bearer very-secret-token"


def test_an_administrator_sets_a_platforms_reply_endpoint_u1(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    assert get(client, "/admin/reference").has("platform-endpoints-link")
    page = get(client, "/admin/platform-endpoints")
    assert page.status == 200 and page.has("endpoint-mayor_12345") and not page.has("endpoint-hotline")
    assert page.text("state-mayor_12345") == "未设置：人工答复"
    refused = post(
        client,
        "/admin/platform-endpoints/mayor_12345",
        {"url": "12345.example/reply", "auth": TOKEN, "body_format": "json", "active": "1"},
        page.csrf_token(),
    )
    assert refused.status == 400 and refused.has("err-url")
    assert refused.by_id("url-mayor_12345").get("value") == "12345.example/reply"
    assert TOKEN not in refused.html
    saved = post(
        client,
        "/admin/platform-endpoints/mayor_12345",
        {"url": "https://12345.example/reply", "auth": TOKEN, "body_format": "form", "active": "1"},
        page.csrf_token(),
        follow=True,
    )
    assert saved.status == 200 and TOKEN not in saved.html
    again = post(
        client,
        "/admin/platform-endpoints/mayor_12345",
        {"url": "https://12345.example/v2/reply", "auth": "", "body_format": "json", "active": "1"},
        page.csrf_token(),
        follow=True,
    )
    assert again.status == 200 and again.has("clear-auth-mayor_12345")
    with sessions() as session:
        row = session.get(PlatformEndpoint, "mayor_12345")
        assert row is not None
        assert (row.url, row.auth, row.body_format, row.active) == (
            "https://12345.example/v2/reply",
            TOKEN,
            "json",
            True,
        )
        audits = list(
            session.scalars(select(AdminAudit).where(AdminAudit.action == "platform_endpoint_saved"))
        )
    assert len(audits) == 2 and all(TOKEN not in str(a.changes) for a in audits)
    switch_user(client, "supervisor")
    assert get(client, "/admin/platform-endpoints").status == 403


def test_a_source_without_an_endpoint_shows_as_not_set_up_not_active(client: FlaskClient) -> None:
    """An upstream source with no endpoint saved is not set up: its Active box is not ticked until an
    endpoint is saved; a saved endpoint shows its own state and box, active or not."""
    login(client, "admin")
    page = get(client, "/admin/platform-endpoints")
    assert page.by_id("state-mayor_12345").get("data-state") == "unset"
    assert page.by_id("active-mayor_12345").get("checked") is None
    saved = post(
        client,
        "/admin/platform-endpoints/mayor_12345",
        {"url": "https://12345.example/reply", "auth": TOKEN, "body_format": "json"},
        page.csrf_token(),
        follow=True,
    )
    assert saved.by_id("state-mayor_12345").get("data-state") == "hand"
    assert saved.text("state-mayor_12345") == "人工答复"
    assert saved.by_id("active-mayor_12345").get("checked") is None
    active = post(
        client,
        "/admin/platform-endpoints/mayor_12345",
        {"url": "https://12345.example/reply", "auth": "", "body_format": "json", "active": "1"},
        page.csrf_token(),
        follow=True,
    )
    assert active.by_id("state-mayor_12345").get("data-state") == "api"
    assert active.by_id("active-mayor_12345").get("checked") is not None


def test_a_platform_address_with_an_unclosed_bracket_is_a_field_error_with_what_was_typed(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """urllib.parse.urlsplit raises ValueError on "http://[::1": the page answered 500."""
    login(client, "admin")
    page = get(client, "/admin/platform-endpoints")
    typed = "http://[::1/reply"
    refused = post(
        client,
        "/admin/platform-endpoints/mayor_12345",
        {"url": typed, "auth": TOKEN, "body_format": "json", "active": "1"},
        page.csrf_token(),
    )
    assert refused.status == 400 and refused.has("err-url")
    assert refused.by_id("url-mayor_12345").get("value") == typed
    with sessions() as session:
        assert session.scalars(select(PlatformEndpoint)).all() == []
