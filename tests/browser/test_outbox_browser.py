"""O1 in the browser: the dispatcher announces an outage and watches its SMS go out on the case page —
all pending at first, then sent once the outbox's sender has run against a gateway on loopback."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.messaging import HttpSmsGateway, HttpSmsSettings, send_due_messages
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.browser.support import Page, expect, shot, sign_in, start_case
from tests.messaging_servers import HttpGateway, accept_all, running

pytestmark = pytest.mark.browser


def test_announcing_an_outage_and_watching_its_sms_go_out_o1(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    sign_in(page, "dispatcher")
    number = start_case(
        page,
        "outage",
        {
            "service": "heating",
            "outage_type": "fault",
            "district": "金明区",
            "building": "3号楼",
            "unit": "",
            "cause": "换热站主管道爆裂",
            "starts_at": "2026-11-23T08:30",
            "estimated_restore_at": "2026-11-23T14:00",
        },
    )
    page.goto(f"/cases/{number}")
    progress = page.locator("#sending-progress")
    expect(progress).to_have_attribute("data-pending", "3")
    expect(progress).to_have_attribute("data-sent", "0")
    shot(page, "outbox-01-pending")

    with running(HttpGateway(accept_all)) as gateway:
        sms = HttpSmsGateway(HttpSmsSettings(url=gateway.url))
        done = send_due_messages(lambda: UnitOfWork(sessions, runtime), {"sms": sms}, "browser-test")
    assert done.sent == 3 and len(gateway.received) == 3

    page.reload()
    expect(progress).to_have_attribute("data-sent", "3")
    expect(progress).to_have_attribute("data-pending", "0")
    expect(progress).to_contain_text("已发送 3")
    # The three sends are one entry of the history (an outage sends thousands at a time).
    sent = page.locator("#history li.kind-messages_sent")
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text("3 条消息已交网关发送")
    shot(page, "outbox-02-sent")
