"""Browser tests' shared pieces: the app served over HTTP on a free port, a Debian chromium page
driven by Playwright, signing in and out, opening and completing tasks, screenshots.

Screenshots of every main step go to tests/browser/screenshots/ (git-ignored); the README's pictures in
docs/ are refreshed only with HOTLINE_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from engine.runtime import Runtime
from tests.helpers import PROJECT_ROOT
from tests.web.support import DEMO_PASSWORD, build_app, fast_password_hashing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).parent / "screenshots"
DOCS = PROJECT_ROOT / "docs"

sync_api = pytest.importorskip("playwright.sync_api", reason="Python Playwright is not installed")
expect = sync_api.expect
Page = sync_api.Page
Browser = sync_api.Browser
BrowserContext = sync_api.BrowserContext


def serve_app(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The app served over HTTP from a background thread, on a free port; yields its base address."""
    skip_without_chromium()
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("the browser test runs on SQLite only; the web tests cover PostgreSQL")
    fast_password_hashing(monkeypatch)
    app = build_app(tmp_path / "home", database_url, runtime, sessions)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="hotline-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()


def skip_without_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium); "
            "the browser test needs it and never downloads a browser"
        )


def launch_chromium() -> Iterator[Browser]:
    """Debian chromium driven by Playwright; launched once per test process (about a second each time),
    every test then gets its own context (cookies, storage) from browser_page."""
    skip_without_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def refused_by_policy(context: BrowserContext) -> list[str]:
    """What the Content-Security-Policy refused in the context's pages (chromium says each refusal on the
    console, e.g. an inline script or handler, a style or image from elsewhere); checked when it closes."""
    refused: list[str] = []
    context.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return refused


def browser_page(browser: Browser, server: str) -> Iterator[Page]:
    """A chromium page, 1400x900, Chinese locale, addressing the test server by relative URLs; the test
    fails if the page's security policy refused anything the page needed."""
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=server)
    context.set_default_timeout(10_000)
    refused = refused_by_policy(context)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert refused == [], f"the Content-Security-Policy refused: {refused}"


@contextmanager
def second_browser(
    page: Page,
    server: str,
    viewport: dict[str, int] = VIEWPORT,
    phone: bool = False,
    policy_checked: bool = True,
) -> Iterator[Page]:
    """Another person's browser on the same server (own cookies, own session), e.g. the department's
    handler next to the operator, or a repair worker's phone. `policy_checked=False` for a test that
    expects the Content-Security-Policy to refuse something."""
    context = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport=viewport, locale="zh-CN", base_url=server, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(10_000)
    refused = refused_by_policy(context) if policy_checked else []
    try:
        yield context.new_page()
    finally:
        context.close()
    assert refused == [], f"the Content-Security-Policy refused: {refused}"


def shot(page: Page, name: str, *also: Path) -> None:
    """Every step goes to tests/browser/screenshots/; the README's pictures in docs/ are refreshed only
    when HOTLINE_UPDATE_SCREENSHOTS=1, so a test run leaves the tracked files alone."""
    page.screenshot(path=SCREENSHOTS / f"{name}.png")
    if os.environ.get("HOTLINE_UPDATE_SCREENSHOTS") != "1":
        return
    for path in also:
        path.parent.mkdir(exist_ok=True)
        page.screenshot(path=path)


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#task-count")).to_be_visible()


def add_api_client_in_page(page: Page, name: str = "phones") -> None:
    """On the API clients' page, add a client acting as an operator that may manage webhooks; its
    token is then shown once."""
    page.goto("/admin/api-clients")
    page.fill("#name", name)
    page.check("input[name=scopes][value='webhooks:manage']")
    page.select_option("#role", "operator")
    page.click("#add-api-client")
    expect(page.locator("#new-token")).to_be_visible()


def sign_out(page: Page) -> None:
    page.click("#sign-out")
    expect(page.locator("#sign-in")).to_be_visible()


def open_task(page: Page, element_id: str, case_number: str) -> None:
    """Find the case's task in the signed-in user's tasklist and open its form."""
    page.goto("/tasks")
    link = page.locator("#tasklist tr", has_text=case_number).locator(
        f"a.task-link[data-element='{element_id}']"
    )
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("#task-form")).to_be_visible()
    expect(page.locator("main")).to_contain_text(case_number)


def complete(page: Page, case_number: str, returns_to: str = "/tasks") -> None:
    """Complete the open form; the page returns to the tasklist (or to /field for a form opened there)."""
    page.click("#complete")
    expect(page).to_have_url(re.compile(re.escape(returns_to) + "$"))
    expect(page.locator(".flash.success")).to_contain_text(case_number)


def fill_form(page: Page, values: dict[str, object]) -> None:
    """Fill form fields by id as a person would: type text, pick options, tick boxes (True/False)."""
    for field_id, value in values.items():
        control = page.locator(f"#f-{field_id}")
        tag = control.evaluate("element => element.tagName.toLowerCase()")
        if tag == "select":
            control.select_option(str(value))
        elif isinstance(value, bool):
            control.set_checked(value)
        else:
            control.fill(str(value))


def start_case(page: Page, process_key: str, values: dict[str, object]) -> str:
    """Open the procedure's intake from the New case page, fill it, record it; returns the case number."""
    page.goto("/cases/new")
    if page.locator("#procedures").count():
        page.click(f"#start-{process_key}")
    expect(page.locator("#intake-form")).to_be_visible()
    fill_form(page, values)
    page.click("#record")
    expect(page.locator("#case-number")).to_be_visible()
    return page.locator("#case-number").inner_text().strip()


def do_task(page: Page, element_id: str, case_number: str, values: dict[str, object]) -> None:
    open_task(page, element_id, case_number)
    fill_form(page, values)
    complete(page, case_number)
