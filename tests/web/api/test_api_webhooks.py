"""Webhook subscriptions through the API (issue 19 item 3): the scope webhooks:manage, the secret shown
once, a refused URL as a 422 problem with the field, a client's subscriptions its own (another's: 404),
pausing, deleting (soft) and the last deliveries with their status."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import OutboxMessage, WebhookSubscription
from tests.helpers import intake_form
from tests.web.api.support import Api


def test_a_client_subscribes_pauses_reads_its_deliveries_and_deletes(
    api_as: Callable[..., Api], every_procedure: None, sessions: sessionmaker[Session]
) -> None:
    bridge = api_as("operator", scopes=("webhooks:manage", "cases:create"))
    refused = bridge.post("/webhooks", {"url": "ftp://x.example/hook", "events": ["case.opened"]})
    assert refused.status_code == 422 and set(refused.json["errors"]) == {"url"}
    unknown = bridge.post("/webhooks", {"url": "https://x.example/hook", "events": ["case.eaten"]})
    assert unknown.status_code == 422
    made = bridge.post("/webhooks", {"url": "https://phones.example/hook", "events": ["case.opened"]})
    assert made.status_code == 201, made.json
    assert made.json["secret"].startswith("whsec_") and made.json["paused"] is False
    hook = made.json["id"]
    listed = bridge.get("/webhooks").json
    assert [h["id"] for h in listed] == [hook] and "secret" not in listed[0]
    with sessions() as session:  # kept so it can sign: the same secret as shown
        assert session.get(WebhookSubscription, hook).secret == made.json["secret"]

    opened = bridge.post("/cases", {"procedure": "complaint", "values": intake_form()})
    assert opened.status_code == 201
    [delivery] = bridge.get(f"/webhooks/{hook}/deliveries").json
    assert (delivery["event"], delivery["caseNumber"], delivery["status"]) == (
        "case.opened",
        opened.json["number"],
        "pending",
    )
    with sessions() as session:
        assert session.scalar(select(OutboxMessage.channel).where(OutboxMessage.kind == "case.opened")) == (
            "webhook"
        )

    paused = bridge.post(f"/webhooks/{hook}/pause")
    assert paused.status_code == 200 and paused.json["paused"] is True
    bridge.post("/cases", {"procedure": "complaint", "values": intake_form()})
    assert len(bridge.get(f"/webhooks/{hook}/deliveries").json) == 1  # nothing new while paused

    other = api_as("operator", scopes=("webhooks:manage",))
    assert other.get(f"/webhooks/{hook}").status_code == 404
    assert other.post(f"/webhooks/{hook}/remove").status_code == 404
    assert other.post(f"/webhooks/{hook}/pause").status_code == 404

    resumed = bridge.post(f"/webhooks/{hook}/resume")
    assert resumed.status_code == 200 and resumed.json["paused"] is False
    gone = bridge.post(f"/webhooks/{hook}/remove")
    assert gone.status_code == 204
    assert bridge.get("/webhooks").json == [] and bridge.get(f"/webhooks/{hook}").status_code == 404
    with sessions() as session:
        assert session.get(WebhookSubscription, hook).deleted_at is not None


def test_without_the_scope_a_client_is_refused(api_as: Callable[..., Api]) -> None:
    reader = api_as("operator", scopes=("cases:read",))
    answer = reader.post("/webhooks", {"url": "https://x.example/hook", "events": ["case.opened"]})
    assert answer.status_code == 403 and "webhooks:manage" in answer.json["detail"]
    assert reader.get("/webhooks").status_code == 403


def test_the_webhook_endpoints_are_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    paths = document["paths"]
    assert set(paths["/api/v1/webhooks"]) >= {"get", "post"}
    assert "get" in paths["/api/v1/webhooks/{subscription_id}"]
    assert {"pause", "resume", "remove"} <= {p.rsplit("/", 1)[1] for p in paths if "webhooks/{" in p}
    assert "get" in paths["/api/v1/webhooks/{subscription_id}/deliveries"]
    assert "secret" in document["components"]["schemas"]["NewWebhookResult"]["properties"]
    assert "responseCode" in document["components"]["schemas"]["WebhookDelivery"]["properties"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/hook",  # urlsplit raised ValueError: a 500
        "https://hooks.example:99999/hook",  # reading the port raised too
        "https://hooks example/hook",  # http.client refuses a space: every delivery would fail
        "https://hooks.example/回调",  # and text that is not ASCII after the host
    ],
)
def test_an_address_the_sender_cannot_post_to_is_a_422_on_the_url_and_nothing_is_written(
    api_as: Callable[..., Api], sessions: sessionmaker[Session], url: str
) -> None:
    bridge = api_as("operator", scopes=("webhooks:manage",))
    refused = bridge.post("/webhooks", {"url": url, "events": ["case.opened"]})
    assert refused.status_code == 422 and set(refused.json["errors"]) == {"url"}, refused.json
    with sessions() as session:
        assert session.scalars(select(WebhookSubscription)).all() == []
