"""SMS through a generic HTTP gateway: most Chinese SMS platforms and a utility's own gateway take a
request of this shape. The body (JSON or a form) is a template whose {phone}, {text} and {id} (the
idempotency key) are filled in; success is the HTTP status, and optionally a field of the JSON answer.

HTTP 429 and 5xx, time-outs and dropped connections are transient; any other refusal is not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from engine.messaging.gateways import Outgoing, SendFailed

_REASON_LIMIT = 300


@dataclass(frozen=True)
class HttpSmsSettings:
    url: str
    method: str = "POST"
    # "json": the template is a JSON document; "form": `name={placeholder}&…`, sent as a form (POST) or
    # as the query string (GET).
    body_format: str = "json"
    body_template: str = '{"phone": "{phone}", "text": "{text}", "id": "{id}"}'
    # e.g. "Authorization: Bearer 123"; empty: none.
    auth_header: str = ""
    # A dotted path into the JSON answer and the value that means accepted ("" : the status alone).
    success_field: str = ""
    success_value: str = ""
    # Where the answer names the message, for delivery receipts ("" : the idempotency key is the name).
    id_field: str = ""
    # The gateway drops a second request with the same {id}: a message a stopped sender may have sent is
    # sent again through it without asking a supervisor.
    idempotent: bool = False
    timeout: float = 10.0


def _fill(value: str, fields: dict[str, str]) -> str:
    for name, filled in fields.items():
        value = value.replace("{" + name + "}", filled)
    return value


def _filled_json(node: Any, fields: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _fill(node, fields)
    if isinstance(node, list):
        return [_filled_json(item, fields) for item in node]
    if isinstance(node, dict):
        return {key: _filled_json(item, fields) for key, item in node.items()}
    return node


def _field(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


def check_body_template(settings: HttpSmsSettings) -> None:
    """A ValueError naming what is wrong with the template, at start-up rather than at the first send."""
    if settings.body_format == "json":
        try:
            json.loads(settings.body_template)
        except json.JSONDecodeError as err:
            raise ValueError(f"the SMS gateway's JSON body template does not parse: {err}") from err
    elif settings.body_format != "form":
        raise ValueError(f"the SMS gateway's body format must be json or form, not {settings.body_format!r}")


class HttpSmsGateway:
    def __init__(self, settings: HttpSmsSettings) -> None:
        check_body_template(settings)
        self.settings = settings
        self.accepts_idempotency_key = settings.idempotent

    def _request(self, message: Outgoing) -> urllib.request.Request:
        s = self.settings
        fields = {"phone": message.recipient, "text": message.text, "id": message.idempotency_key}
        headers: dict[str, str] = {}
        if s.auth_header:
            name, _sep, value = s.auth_header.partition(":")
            headers[name.strip()] = value.strip()
        url, data = s.url, None
        if s.body_format == "json":
            data = json.dumps(_filled_json(json.loads(s.body_template), fields), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        else:
            pairs = [
                (k, _fill(v, fields))
                for k, v in urllib.parse.parse_qsl(s.body_template, keep_blank_values=True)
            ]
            encoded = urllib.parse.urlencode(pairs)
            if s.method.upper() == "GET":
                url += ("&" if "?" in url else "?") + encoded
            else:
                data = encoded.encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        return urllib.request.Request(url, data=data, headers=headers, method=s.method.upper())

    def send(self, message: Outgoing) -> str:
        status, body = post(self._request(message), self.settings.timeout)
        if status == 429 or status >= 500:
            raise SendFailed(f"HTTP {status}: {body[:_REASON_LIMIT]}", transient=True)
        if status >= 300:
            raise SendFailed(f"HTTP {status}: {body[:_REASON_LIMIT]}", transient=False)
        answer: Any = None
        if self.settings.success_field or self.settings.id_field:
            try:
                answer = json.loads(body)
            except json.JSONDecodeError as err:
                raise SendFailed(
                    f"the gateway's answer is not JSON: {body[:_REASON_LIMIT]}", transient=False
                ) from err
        if self.settings.success_field:
            found = _field(answer, self.settings.success_field)
            if str(found) != self.settings.success_value:
                raise SendFailed(
                    f"the gateway said {self.settings.success_field}={found}: {body[:_REASON_LIMIT]}",
                    transient=False,
                )
        if self.settings.id_field:
            return str(_field(answer, self.settings.id_field) or "")
        return message.idempotency_key


def post(request: urllib.request.Request, timeout: float) -> tuple[int, str]:
    """Send the request; (status, body text). Connection trouble is a transient SendFailed."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        raise SendFailed(f"connection: {type(err).__name__}: {err}", transient=True) from err


def require_2xx(status: int, answer: str) -> None:
    """A SendFailed unless the status is 2xx: 408, 429 and 5xx are transient (tried again), any other
    refusal is final. `post` makes a broken connection transient already."""
    if 200 <= status < 300:
        return
    reason = f"HTTP {status}: {answer[:_REASON_LIMIT]}"
    raise SendFailed(reason, transient=status in (408, 429) or status >= 500)
