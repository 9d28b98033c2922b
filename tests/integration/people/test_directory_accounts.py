"""The local account of a directory user (engine.people.directory_sign_in), without a directory: made at
the first sign-in, brought in line at the next, never taking over a local account; two first sign-ins
of one person at once make one account (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, User
from engine.people import (
    DirectoryPerson,
    DirectorySignIn,
    SignInRefused,
    create_user,
    directory_account,
    find_user,
)
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork

FANG = DirectoryPerson("wang_fang", "uid=wang_fang,ou=people,dc=x", "王芳", "fang@x.test", "0471-1", ("ops",))


def _sign_in(
    sessions: sessionmaker[Session], runtime: Runtime, groups: set[str], person: DirectoryPerson = FANG
) -> User:
    with UnitOfWork(sessions, runtime) as uow:
        user = directory_account(uow, DirectorySignIn(person, frozenset(groups)))
        uow.commit()
    return user


def test_the_account_is_made_once_and_follows_the_directory(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    made = _sign_in(sessions, runtime, {"operator", "repair", "no_such_group"})
    assert made.directory_managed and made.role_names == {"operator", "repair"}  # unknown codes left out
    moved = DirectoryPerson("wang_fang", FANG.dn, "王芳", "fang@new.test", "0471-2", ())
    again = _sign_in(sessions, runtime, {"supervisor"}, moved)
    assert (again.email, again.phone, again.role_names) == ("fang@new.test", "0471-2", {"supervisor"})
    with sessions() as session:
        actions = list(session.scalars(select(AdminAudit.action).where(AdminAudit.subject == "wang_fang")))
    assert actions == ["user_added", "user_changed"]


def test_a_local_account_of_that_name_is_never_taken_over(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        create_user(session, clock, "wang_fang", "local-password-1", "王芳 (local)", ["admin"])
    with pytest.raises(SignInRefused):
        _sign_in(sessions, runtime, {"operator"})
    with sessions() as session:
        local = find_user(session, "wang_fang")
        assert local is not None and not local.directory_managed and local.role_names == {"admin"}


@pytest.mark.real_commits
def test_two_first_sign_ins_at_once_make_one_account(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    together = threading.Barrier(2)
    outcomes: list[str] = []

    def sign_in() -> None:
        with UnitOfWork(sessions, runtime) as uow:
            together.wait(timeout=30)
            outcomes.append(directory_account(uow, DirectorySignIn(FANG, frozenset({"operator"}))).username)
            uow.commit()

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["wang_fang", "wang_fang"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
        assert find_user(session, "wang_fang").role_names == {"operator"}  # type: ignore[union-attr]
        added = select(func.count()).select_from(AdminAudit).where(AdminAudit.action == "user_added")
        assert session.scalar(added) == 1
