"""The API's browsable page (/api/v1/docs): Swagger UI, bundled from npm, draws every endpoint of the
served OpenAPI document under the site's Content-Security-Policy (the page fixture fails on any
refusal), without signing in."""

from __future__ import annotations

import pytest

from tests.browser.support import Page

pytestmark = pytest.mark.browser


def test_the_api_documentation_page_lists_the_endpoints(page: Page) -> None:
    page.goto("/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/cases" in paths and "/api/v1/tasks/{task_id}/complete" in paths
    assert page.locator(".title").first.inner_text().startswith("Hotline Flow API")
