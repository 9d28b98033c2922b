"""Tencent Cloud SMS, the SendSms action of API version 2021-01-11, signed with TC3-HMAC-SHA256 as the
provider documents it (https://cloud.tencent.com/document/api/382/55981 and the signature v3 page).

Chinese providers send only approved templates: a message kind maps to a template id, the message's
`template_params` fill it, and the sign name (签名) is the approved sender name. The idempotency key
travels as SessionContext, which Tencent echoes but does not deduplicate on: `accepts_idempotency_key`
is False. Delivery receipts (the status callback) name the message by its SerialNo, kept as the
provider's id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.messaging.gateways import Outgoing, SendFailed
from engine.messaging.http_sms import post

SERVICE = "sms"
VERSION = "2021-01-11"
ACTION = "SendSms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
# Error codes worth trying again later (the rest are settings or a number that can never work).
_TRANSIENT_PREFIXES = (
    "RequestLimitExceeded",
    "InternalError",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "FailedOperation.ServiceBusy",
)


@dataclass(frozen=True)
class TencentSmsSettings:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    # The approved template of each message kind (outage, restoration, estimate, liaison, chase…).
    template_ids: Mapping[str, str] = field(default_factory=dict)
    region: str = "ap-guangzhou"
    endpoint: str = "https://sms.tencentcloudapi.com"
    timeout: float = 10.0


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(secret_key: str, host: str, payload: bytes, timestamp: int, service: str = SERVICE) -> str:
    """The TC3-HMAC-SHA256 signature of a POST to / with the content-type and host headers signed."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            "content-type;host",
            _sha256_hex(payload),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{_sha256_hex(canonical_request.encode())}"
    signing_key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signature = tc3_signature(secret_key, host, payload, timestamp)
    return (
        f"{ALGORITHM} Credential={secret_id}/{date}/{SERVICE}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def phone_number(recipient: str) -> str:
    """E.164, as SendSms wants it: a mainland number without a country code gets +86."""
    number = recipient.replace(" ", "").replace("-", "")
    return number if number.startswith("+") else "+86" + number


class TencentSmsGateway:
    accepts_idempotency_key = False

    def __init__(self, settings: TencentSmsSettings, epoch_seconds: Callable[[], float] = time.time) -> None:
        self.settings = settings
        # The signature carries the real time: Tencent refuses one more than five minutes off.
        self._epoch_seconds = epoch_seconds

    def request_for(self, message: Outgoing) -> urllib.request.Request:
        s = self.settings
        template_id = s.template_ids.get(message.kind, "")
        if not template_id:
            raise SendFailed(
                f"no Tencent SMS template for messages of kind {message.kind!r}", transient=False
            )
        body = {
            "PhoneNumberSet": [phone_number(message.recipient)],
            "SmsSdkAppId": s.sdk_app_id,
            "SignName": s.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": list(message.template_params),
            "SessionContext": message.idempotency_key,
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        host = urllib.parse.urlsplit(s.endpoint).netloc
        timestamp = int(self._epoch_seconds())
        headers = {
            "Authorization": authorization(s.secret_id, s.secret_key, host, payload, timestamp),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": s.region,
        }
        return urllib.request.Request(
            s.endpoint.rstrip("/") + "/", data=payload, headers=headers, method="POST"
        )

    def send(self, message: Outgoing) -> str:
        status, text = post(self.request_for(message), self.settings.timeout)
        if status >= 500:
            raise SendFailed(f"HTTP {status}: {text[:300]}", transient=True)
        try:
            answer: Any = json.loads(text)["Response"]
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise SendFailed(
                f"HTTP {status}, not a SendSms answer: {text[:300]}", transient=status == 429
            ) from err
        error = answer.get("Error")
        if error:
            code = str(error.get("Code", ""))
            raise SendFailed(
                f"{code}: {error.get('Message', '')}", transient=code.startswith(_TRANSIENT_PREFIXES)
            )
        statuses = answer.get("SendStatusSet") or []
        if not statuses:
            raise SendFailed(f"no send status in the answer: {text[:300]}", transient=False)
        sent = statuses[0]
        code = str(sent.get("Code", ""))
        if code != "Ok":
            raise SendFailed(
                f"{code}: {sent.get('Message', '')}", transient=code.startswith(_TRANSIENT_PREFIXES)
            )
        return str(sent.get("SerialNo", ""))
