"""Signing in and out: only staff with a valid password get in; a wrong password says so (401)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from tests.web.support import get, login, logout, post, submit


def test_pages_need_sign_in(client: FlaskClient) -> None:
    for url in ("/", "/tasks", "/cases", "/cases/new/complaint", "/cases/TS-20261123-0001", "/tasks/1"):
        page = get(client, url)
        assert page.status == 302, url
        assert page.response.headers["Location"].startswith("/login?next="), url


def test_sign_in_shows_the_tasklist_and_sign_out_ends_the_session(client: FlaskClient) -> None:
    page = get(client, "/login")
    assert page.status == 200
    assert page.has("username") and page.has("password") and page.has("sign-in")

    login(client, "operator")
    tasks = get(client, "/tasks")
    assert tasks.status == 200
    assert tasks.has("task-count") and tasks.has("sign-out")
    assert "王接线" in tasks.html

    after = logout(client)
    assert after.response.headers["Location"] == "/login"
    login_page = get(client, "/login")
    assert "您已退出登录。" in login_page.flashes()
    assert not login_page.has("sign-out")
    assert get(client, "/tasks").status == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("operator", "wrong-password"),
        ("operator", ""),
        ("nobody", "hotline123"),
    ],
    ids=["wrong-password", "empty-password", "unknown-user"],
)
def test_wrong_credentials_are_refused_with_401_and_a_message(
    client: FlaskClient, username: str, password: str
) -> None:
    page = submit(client, "/login", {"username": username, "password": password})

    assert page.status == 401
    # The same words whether the user exists or not: the page does not tell which usernames exist.
    assert page.flashes() == ["用户名或密码错误。"]
    assert page.by_id("username").get("value") == username, "the username typed is kept"
    assert page.by_id("password").get("value") is None, "the password is never sent back"
    assert get(client, "/tasks").status == 302, "still signed out"


def test_sign_in_goes_back_to_the_page_asked_for_but_only_on_this_site(client: FlaskClient) -> None:
    token = get(client, "/login").csrf_token()
    page = post(
        client, "/login?next=/cases/new/complaint", {"username": "operator", "password": "hotline123"}, token
    )
    assert page.response.headers["Location"] == "/cases/new/complaint"

    for target in (
        "//evil.example/",
        "https://evil.example/tasks",
        "tasks",
        "/%5Cevil.example/",
        "/%09/evil.example/",
    ):
        logout(client)
        token = get(client, "/login").csrf_token()
        page = post(
            client, f"/login?next={target}", {"username": "operator", "password": "hotline123"}, token
        )
        location = page.response.headers["Location"]
        # Either the tasklist, or a path of this site that no browser reads as another host.
        assert location == "/tasks" or (
            location.startswith("/")
            and location[1:2] not in ("/", "\\")
            and not urlsplit(location).netloc
            and "\t" not in location
        ), target


def test_an_idle_session_is_signed_out_and_comes_back_to_the_page(app, client: FlaskClient, clock) -> None:  # noqa: ANN001
    from datetime import timedelta

    app.config["HOTLINE_IDLE_MINUTES"] = 30  # the default of a real installation
    login(client, "operator")
    assert get(client, "/cases").status == 200
    clock.advance(timedelta(minutes=29))
    assert get(client, "/cases").status == 200  # activity keeps the session alive
    clock.advance(timedelta(minutes=31))
    page = get(client, "/cases?status=running")
    assert page.status == 302 and page.response.headers["Location"].startswith("/login?next=/cases")
    page = get(client, "/login")
    assert "30 分钟" in " ".join(page.flashes())
    assert get(client, "/tasks").status == 302  # signed out for good


def test_every_page_names_an_icon_that_exists(client: FlaskClient) -> None:
    signed_out = get(client, "/login")
    login(client, "operator")
    for page in (signed_out, get(client, "/tasks")):
        (icon,) = page.doc.xpath("//link[@rel='icon']/@href")
        with client.get(icon) as response:
            assert response.status_code == 200 and response.mimetype == "image/svg+xml"
            assert b"<svg" in response.data
    old_address = client.get("/favicon.ico")
    assert old_address.status_code == 301 and old_address.headers["Location"].endswith("/static/favicon.svg")
