"""Directory sign-in (issue 17, item 4) through the sign-in page, against a real OpenLDAP server
(tests/directory_server.py): a directory user's first sign-in makes a directory-managed account whose
roles come from the directory's groups and change with them at the next sign-in; a wrong password, an
unknown name, a person in no mapped group and an account disabled here are refused; a directory that
cannot be reached is said in words (503, never a 500) while local accounts keep signing in."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, ProcessDefinition, SignInFailure, User
from engine.people import find_user, set_account_active
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.directory_server import PEOPLE_IN_DIRECTORY, DirectoryServer, directory_server
from tests.web.support import Page, build_app, fast_password_hashing, get, login, logout, submit

__all__ = ["directory_server"]


@pytest.fixture
def app(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    directory_server: DirectoryServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    fast_password_hashing(monkeypatch)
    return build_app(tmp_path, database_url, runtime, sessions, directory=directory_server.settings())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _sign_in(client: FlaskClient, username: str, password: str | None = None) -> Page:
    if password is None:
        password = PEOPLE_IN_DIRECTORY[username][1]
    return submit(client, "/login", {"username": username, "password": password})


def _account(sessions: sessionmaker[Session], username: str) -> User | None:
    with sessions() as session:
        user = find_user(session, username)
        if user is not None:
            session.expunge(user)
        return user


def _audit(sessions: sessionmaker[Session], username: str) -> list[tuple[str, str, dict]]:
    with sessions() as session:
        rows = session.scalars(
            select(AdminAudit).where(AdminAudit.subject == username).order_by(AdminAudit.id)
        )
        return [(row.actor, row.action, row.changes) for row in rows]


def test_a_directory_user_signs_in_the_first_time_and_gets_a_directory_managed_account(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    assert _account(sessions, "wang_fang") is None
    signed_in = _sign_in(client, "wang_fang")
    assert signed_in.status == 302 and signed_in.response.headers["Location"] == "/tasks"
    assert get(client, "/tasks").status == 200

    account = _account(sessions, "wang_fang")
    assert account is not None and account.directory_managed and not account.must_change_password
    assert (account.display_name, account.email) == ("王芳", "wang_fang@hotline.test")
    assert account.role_names == {"operator"}
    [(actor, action, changes)] = _audit(sessions, "wang_fang")
    assert (actor, action, changes["groups"]) == ("directory", "user_added", [None, ["operator"]])

    logout(client)
    again = _sign_in(client, "wang_fang")  # the second sign-in changes nothing: nothing audited
    assert again.status == 302
    assert len(_audit(sessions, "wang_fang")) == 1


def test_a_wrong_password_an_unknown_name_and_a_person_in_no_mapped_group_are_refused(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    for username, password in (
        ("wang_fang", "not-her-password"),
        ("nobody_here", "whatever-password-1"),
        ("zhao_lei", None),  # in the directory, but in no group mapped to a role
        ("wang_fang", ""),  # an empty password would be an anonymous bind
        ("*", PEOPLE_IN_DIRECTORY["wang_fang"][1]),  # no filter wildcard
    ):
        refused = _sign_in(client, username, password)
        assert refused.status == 401, (username, refused.status)
        assert len(refused.flashes()) == 1
    assert _account(sessions, "wang_fang") is None and _account(sessions, "zhao_lei") is None
    with sessions() as session:
        assert len(list(session.scalars(select(SignInFailure)))) == 5  # each counts towards the limits


def test_the_roles_follow_the_directory_groups_at_the_next_sign_in(
    client: FlaskClient, sessions: sessionmaker[Session], directory_server: DirectoryServer
) -> None:
    assert _sign_in(client, "liu_yang").status == 302
    assert _account(sessions, "liu_yang").role_names == {"repair", "department_head"}  # type: ignore[union-attr]
    logout(client)

    directory_server.add_to_group("liu_yang", "hotline-supervisors")
    directory_server.remove_from_group("liu_yang", "repair-team")
    assert _sign_in(client, "liu_yang").status == 302
    assert _account(sessions, "liu_yang").role_names == {"supervisor"}  # type: ignore[union-attr]
    actor, action, changes = _audit(sessions, "liu_yang")[-1]
    assert (actor, action) == ("directory", "user_changed")
    assert changes["groups"] == [["department_head", "repair"], ["supervisor"]]


def test_an_account_disabled_here_is_refused_whatever_the_directory_says(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    assert _sign_in(client, "wang_fang").status == 302
    logout(client)
    with UnitOfWork(sessions, runtime) as uow:
        set_account_active(uow, "admin", "wang_fang", False)
        uow.commit()
    assert _sign_in(client, "wang_fang").status == 401


def test_a_local_account_keeps_its_local_password_and_is_never_taken_over(
    client: FlaskClient, sessions: sessionmaker[Session], directory_server: DirectoryServer
) -> None:
    """`operator` is a local account: its local password signs in; a directory password for that name
    would not (the directory is not asked)."""
    login(client, "operator")
    assert not _account(sessions, "operator").directory_managed  # type: ignore[union-attr]


def test_an_unreachable_directory_is_said_in_words_and_local_accounts_still_sign_in(
    client: FlaskClient, sessions: sessionmaker[Session], directory_server: DirectoryServer
) -> None:
    directory_server.stop()
    refused = _sign_in(client, "wang_fang")
    assert refused.status == 503
    assert refused.flashes() == [
        "无法连接员工目录服务器，目录账号暂时无法登录。请几分钟后再试；如果一直如此，请告知系统管理员。"
    ]
    with sessions() as session:
        assert list(session.scalars(select(SignInFailure))) == []  # not the person's fault
    login(client, "admin")  # a local administrator


def test_a_directory_managed_account_is_kept_in_the_directory_not_here(
    app: Flask, sessions: sessionmaker[Session]
) -> None:
    """No password is reset or changed here, and details and roles are not edited here: the next sign-in
    would put the directory's back. The account page says so; disabling it still works."""
    person = app.test_client()
    assert _sign_in(person, "wang_fang").status == 302
    own = submit(
        person,
        "/account/password",
        {"current": "x", "new": "Copper-kettle-Maple-9", "repeated": "Copper-kettle-Maple-9"},
    )
    assert own.status == 400 and own.error("current") is not None

    admin = app.test_client()
    login(admin, "admin")
    page = get(admin, "/admin/users/wang_fang")
    assert page.has("directory-managed") and page.has("directory-note") and not page.has("reset-password")
    reset = submit(
        admin,
        "/admin/users/wang_fang",
        {"password": "Copper-kettle-Maple-9"},
        post_url="/admin/users/wang_fang/password",
    )
    assert reset.status == 400
    edited = submit(
        admin,
        "/admin/users/wang_fang",
        {
            "profile": "1",
            "display_name": "王芳",
            "phone": "",
            "email": "",
            "roles": ["supervisor"],
            "departments": [],
        },
    )
    assert edited.status == 400 and edited.error("roles") is not None
    account = _account(sessions, "wang_fang")
    assert account is not None and account.role_names == {"operator"} and not account.must_change_password
    assert "员工目录" in get(admin, "/admin/users?q=wang").html
