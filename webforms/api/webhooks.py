"""Webhooks through the API (issue 19 item 3): a client with the scope webhooks:manage subscribes to
events at a URL, lists, pauses, resumes and removes (soft) its own subscriptions and reads their last
deliveries. The secret that signs the deliveries is in the answer that made the subscription, only
there. A client sees only its own subscriptions (another's: 404)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from engine.db import ApiClient, WebhookSubscription
from engine.messaging import (
    add_subscription,
    delete_subscription,
    deliveries,
    set_paused,
    subscription,
    subscriptions,
)
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.schemas import (
    NewWebhookResultSchema,
    NewWebhookSchema,
    WebhookDeliverySchema,
    WebhookSchema,
)
from webforms.database import read_only, unit_of_work

blp = api_blueprint("webhooks", "/webhooks", "Webhooks: events delivered to a client's URL, signed")
SCOPE = "webhooks:manage"
HOOK = f"/<int(min=1, max={2**31 - 1}):subscription_id>"


def shown(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "events": row.events.split(),
        "paused": row.paused_at is not None,
        "created_at": row.created_at,
    }


def _client(session: Any) -> ApiClient:
    client: ApiClient = session.get(ApiClient, current_user.client_id)
    return client


@blp.route("", methods=["GET"])
@blp.response(200, WebhookSchema(many=True))
@needs_scope(SCOPE)
def index() -> Any:
    """The client's subscriptions (deleted ones left out), oldest first."""
    with read_only() as uow:
        return [shown(row) for row in subscriptions(uow.session, current_user.client_id)]


@blp.route("", methods=["POST"])
@blp.arguments(NewWebhookSchema)
@blp.response(201, NewWebhookResultSchema)
@needs_scope(SCOPE)
def add(body: dict[str, Any]) -> Any:
    """Subscribe to events at a URL; the answer holds the secret that signs the deliveries, shown only
    this once (a refused URL: 422 with the field)."""
    with unit_of_work() as uow:
        made = add_subscription(uow, current_user.username, _client(uow.session), body["url"], body["events"])
        result = {**shown(made.subscription), "secret": made.secret}
        uow.commit()
    return result


@blp.route(HOOK, methods=["GET"])
@blp.response(200, WebhookSchema)
@needs_scope(SCOPE)
def show(subscription_id: int) -> Any:
    with read_only() as uow:
        return shown(subscription(uow.session, current_user.client_id, subscription_id))


@blp.route(HOOK + "/pause", methods=["POST"])
@blp.response(200, WebhookSchema)
@needs_scope(SCOPE)
def pause(subscription_id: int) -> Any:
    """No new deliveries until it is resumed (those already queued still go); pausing a paused one
    changes nothing."""
    return _paused(subscription_id, True)


@blp.route(HOOK + "/resume", methods=["POST"])
@blp.response(200, WebhookSchema)
@needs_scope(SCOPE)
def resume(subscription_id: int) -> Any:
    """Deliveries again, from the next event on."""
    return _paused(subscription_id, False)


def _paused(subscription_id: int, paused: bool) -> dict[str, Any]:
    with unit_of_work() as uow:
        row = set_paused(uow, current_user.username, _client(uow.session), subscription_id, paused)
        result = shown(row)
        uow.commit()
    return result


@blp.route(HOOK + "/remove", methods=["POST"])
@blp.response(204)
@needs_scope(SCOPE)
def remove(subscription_id: int) -> Any:
    """Soft: no more deliveries, queued ones dropped; it leaves the list, its deliveries stay on record
    (a configuration, like a report's recipient, not a record of the hotline's work)."""
    with unit_of_work() as uow:
        delete_subscription(uow, current_user.username, _client(uow.session), subscription_id)
        uow.commit()
    return None


@blp.route(HOOK + "/deliveries", methods=["GET"])
@blp.response(200, WebhookDeliverySchema(many=True))
@needs_scope(SCOPE)
def delivery_list(subscription_id: int) -> Any:
    """The last 50 deliveries, newest first: status, attempts, the last answer's status and beginning."""
    with read_only() as uow:
        subscription(uow.session, current_user.client_id, subscription_id)
        return [
            {
                "id": d.delivery_id,
                "event": d.event,
                "case_number": d.case_number,
                "created_at": d.created_at,
                "status": d.status,
                "attempts": d.attempts,
                "attempted_at": d.attempted_at,
                "response_code": d.response_code,
                "response_excerpt": d.response_excerpt,
                "error": d.error,
            }
            for d in deliveries(uow.session, subscription_id, limit=50)
        ]
