"""The platform reply sent by API (issue 19 item 5, U1): a case source whose platform takes replies by
API has a reply endpoint (its own table, keyed by the source's code). The diagram asks
`platform_reply_by_api(case_source)` after the callback: where it is true, the operator checks the
prepared text and completes the step that sends it (the element's `replyOnPlatform` effect), which
writes the reply into the outbox on the channel "platform" in the same transaction; the case then
waits for the message `platform_acknowledged`, which the sender correlates once the platform answered
2xx, with the platform's answer as case variables (platform_status, platform_reply_id, platform_answer).
A platform that keeps failing, or refuses, fails the reply: an incident a supervisor retries, and the
case stays open waiting. Where no endpoint is set, the step is the operator's paste-and-record task.

The gateway that sends (engine.work.platform_replies) reads the endpoint when it sends, so a corrected
address or token counts for a reply retried after a failure."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import FieldError
from engine.db import CaseSource, PlatformEndpoint
from engine.errors import FormInvalid, NotFound
from engine.messages import N_
from engine.messaging.outbox import NewMessage, queue_messages
from engine.messaging.web_addresses import is_web_address
from engine.reference import changes_between, record_admin_change

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

CHANNEL = "platform"
KEY_PREFIX = "platform:"
KIND = "platform_reply"
ACKNOWLEDGED = "platform_acknowledged"
BODY_FORMATS = ("json", "form")
URL_LIMIT = 500

PLATFORM_PROBLEMS: dict[str, str] = {
    "platform_url": N_("Give an http:// or https:// address of at most 500 characters."),
    "body_format": N_("Choose JSON or a form."),
    "too_long": N_("At most %(max)s characters."),
}


def reply_body(
    case_number: str, source: str, reference: str | None, text: str, result: str | None
) -> dict[str, Any]:
    """What the platform is sent: its own case number, ours, the reply's text and the result."""
    return {
        "reference": reference or "",
        "case_number": case_number,
        "source": source,
        "result": result or "",
        "text": text,
    }


def encoded_body(body_format: str, text: str) -> tuple[bytes, str]:
    """The queued JSON as the endpoint takes it: (bytes, content type)."""
    if body_format == "form":
        values = json.loads(text)
        return urllib.parse.urlencode(values).encode(), "application/x-www-form-urlencoded; charset=utf-8"
    return text.encode(), "application/json; charset=utf-8"


def queue_platform_reply(
    session: Session,
    instance_id: int,
    case_number: str,
    data: Mapping[str, Any],
    text_field: str,
    now: datetime,
) -> str:
    """The reply of the case into the outbox, in the caller's transaction; its idempotency key (the
    delivery id the platform sees, the same in every attempt)."""
    source = str(data.get("case_source") or "")
    # The handling's result: a complaint department's `result`, a repair's `work_done`.
    result = data.get("result") or data.get("work_done") or data.get("investigation")
    body = reply_body(
        case_number,
        source,
        str(data.get("upstream_reference") or "") or None,
        str(data.get(text_field) or ""),
        str(result) if result else None,
    )
    key = f"{KEY_PREFIX}{instance_id}:{uuid.uuid4().hex}"
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    queue_messages(
        session, [NewMessage(CHANNEL, source[:200], KIND, text, key, instance_id=instance_id)], now
    )
    return key


def instance_of_key(key: str) -> int | None:
    """The case a platform reply's idempotency key belongs to."""
    head, _sep, _rest = key.removeprefix(KEY_PREFIX).partition(":")
    return int(head) if head.isdigit() else None


def live_endpoint(session: Session, source: str | None) -> PlatformEndpoint | None:
    row = session.get(PlatformEndpoint, str(source or ""))
    return row if row is not None and row.active else None


def platform_endpoints(session: Session) -> list[tuple[CaseSource, PlatformEndpoint | None]]:
    """Every case source whose cases are replied upstream, with its reply endpoint if it has one."""
    sources = list(
        session.scalars(select(CaseSource).where(CaseSource.upstream.is_(True)).order_by(CaseSource.code))
    )
    endpoints = {e.source_code: e for e in session.scalars(select(PlatformEndpoint))}
    return [(s, endpoints.get(s.code)) for s in sources]


def _snapshot(row: PlatformEndpoint | None) -> dict[str, Any]:
    if row is None:
        return {}
    # The token and the secret are audited as changed or not, never written into the audit.
    return {
        "url": row.url,
        "body_format": row.body_format,
        "active": row.active,
        "auth": "•••" if row.auth else "",
        "secret": "•••" if row.secret else "",
    }


def save_platform_endpoint(
    uow: UnitOfWork, actor: str, source_code: str, submitted: Mapping[str, Any]
) -> None:
    """Set (or change) the source's reply endpoint. An empty token or secret keeps the one stored unless
    `clear_auth` / `clear_secret` is given. FormInvalid (nothing written) for a refused value."""
    session = uow.session
    if session.get(CaseSource, source_code) is None:
        raise NotFound(f"no case source {source_code!r}")
    url = str(submitted.get("url") or "").strip()
    body_format = str(submitted.get("body_format") or "json")
    auth = str(submitted.get("auth") or "").strip()
    secret = str(submitted.get("secret") or "").strip()
    errors: dict[str, FieldError] = {}
    if not is_web_address(url, URL_LIMIT):
        errors["url"] = FieldError("platform_url")
    if body_format not in BODY_FORMATS:
        errors["body_format"] = FieldError("body_format")
    if len(auth) > 300:
        errors["auth"] = FieldError("too_long", {"max": 300})
    if len(secret) > 100:
        errors["secret"] = FieldError("too_long", {"max": 100})
    if errors:
        shown = {"url": url, "body_format": body_format, "active": bool(submitted.get("active"))}
        raise FormInvalid(errors, shown)
    row = session.get(PlatformEndpoint, source_code)
    before = _snapshot(row)
    now = uow.clock.now()
    if row is None:
        row = PlatformEndpoint(source_code=source_code, auth="", secret="", note="")
        session.add(row)
    row.url, row.body_format, row.active = url, body_format, bool(submitted.get("active"))
    if auth or submitted.get("clear_auth"):
        row.auth = auth
    if secret or submitted.get("clear_secret"):
        row.secret = secret
    row.updated_at, row.updated_by = now, actor[:100]
    changes = changes_between(before, _snapshot(row))
    if changes:
        record_admin_change(
            session, uow.clock, actor, "platform_endpoint_saved", "case_source", source_code, changes
        )
