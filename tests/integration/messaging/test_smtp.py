"""E-mail over SMTP against a real SMTP server on loopback (aiosmtpd): accepted with its plain, HTML and
attached parts; a 5xx refusal is final, a 4xx reply, a slow server and a dropped connection are retried."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from engine.messaging import Outgoing, SendFailed, SmtpGateway, SmtpSettings


class Handler:
    def __init__(self, mode: str = "accept") -> None:
        self.mode = mode
        self.messages: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.mode == "refuse":
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "later":
            return "451 4.3.0 try again later"
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "drop":
            server.transport.close()
            return "250 never read"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@contextmanager
def smtp_server(mode: str = "accept") -> Iterator[tuple[Handler, int]]:
    handler = Handler(mode)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _message(**extra: Any) -> Outgoing:
    return Outgoing(
        channel="email",
        recipient="wang@example.org",
        subject="停水通知",
        text="您好,明天停水。",
        idempotency_key="notice:1:2",
        kind="outage",
        **extra,
    )


def test_an_accepted_mail_carries_plain_text_html_and_the_attachment(tmp_path: Path) -> None:
    report = tmp_path / "weekly.xlsx"
    report.write_bytes(b"PK\x03\x04 not really a workbook")
    with smtp_server() as (handler, port):
        gateway = SmtpGateway(SmtpSettings("127.0.0.1", port, sender="hotline@water.example", timeout=5))
        provider_id = gateway.send(_message(html="<p>您好,明天停水。</p>", attachment=str(report)))
    [received] = handler.messages
    assert received["Subject"] == "停水通知" and received["From"] == "hotline@water.example"
    assert received["Message-ID"] == provider_id and "notice.1.2" in provider_id
    assert received.get_body(("plain",)).get_content().strip() == "您好,明天停水。"
    assert "<p>" in received.get_body(("html",)).get_content()
    [attached] = list(received.iter_attachments())
    assert attached.get_filename() == "weekly.xlsx" and attached.get_content() == report.read_bytes()


@pytest.mark.parametrize(
    ("mode", "transient", "words"),
    [
        ("refuse", False, "550"),
        ("later", True, "451"),
        ("slow", True, "connection"),
        ("drop", True, "connection"),
    ],
)
def test_refusals_are_final_and_the_rest_is_tried_again(mode: str, transient: bool, words: str) -> None:
    with smtp_server(mode) as (_handler, port):
        gateway = SmtpGateway(SmtpSettings("127.0.0.1", port, timeout=1))
        with pytest.raises(SendFailed) as failure:
            gateway.send(_message())
    assert failure.value.transient is transient
    assert words in failure.value.reason


def test_a_server_that_is_not_there_is_tried_again() -> None:
    with smtp_server() as (_handler, port):
        pass
    with pytest.raises(SendFailed) as failure:
        SmtpGateway(SmtpSettings("127.0.0.1", port, timeout=1)).send(_message())
    assert failure.value.transient
