"""Chinese is the default language, whatever the browser asks for; the switch in the top bar changes
to English (and back) for the rest of the session."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.helpers import intake_form
from tests.web.support import get, login, post, record_case, submit


def switch(client: FlaskClient, code: str, next_url: str) -> None:
    token = get(client, next_url).csrf_token()
    page = post(client, f"/lang/{code}", {"next": next_url}, token)
    assert page.status == 302
    assert page.response.headers["Location"] == next_url


def test_pages_are_chinese_by_default_even_for_an_english_browser(client: FlaskClient) -> None:
    page = get(client, "/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.lang == "zh-CN"
    assert page.text("sign-in") == "登录"
    assert page.text("lang-switch") == "English"

    login(client, "operator")
    tasks = get(client, "/tasks", headers={"Accept-Language": "en"})
    assert tasks.lang == "zh-CN"
    assert "我的任务" in tasks.html


def test_the_switch_changes_to_english_and_back(client: FlaskClient) -> None:
    switch(client, "en", "/login")
    page = get(client, "/login")
    assert page.lang == "en"
    assert page.text("sign-in") == "Sign in"
    assert page.text("lang-switch") == "中文"

    login(client, "operator")  # the choice survives signing in
    tasks = get(client, "/tasks")
    assert tasks.lang == "en" and "My tasks" in tasks.html and "我的任务" not in tasks.html

    intake = get(client, "/cases/new/complaint")
    assert intake.doc.xpath("//label[@for='f-customer_name']")[0].text_content().split()[0:2] == [
        "Complainant",
        "name",
    ]
    assert intake.text("record") == "Record case"
    refused = submit(client, "/cases/new/complaint", intake_form(customer_name="", customer_phone="12345"))
    assert refused.status == 400
    assert refused.error("customer_name") == "This field is required."
    assert (
        refused.error("customer_phone")
        == "The format is not valid (for a phone: 13812345678 or 0951-5012345)."
    )

    switch(client, "zh_CN", "/tasks")
    assert get(client, "/tasks").lang == "zh-CN"


def test_an_unknown_language_or_a_foreign_next_address_is_ignored(client: FlaskClient) -> None:
    login(client, "operator")
    token = get(client, "/tasks").csrf_token()

    page = post(client, "/lang/fr", {"next": "/cases"}, token)
    assert page.response.headers["Location"] == "/cases"
    assert get(client, "/cases").lang == "zh-CN"

    page = post(client, "/lang/en", {"next": "//evil.example/"}, token)
    assert page.response.headers["Location"] == "/tasks"
    assert get(client, "/tasks").lang == "en"


def test_the_tasklist_names_tasks_in_english_after_the_switch(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    record_case(sessions, runtime)
    login(client, "ops_handler")
    switch(client, "en", "/tasks")

    task_url = get(client, "/tasks").task_links()[0][1]
    assert (
        get(client, task_url).doc.xpath("//h1")[0].text_content().strip() == "Investigate, handle and reply"
    )
    link = get(client, "/tasks").doc.xpath("//a[contains(@class, 'task-link')]")[0]
    assert link.text_content().strip() == "Investigate, handle and reply"
