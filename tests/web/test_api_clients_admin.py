"""The API clients page, for administrators: a client added with its scopes, role and departments, its
token shown once on the answer and never again, refusals shown by field, revoking; a client's webhooks;
others get 403."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, ApiClient, WebhookSubscription
from engine.runtime import Runtime
from tests.web.support import get, login, post, record_case, switch_user


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


def test_an_administrator_adds_pauses_and_removes_a_clients_webhook_and_sees_its_deliveries(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Issue 19 item 3: the secret shown once, a refused address kept as typed with its error, the
    subscription's last deliveries with their state and answer, pause, resume and remove (soft)."""
    login(client, "admin")
    page = get(client, "/admin/api-clients")
    form = {"name": "phones", "scopes": ["webhooks:manage"], "role": "operator", "days": "30"}
    assert post(client, "/admin/api-clients", form, page.csrf_token()).status == 200
    page = get(client, "/admin/api-clients")
    assert page.has("webhooks-phones")
    hooks = get(client, "/admin/api-clients/phones/webhooks")
    assert hooks.status == 200 and hooks.has("no-webhooks") and not hooks.has("new-secret")
    refused = post(
        client,
        "/admin/api-clients/phones/webhooks",
        {"url": "not an address", "events": ["case.opened"]},
        hooks.csrf_token(),
    )
    assert refused.status == 400 and refused.has("err-url") and "not an address" in refused.html
    added = post(
        client,
        "/admin/api-clients/phones/webhooks",
        {"url": "https://phones.example/hook", "events": ["case.opened", "case.closed"]},
        hooks.csrf_token(),
    )
    assert added.status == 200 and added.text("secret").startswith("whsec_")
    with sessions() as session:
        hook = session.scalars(select(WebhookSubscription)).one()
    again = get(client, "/admin/api-clients/phones/webhooks")
    assert again.has(f"webhook-{hook.id}") and hook.secret not in again.html

    number, _case_id = record_case(sessions, runtime)
    shown = get(client, "/admin/api-clients/phones/webhooks")
    [row] = shown.doc.xpath(f"//table[@id='deliveries-{hook.id}']/tbody/tr")
    assert number in row.text_content() and "case.opened" in row.text_content()
    assert row.xpath(".//td[@class='delivery-status']")[0].get("data-status") == "pending"

    paused = post(
        client, f"/admin/api-clients/phones/webhooks/{hook.id}/pause", {}, shown.csrf_token(), follow=True
    )
    assert paused.status == 200 and paused.has(f"resume-{hook.id}")
    record_case(sessions, runtime)
    assert len(paused.doc.xpath(f"//table[@id='deliveries-{hook.id}']/tbody/tr")) == 1
    resumed = post(
        client, f"/admin/api-clients/phones/webhooks/{hook.id}/resume", {}, shown.csrf_token(), follow=True
    )
    assert resumed.has(f"pause-{hook.id}")
    removed = post(
        client, f"/admin/api-clients/phones/webhooks/{hook.id}/remove", {}, shown.csrf_token(), follow=True
    )
    assert removed.status == 200 and not removed.has(f"webhook-{hook.id}") and removed.has("no-webhooks")
    with sessions() as session:
        actions = list(
            session.scalars(
                select(AdminAudit.action).where(AdminAudit.subject_kind == "webhook").order_by(AdminAudit.id)
            )
        )
    assert actions == ["webhook_added", "webhook_paused", "webhook_resumed", "webhook_deleted"]
    switch_user(client, "supervisor")
    assert get(client, "/admin/api-clients/phones/webhooks").status == 403


def test_a_webhook_form_sent_twice_adds_one_webhook_and_a_second_remove_changes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """A double click (or a reloaded answer) on Add must not send every event twice to the same address;
    the refusal says so and keeps what was typed. A second click on Remove is no 404 page."""
    login(client, "admin")
    page = get(client, "/admin/api-clients")
    form = {"name": "phones", "scopes": ["webhooks:manage"], "role": "operator", "days": "30"}
    assert post(client, "/admin/api-clients", form, page.csrf_token()).status == 200
    hooks = get(client, "/admin/api-clients/phones/webhooks")
    hook_form = {"url": "https://phones.example/hook", "events": ["case.closed"]}
    first = post(client, "/admin/api-clients/phones/webhooks", hook_form, hooks.csrf_token())
    assert first.status == 200 and first.text("secret").startswith("whsec_")
    second = post(client, "/admin/api-clients/phones/webhooks", hook_form, hooks.csrf_token())
    with sessions() as session:
        [hook] = session.scalars(select(WebhookSubscription)).all()
    assert second.status == 400 and not second.has("new-secret")
    assert str(hook.id) in second.text("err-url")
    assert second.by_id("url").get("value") == "https://phones.example/hook"  # type: ignore[union-attr]
    # another client may send to the same address
    assert post(client, "/admin/api-clients", {**form, "name": "tablets"}, page.csrf_token()).status == 200
    other = post(client, "/admin/api-clients/tablets/webhooks", hook_form, hooks.csrf_token())
    assert other.status == 200

    remove = f"/admin/api-clients/phones/webhooks/{hook.id}/remove"
    removed = post(client, remove, {}, hooks.csrf_token(), follow=True)
    assert removed.status == 200 and removed.doc.xpath("//*[contains(@class, 'flash success')]")
    again = post(client, remove, {}, hooks.csrf_token(), follow=True)
    assert again.status == 200 and again.has("no-webhooks")
    assert again.doc.xpath("//*[contains(@class, 'flash') and contains(@class, 'info')]")
    with sessions() as session:
        deleted = session.scalars(
            select(AdminAudit.action).where(AdminAudit.action == "webhook_deleted")
        ).all()
    assert len(deleted) == 1
    # once removed, the address may be subscribed again
    assert post(client, "/admin/api-clients/phones/webhooks", hook_form, hooks.csrf_token()).status == 200


def test_an_unknown_webhook_event_is_quoted_back_with_its_control_characters_escaped(
    client: FlaskClient,
) -> None:
    """A control character typed in an event name (a bell, a line break) is shown as its escape in the
    refusal, not echoed raw into the page."""
    login(client, "admin")
    page = get(client, "/admin/api-clients")
    form = {"name": "phones", "scopes": ["webhooks:manage"], "role": "operator", "days": "30"}
    assert post(client, "/admin/api-clients", form, page.csrf_token()).status == 200
    hooks = get(client, "/admin/api-clients/phones/webhooks")
    refused = post(
        client,
        "/admin/api-clients/phones/webhooks",
        {"url": "https://phones.example/hook", "events": ["case.opened\x07\nx"]},
        hooks.csrf_token(),
    )
    assert refused.status == 400 and refused.has("err-events")
    said = refused.text("err-events")
    assert "case.opened\\x07\\nx" in said
    assert "\x07" not in refused.html and "case.opened\nx" not in refused.html


def test_the_api_clients_page_says_what_each_scope_allows_and_shows_no_empty_table(
    client: FlaskClient,
) -> None:
    login(client, "admin")
    page = get(client, "/admin/api-clients")
    assert page.all("empty") and not page.has("api-clients")  # no headings over nothing
    assert page.text("scope-says-cases-create") == "登记工单"
    assert page.text("scope-says-webhooks-manage") == "设置自己的事件推送"
    for scope in (
        "cases-read",
        "tasks-work",
        "notices-read",
        "customers-read",
        "external-work",
        "messages-send",
    ):
        assert page.text(f"scope-says-{scope}"), f"{scope} is not explained"
