"""Staff accounts on the web: administrators list, search, add, change, disable and enable accounts and
reset passwords; the owner of a reset or new account must choose a password before any other page
opens; everyone changes their own password; supervisors read the administrative changes."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db import User
from engine.people import find_user
from tests.web.support import DEMO_PASSWORD, get, login, logout, post, submit

STRONG = "Copper-kettle-Maple-9"
OWN = "violet tundra harbour 42"


def _user(sessions: sessionmaker[Session], username: str) -> User | None:
    with sessions() as session:
        user = find_user(session, username)
        if user is not None:
            session.expunge(user)
        return user


def _add(client: FlaskClient, **overrides: object) -> object:
    form = {
        "username": "wang_li",
        "display_name": "王丽",
        "phone": "13800005678",
        "email": "wang.li@example.com",
        "password": STRONG,
        "roles": [],
        "departments": ["billing"],
        **overrides,
    }
    return submit(client, "/admin/users/new", form)


def test_only_administrators_open_the_account_pages(client: FlaskClient) -> None:
    login(client, "supervisor")
    assert get(client, "/admin/users").status == 403
    assert get(client, "/admin/users/new").status == 403
    token = get(client, "/tasks").csrf_token()
    assert post(client, "/admin/users/operator/active", {"active": "0"}, token).status == 403


def test_an_administrator_adds_a_handler_and_finds_the_account(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = _add(client)
    assert page.status == 302
    user = _user(sessions, "wang_li")
    assert user is not None and user.role_names == {"billing"} and user.must_change_password
    listed = get(client, "/admin/users?q=5678")
    assert listed.has("account-wang_li") and not listed.has("account-operator")
    assert get(client, "/admin/users?group=billing").has("account-billing_handler")
    unfiltered = get(client, "/admin/users").by_id("group").xpath("./option[1]")[0]
    assert unfiltered.get("value") == "" and unfiltered.text == "不限", (
        "the empty choice says it filters nothing"
    )
    audit_kinds = get(client, "/admin/audit").by_id("kind").xpath("./option[1]")[0]
    assert audit_kinds.get("value") == "" and audit_kinds.text == "不限"


def test_a_refused_account_keeps_what_was_typed_and_says_why(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = _add(client, password="password123456", email="not-an-address")
    assert page.status == 400
    assert "too easy to guess" in (page.error("password") or "") or "太容易被猜到" in (
        page.error("password") or ""
    )
    assert page.error("email") is not None
    assert page.by_id("username").get("value") == "wang_li"
    assert page.by_id("phone").get("value") == "13800005678"
    assert page.by_id("department-billing").get("checked") is not None
    assert _user(sessions, "wang_li") is None
    taken = _add(client, username="operator")
    assert taken.status == 400 and taken.error("username") is not None


def test_the_owner_of_a_new_account_must_choose_a_password_before_anything_else(
    client: FlaskClient, app: Flask, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    _add(client)
    logout(client)
    page = submit(client, "/login", {"username": "wang_li", "password": STRONG})
    assert page.response.headers["Location"] == "/account/password"
    assert get(client, "/tasks").response.headers["Location"] == "/account/password"
    assert get(client, "/account/password").has("must-change")
    refused = submit(
        client, "/account/password", {"current": STRONG, "new": "wang_li2026!", "repeated": "wang_li2026!"}
    )
    assert refused.status == 400 and refused.error("new") is not None
    changed = submit(client, "/account/password", {"current": STRONG, "new": OWN, "repeated": OWN})
    assert changed.status == 302 and changed.response.headers["Location"] == "/tasks"
    assert get(client, "/tasks").status == 200  # signed in again with a new session
    assert not _user(sessions, "wang_li").must_change_password  # type: ignore[union-attr]


def test_everyone_changes_their_own_password_and_other_browsers_sign_in_again(
    app: Flask, sessions: sessionmaker[Session]
) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "operator")
    login(elsewhere, "operator")
    wrong = submit(here, "/account/password", {"current": "nope", "new": OWN, "repeated": OWN})
    assert wrong.status == 400 and wrong.error("current") is not None
    changed = submit(here, "/account/password", {"current": DEMO_PASSWORD, "new": OWN, "repeated": OWN})
    assert changed.status == 302
    assert get(here, "/tasks").status == 200
    assert get(elsewhere, "/tasks").status == 302  # its session ended with the change
    login(elsewhere, "operator", OWN)


def test_disabling_an_account_ends_its_session_and_enabling_lets_it_in_again(app: Flask) -> None:
    admin, operator = app.test_client(), app.test_client()
    login(operator, "operator")
    login(admin, "admin")
    page = submit(admin, "/admin/users/operator", {"active": "0"}, post_url="/admin/users/operator/active")
    assert page.status == 302
    assert get(operator, "/tasks").status == 302
    refused = submit(operator, "/login", {"username": "operator", "password": DEMO_PASSWORD})
    assert refused.status == 401
    submit(admin, "/admin/users/operator", {"active": "1"}, post_url="/admin/users/operator/active")
    login(operator, "operator")


def test_an_administrator_cannot_disable_their_own_account(client: FlaskClient) -> None:
    login(client, "admin")
    page = submit(client, "/admin/users/admin", {"active": "0"}, post_url="/admin/users/admin/active")
    assert page.status == 400 and page.error("active") is not None


def test_changing_roles_and_departments_and_resetting_a_password(
    client: FlaskClient, app: Flask, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = submit(
        client,
        "/admin/users/repair_handler",
        {
            "profile": "1",
            "display_name": "维修经办人",
            "phone": "",
            "email": "",
            "roles": ["department_head"],
            "departments": ["repair", "technical"],
        },
    )
    assert page.status == 302
    assert _user(sessions, "repair_handler").role_names == {"department_head", "repair", "technical"}  # type: ignore[union-attr]
    reset = submit(
        client,
        "/admin/users/repair_handler",
        {"password": STRONG},
        post_url="/admin/users/repair_handler/password",
    )
    assert reset.status == 302
    assert _user(sessions, "repair_handler").must_change_password  # type: ignore[union-attr]
    weak = submit(
        client,
        "/admin/users/repair_handler",
        {"password": "repair_handler1"},
        post_url="/admin/users/repair_handler/password",
    )
    assert weak.status == 400 and weak.error("password") is not None
    assert get(client, "/admin/users/nobody").status == 404


def test_supervisors_read_every_administrative_change_but_do_not_administer(client: FlaskClient) -> None:
    login(client, "admin")
    _add(client)
    submit(client, "/admin/users/liaison", {"active": "0"}, post_url="/admin/users/liaison/active")
    logout(client)
    login(client, "supervisor")
    page = get(client, "/admin/audit")
    assert page.status == 200
    rows = page.by_id("audit-events").xpath(".//tbody/tr/@data-action")
    assert rows[:2] == ["user_disabled", "user_added"]
    assert "wang_li" in page.text("audit-events") and STRONG not in page.text("audit-events")
    added = page.by_id("audit-events").xpath(".//tbody/tr[@data-action='user_added']")[0].text_content()
    assert "显示名称：" in added and "display_name" not in added  # the form's words, not the column's
    only = get(client, "/admin/audit?subject=liaison&kind=user")
    assert only.by_id("audit-events").xpath(".//tbody/tr/@data-action") == ["user_disabled"]
    logout(client)
    login(client, "operator")
    assert get(client, "/admin/audit").status == 403


def test_an_administrator_adds_a_department_and_retiring_one_in_use_names_its_users(
    client: FlaskClient,
) -> None:
    login(client, "admin")
    added = submit(
        client,
        "/admin/reference",
        {"code": "heat_supply", "name": "供热站", "name_en": "Heat supply"},
        post_url="/admin/reference/department",
    )
    assert added.status == 302
    assert get(client, "/admin/reference").has("department-heat_supply")
    assert get(client, "/admin/users/new").has("department-heat_supply")
    bad = submit(
        client,
        "/admin/reference",
        {"code": "Heat Supply", "name": ""},
        post_url="/admin/reference/department",
    )
    assert bad.status == 400 and bad.error("code") is not None
    assert bad.by_id("department-new").xpath(".//input[@name='code']/@value") == ["Heat Supply"]
    retire = submit(
        client, "/admin/reference", {"name": "维修"}, post_url="/admin/reference/department/repair"
    )
    assert retire.status == 400
    assert "leak" in (retire.error("active") or "")


def test_an_account_changed_by_someone_else_meanwhile_answers_409_and_keeps_their_change(
    app: Flask, sessions: sessionmaker[Session]
) -> None:
    first, second = app.test_client(), app.test_client()
    login(first, "admin")
    login(second, "admin")
    form = get(second, "/admin/users/tech_handler")
    seen, token = form.by_id("account-form").xpath(".//input[@name='seen']/@value")[0], form.csrf_token()
    changed = {"profile": "1", "display_name": "技术员甲", "roles": [], "departments": ["technical"]}
    page = submit(first, "/admin/users/tech_handler", changed)
    assert page.status == 302
    stale = {
        "profile": "1",
        "display_name": "技术员乙",
        "roles": [],
        "departments": ["technical"],
        "seen": seen,
    }
    late = post(second, "/admin/users/tech_handler", stale, token)
    assert late.status == 409
    assert _user(sessions, "tech_handler").display_name == "技术员甲"  # type: ignore[union-attr]


def test_odd_input_to_the_account_and_department_forms_never_answers_500(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    odd = ["", " ", "x" * 5000, "a\x00b", "\u202e\ufeff", "<script>", "operator,admin", "1e309"]
    for value in odd:
        for url in ("/admin/users/new", "/admin/users/operator"):
            data = {"username": value, "display_name": value, "phone": value, "email": value}
            page = submit(
                client,
                url,
                {**data, "password": value, "roles": [value], "departments": [value], "profile": "1"},
            )
            assert page.status in (302, 400), (url, value, page.status)
        page = submit(
            client, "/admin/reference", {"code": value, "name": value}, post_url="/admin/reference/department"
        )
        assert page.status in (302, 400, 409), (value, page.status)
        for url in (f"/admin/users?q={value[:200]}", f"/admin/audit?subject={value[:200]}&kind={value[:50]}"):
            assert get(client, url).status in (200, 400)
    assert _user(sessions, "operator").display_name != "x" * 5000  # type: ignore[union-attr]


def test_the_language_of_a_persons_messages_is_set_by_an_administrator_or_by_themselves(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """Chases, urgent reports and alerts by SMS or e-mail are written in the account's language: Chinese
    unless an administrator (/admin/users) or the person (/account) chose English; an unknown one is
    refused with what was typed kept."""
    login(client, "admin")
    assert _add(client).status == 302
    assert _user(sessions, "wang_li").language == "zh_CN"  # type: ignore[union-attr]
    page = get(client, "/admin/users/repair_handler")
    assert page.by_id("language").find("option[@selected]").get("value") == "zh_CN"  # type: ignore[union-attr]
    form = {
        "profile": "1",
        "display_name": "维修经办人",
        "phone": "13800001234",
        "email": "",
        "roles": [],
        "departments": ["repair"],
    }
    refused = submit(client, "/admin/users/repair_handler", {**form, "language": "fr"})
    assert refused.status == 400 and refused.error("language") is not None
    assert refused.by_id("phone").get("value") == "13800001234"
    saved = submit(client, "/admin/users/repair_handler", {**form, "language": "en"})
    assert saved.status == 302
    assert _user(sessions, "repair_handler").language == "en"  # type: ignore[union-attr]
    logout(client)
    login(client, "supervisor")
    done = submit(
        client,
        "/account/password",
        {"message_channel": "email", "language": "en"},
        post_url="/account/messages",
        follow=True,
    )
    assert done.by_id("language").find("option[@selected]").get("value") == "en"  # type: ignore[union-attr]
    assert _user(sessions, "supervisor").language == "en"  # type: ignore[union-attr]
    refused = submit(
        client,
        "/account/password",
        {"message_channel": "email", "language": "xx"},
        post_url="/account/messages",
    )
    assert refused.status == 400 and refused.error("language") is not None


def test_account_alone_opens_ones_own_settings(client: FlaskClient) -> None:
    """/account (as the guide says: the language is set under /account) is the page of one's own
    password, message channel and language, not a 404; signed out, it asks to sign in first."""
    assert client.get("/account").status_code == 302
    assert "/login" in client.get("/account").headers["Location"]
    login(client, "worker")
    answer = client.get("/account", follow_redirects=True)
    assert answer.status_code == 200 and answer.request.path == "/account/password"
    assert b'id="language"' in answer.data
