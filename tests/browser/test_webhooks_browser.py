"""An administrator adds a webhook for an API client, sees its secret once, watches its deliveries
reach a receiver on loopback, and pauses it: no new delivery while it is paused. On the desktop and on a
360-pixel phone (the page fits without sideways scrolling)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.messaging import WebhookGateway, send_due_messages
from engine.people import add_api_client
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.browser.support import PHONE, VIEWPORT, Page, expect, second_browser, shot, sign_in
from tests.helpers import OPERATOR, intake_form
from tests.messaging_servers import HttpGateway, accept_all, running

pytestmark = pytest.mark.browser


def _client(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with UnitOfWork(sessions, runtime) as uow:
        add_api_client(
            uow,
            "admin",
            "phone-system",
            scopes=["webhooks:manage"],
            role="operator",
            expires_at=uow.clock.now() + timedelta(days=365),
        )
        uow.commit()


def _open_case_and_send(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    with UnitOfWork(sessions, runtime) as uow:
        start_case(uow.session, runtime, "complaint", OPERATOR, intake_form())
        uow.commit()
    units = lambda: UnitOfWork(sessions, runtime)  # noqa: E731
    return send_due_messages(units, {"webhook": WebhookGateway(units, timeout=5)}, "browser-test").sent


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_adding_a_webhook_seeing_its_secret_once_its_deliveries_and_pausing_it(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime, size: str
) -> None:
    _client(sessions, runtime)
    phone = size == "phone"
    width = (PHONE if phone else VIEWPORT)["width"]
    with (
        running(HttpGateway(accept_all)) as receiver,
        second_browser(page, server, PHONE if phone else VIEWPORT, phone=phone) as admin,
    ):
        sign_in(admin, "admin")
        admin.goto("/admin/api-clients")
        admin.click("#webhooks-phone-system")
        expect(admin.locator("#no-webhooks")).to_be_visible()
        admin.fill("#url", receiver.url + "/hotline")
        admin.check("#event-case-opened")
        admin.click("#add-webhook")
        expect(admin.locator(".flash.success")).to_contain_text("事件推送已添加")
        secret = admin.locator("#secret").inner_text()
        assert secret.startswith("whsec_") and len(secret) > 30
        shot(admin, f"webhooks-01-secret-{size}")
        admin.goto("/admin/api-clients/phone-system/webhooks")  # the secret is shown this once only
        expect(admin.locator("#new-secret")).to_have_count(0)
        assert secret not in admin.content()
        card = admin.locator("section.card[id^='webhook-']")
        expect(card).to_have_count(1)
        expect(card.locator("[id^='webhook-state-']")).to_have_text("启用")

        assert _open_case_and_send(sessions, runtime) == 1 and len(receiver.received) == 1
        admin.reload()
        rows = card.locator("table[id^='deliveries-'] tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".delivery-status")).to_have_attribute("data-status", "sent")
        expect(rows.first.locator(".delivery-code")).to_have_text("HTTP 200")
        expect(rows.first).to_contain_text("case.opened")
        assert admin.evaluate("document.documentElement.scrollWidth") <= width
        shot(admin, f"webhooks-02-delivered-{size}")

        card.locator("button[id^='pause-']").click()
        expect(admin.locator(".flash.success")).to_be_visible()
        expect(card.locator("[id^='webhook-state-']")).to_have_text("已暂停")
        expect(card.locator("button[id^='resume-']")).to_be_visible()
        assert _open_case_and_send(sessions, runtime) == 0 and len(receiver.received) == 1
        admin.reload()
        expect(rows).to_have_count(1)  # nothing new while paused
        assert admin.evaluate("document.documentElement.scrollWidth") <= width
        shot(admin, f"webhooks-03-paused-{size}")
