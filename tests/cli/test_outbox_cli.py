"""hotline outbox send-once / failed / retry, and hotline customers messages: what an operator does by
hand with the SMS and e-mail outbox, against a real HTTP SMS gateway on loopback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, update

from engine.db import Customer, OutboxMessage
from hotline.cli import main
from tests.cli.conftest import Demo
from tests.messaging_servers import HttpGateway, accept_all, running


def test_send_once_needs_a_gateway_then_sends_what_is_due(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = create_engine(demo.url)
    with database.connect() as connection:
        due = connection.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.channel == "sms")
        )
    assert due, "the demo's outages put SMS in the outbox"
    nothing = CliRunner().invoke(main, ["outbox", "send-once"])
    assert nothing.exit_code == 1 and "no gateway is configured" in nothing.output
    with running(HttpGateway(accept_all)) as gateway:
        monkeypatch.setenv("HOTLINE_SMS_GATEWAY", "http")
        monkeypatch.setenv("HOTLINE_SMS_URL", gateway.url)
        monkeypatch.setenv("HOTLINE_SMS_RATE", "0")
        sent = CliRunner().invoke(main, ["outbox", "send-once"])
    assert sent.exit_code == 0, sent.output
    assert f"sent {len(gateway.received)}," in sent.output and len(gateway.received) == due
    database.dispose()


def test_a_failed_message_is_listed_and_retried(demo: Demo) -> None:
    database = create_engine(demo.url)
    with database.begin() as connection:
        message_id = connection.scalar(select(func.min(OutboxMessage.id)))
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="failed", last_error="HTTP 400: bad number", maybe_sent=True)
        )
    listed = CliRunner().invoke(main, ["outbox", "failed"])
    assert f"#{message_id}" in listed.output and "HTTP 400: bad number  (may have gone out)" in listed.output
    retried = CliRunner().invoke(main, ["outbox", "retry", str(message_id)])
    assert retried.exit_code == 0 and "next round" in retried.output
    again = CliRunner().invoke(main, ["outbox", "retry", str(message_id)])
    assert again.exit_code == 1 and "is not a failed message" in again.output
    database.dispose()


def test_a_customer_asks_for_no_sms_and_english(demo: Demo) -> None:
    database = create_engine(demo.url)
    with database.connect() as connection:
        account = connection.scalar(select(func.min(Customer.account_no)))
    changed = CliRunner().invoke(main, ["customers", "messages", account, "--no-sms", "--language", "en"])
    assert changed.exit_code == 0, changed.output
    assert changed.output.strip() == f"{account}: no SMS, en"
    with database.connect() as connection:
        assert connection.execute(
            select(Customer.no_sms, Customer.language).where(Customer.account_no == account)
        ).one() == (True, "en")
    assert CliRunner().invoke(main, ["customers", "messages", account, "--language", "fr"]).exit_code == 2
    assert CliRunner().invoke(main, ["customers", "messages", "NO-SUCH"]).exit_code == 1
    database.dispose()
