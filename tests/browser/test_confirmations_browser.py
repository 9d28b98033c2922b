"""An administrator's action that cannot be undone from the same page asks first, in the page's
language: dismissing the question leaves everything as it was."""

from __future__ import annotations

import pytest

from tests.browser.support import Page, add_api_client_in_page, expect, sign_in, sync_api

pytestmark = pytest.mark.browser


def answer_next_question(page: Page, accept: bool, asked: list[str]) -> None:
    """The browser's next question (window.confirm) is noted in `asked`, then accepted or dismissed."""

    def answer(dialog: sync_api.Dialog) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)


def test_revoking_an_api_client_asks_first(page: Page) -> None:
    sign_in(page, "admin")
    add_api_client_in_page(page)
    asked: list[str] = []
    answer_next_question(page, accept=False, asked=asked)
    page.click("#revoke-phones")
    assert asked == ["吊销 API 客户端 phones？其令牌立即且永久失效。"]
    expect(page.locator("#revoke-phones")).to_be_visible()
    expect(page.locator("#api-client-phones")).to_contain_text("启用")

    page.click("#lang-switch")
    page.goto("/admin/api-clients")
    answer_next_question(page, accept=True, asked=asked)
    page.click("#revoke-phones")
    assert asked[-1] == "Revoke the API client phones? Its token stops working at once, for good."
    expect(page.locator("#api-client-phones")).to_contain_text("revoked")
    expect(page.locator("#revoke-phones")).to_have_count(0)


def test_disabling_an_account_asks_first(page: Page) -> None:
    sign_in(page, "admin")
    page.goto("/admin/users/worker")
    asked: list[str] = []
    answer_next_question(page, accept=False, asked=asked)
    page.click("#disable")
    assert asked == ["停用账号 worker？其登录会话将立即结束。"]
    expect(page.locator("#disable")).to_be_visible()
    answer_next_question(page, accept=True, asked=asked)
    page.click("#disable")
    expect(page.locator("#enable")).to_be_visible()
    assert len(asked) == 2, "enabling the account again needs no question"
