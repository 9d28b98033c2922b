"""The administrator's newer pages on a 360-pixel phone, in both languages: nothing scrolls sideways,
whatever was typed (a long address or note without a space in it)."""

from __future__ import annotations

import pytest

from tests.browser.support import Page, add_api_client_in_page, expect, shot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
WIDEST = "document.documentElement.scrollWidth"


def test_report_recipients_fit_a_phone_with_a_long_note_m2(page: Page) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")
    page.goto("/admin/report-recipients")
    assert page.evaluate(WIDEST) <= PHONE["width"], "the add form is wider than the phone"
    page.fill("#f-address", "12345-platform-office-of-the-city@heat.example")
    page.fill("#f-note", "市长热线办公室" + "x" * 300)  # the field takes what the server keeps: 200
    assert len(page.input_value("#f-note")) == 200
    page.click("#add-recipient button[type=submit]")
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("#recipients-weekly")).to_contain_text("市长热线办公室")
    assert page.evaluate(WIDEST) <= PHONE["width"], "a long note widens the page"
    shot(page, "phone-report-recipients")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Report recipients")
    assert page.evaluate(WIDEST) <= PHONE["width"]


def test_address_fields_are_as_wide_as_the_fields_beside_them_u1(page: Page) -> None:
    """A platform's reply address and a webhook's address (type=url) are styled like every other field,
    not a narrow bare box under their labels."""
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")
    page.goto("/admin/platform-endpoints")
    url = page.locator("#url-mayor_12345").bounding_box()
    auth = page.locator("#auth-mayor_12345").bounding_box()
    assert url is not None and auth is not None
    assert url["width"] == auth["width"] and url["height"] == auth["height"]
    assert page.evaluate(WIDEST) <= PHONE["width"]
    add_api_client_in_page(page)
    assert page.evaluate(WIDEST) <= PHONE["width"], "the new token runs off the phone"
    page.goto("/admin/api-clients/phones/webhooks")
    field = page.locator("#url").bounding_box()
    form = page.locator("#webhook-form").bounding_box()
    assert field is not None and form is not None and field["width"] > form["width"] * 0.8
    page.fill("#url", "https://phones.example/hotline/webhooks/" + "a" * 100)
    page.check("#event-case-opened")
    page.click("#webhook-form button[type=submit]")
    expect(page.locator("#new-secret")).to_be_visible()
    assert page.evaluate(WIDEST) <= PHONE["width"], "the secret or the long address runs off the phone"
    shot(page, "phone-webhooks")
