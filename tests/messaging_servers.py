"""Real servers on loopback for the outbox's tests: an HTTP SMS gateway, a Tencent Cloud SMS endpoint
that checks the TC3-HMAC-SHA256 signature as Tencent does, and an SMTP server (aiosmtpd). Each runs in a
thread of the test process, records what it received and answers as the test tells it to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        source = self.body.decode() if self.body else urllib.parse.urlsplit(self.path).query
        return dict(urllib.parse.parse_qsl(source))


Answer = Callable[[Received], tuple[int, Any]]


@dataclass
class HttpGateway:
    """An HTTP server; `answer` decides each reply (status, JSON-able body)."""

    answer: Answer
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                with gateway.lock:
                    gateway.received.append(got)
                if gateway.delay:
                    time.sleep(gateway.delay)
                status, body = gateway.answer(got)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def running(gateway: HttpGateway) -> Iterator[HttpGateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), gateway.handler())
    server.daemon_threads = True
    gateway.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


def accept_all(received: Received) -> tuple[int, Any]:
    return 200, {"code": "0", "msgid": f"m-{len(received.body)}"}


# --- Tencent Cloud SMS: the server side of TC3-HMAC-SHA256 ---------------------------------------------


def tc3_expected(secret_key: str, received: Received) -> str:
    """The signature Tencent computes for a request, from its own copy of the secret key."""
    headers = {k.lower(): v for k, v in received.headers.items()}
    timestamp = int(headers["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].strip()
    # Tencent's rule: each signed header as lowercase name and lowercase, trimmed value.
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed.split(";"))
    canonical = "\n".join(
        ["POST", "/", "", canonical_headers, signed, hashlib.sha256(received.body).hexdigest()]
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_answer(
    secret_key: str, outcome: Callable[[dict[str, Any]], tuple[int, Any]] | None = None
) -> Answer:
    """A SendSms endpoint: refuses a wrong signature as Tencent does (AuthFailure.SignatureFailure),
    otherwise answers what `outcome` says for the request body (default: sent)."""

    def answer(received: Received) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in received.headers.items()}
        given = headers.get("authorization", "").rpartition("Signature=")[2]
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return 200, {"Response": {"Error": {"Code": "InvalidAction", "Message": "no such action"}}}
        if not hmac.compare_digest(given, tc3_expected(secret_key, received)):
            return 200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}}
        body = received.json()
        if outcome is not None:
            return outcome(body)
        return 200, {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": f"sn-{body['SessionContext']}",
                        "PhoneNumber": body["PhoneNumberSet"][0],
                        "Fee": 1,
                        "SessionContext": body["SessionContext"],
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "req-1",
            }
        }

    return answer
