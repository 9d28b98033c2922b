"""Sending a platform reply (engine.messaging.platform_replies) to the platform the case came from, and
telling the case the platform took it: on a 2xx answer the message `platform_acknowledged` is
correlated to the case with the platform's answer, so it is in the case's history and data and the
case goes on to be closed. 408, 429, 5xx, a time-out or a dropped connection: tried again with the
outbox's back-off; any other answer, or a source without an active endpoint: failed, an incident."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.db import ProcessInstance, is_transient
from engine.errors import HotlineError
from engine.messaging import Outgoing, SendFailed, sign
from engine.messaging.http_sms import post, require_2xx
from engine.messaging.platform_replies import ACKNOWLEDGED, encoded_body, instance_of_key, live_endpoint
from engine.runtime import SYSTEM
from engine.work.external_work import send_message

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
EXCERPT_LIMIT = 500
_REPLY_ID_FIELDS = ("reply_id", "replyId", "id")


def _reply_id(answer: str) -> str:
    try:
        document: Any = json.loads(answer)
    except json.JSONDecodeError:
        return ""
    if not isinstance(document, dict):
        return ""
    for name in _REPLY_ID_FIELDS:
        if document.get(name) not in (None, ""):
            return str(document[name])[:100]
    return ""


class PlatformGateway:
    accepts_idempotency_key = True  # the reply's key goes with every attempt (X-Hotline-Delivery)

    def __init__(self, units: Callable[[], UnitOfWork], timeout: float = 15.0) -> None:
        self.units = units
        self.timeout = timeout

    def send(self, message: Outgoing) -> str:
        instance_id = instance_of_key(message.idempotency_key)
        with self.units() as uow:
            instance = uow.session.get(ProcessInstance, instance_id) if instance_id is not None else None
            endpoint = live_endpoint(uow.session, message.recipient)
            now = uow.clock.now()
            if instance is None:
                raise SendFailed("the reply's case is not found", transient=False)
            case_number = instance.case_number
            if endpoint is None:
                raise SendFailed(
                    f"the case source {message.recipient} has no active reply endpoint", transient=False
                )
            url, auth, secret, body_format = (
                endpoint.url,
                endpoint.auth,
                endpoint.secret,
                endpoint.body_format,
            )
        body, content_type = encoded_body(body_format, message.text)
        headers = {
            "Content-Type": content_type,
            "User-Agent": "HotlineFlow-PlatformReply/1",
            "X-Hotline-Delivery": message.idempotency_key,
        }
        if auth:
            headers["Authorization"] = auth
        if secret:
            headers["X-Hotline-Signature"] = sign(secret, int(now.timestamp()), body)
        status, answer = post(
            urllib.request.Request(url, data=body, headers=headers, method="POST"), self.timeout
        )
        require_2xx(status, answer)
        reply_id = _reply_id(answer)
        self._acknowledged(case_number, status, reply_id, answer[:EXCERPT_LIMIT])
        return reply_id or message.idempotency_key

    def _acknowledged(self, case_number: str, status: int, reply_id: str, excerpt: str) -> None:
        """The case learns the platform took the reply; a case no longer waiting for it (closed by
        hand meanwhile) keeps the answer in the outbox's record only. A busy database: SendFailed
        (transient), so the reply goes again with the same key and the platform drops the repeat."""
        variables = {"platform_status": status, "platform_reply_id": reply_id, "platform_answer": excerpt}
        try:
            with self.units() as uow:
                send_message(uow, SYSTEM, ACKNOWLEDGED, case_number, {}, variables)
                uow.commit()
        except Exception as err:
            if is_transient(err):  # the database was busy: the reply goes again (same key), then the case
                raise SendFailed(f"the case could not be told yet: {err}", transient=True) from err
            if not isinstance(err, HotlineError):
                raise
            log.warning("case %s: the platform took the reply, but %s", case_number, err)
