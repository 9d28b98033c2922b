"""Staff accounts administered through the use cases (engine.people.accounts), on SQLite and PostgreSQL:
added with a password a reviewer accepts, changed, disabled and enabled (never deleted), a password
reset to be changed at the next sign-in, changed by its owner; every change an audit event."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, User
from engine.errors import Conflict, FormInvalid, NotFound
from engine.people import (
    SessionLimits,
    account_stamp,
    add_account,
    change_own_password,
    check_credentials,
    find_user,
    open_session,
    reset_password,
    search_accounts,
    session_state,
    set_account_active,
    update_account,
)
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.web.support import fast_password_hashing

STRONG = "Copper-kettle-Maple-9"
OTHER_STRONG = "violet tundra harbour 42"


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_password_hashing(monkeypatch)


@pytest.fixture
def uow(sessions: sessionmaker[Session], runtime: Runtime):  # noqa: ANN201
    def unit() -> UnitOfWork:
        return UnitOfWork(sessions, runtime)

    return unit


def _add(uow, username: str = "zhang", **kwargs) -> None:  # noqa: ANN001
    with uow() as unit:
        add_account(unit, "root", username, kwargs.pop("password", STRONG), **kwargs)
        unit.commit()


def _user(sessions: sessionmaker[Session], username: str) -> User:
    with sessions() as session:
        user = find_user(session, username)
        assert user is not None
        session.expunge(user)
        return user


def _audit(sessions: sessionmaker[Session], subject: str) -> list[tuple[str, str, dict]]:
    with sessions() as session:
        return [
            (e.actor, e.action, e.changes)
            for e in session.scalars(
                select(AdminAudit).where(AdminAudit.subject == subject).order_by(AdminAudit.id)
            )
        ]


def _refused(uow, call) -> dict[str, str]:  # noqa: ANN001
    with pytest.raises(FormInvalid) as refused, uow() as unit:
        call(unit)
    return {name: error.code for name, error in refused.value.errors.items()}


def test_an_added_account_holds_its_details_and_groups_and_is_an_audit_event(
    uow, sessions: sessionmaker[Session], reference_data: None
) -> None:
    _add(
        uow,
        display_name="张明",
        phone="0951-5012345",
        email="zhang@example.com",
        roles=["operator"],
        departments=["repair"],
    )
    user = _user(sessions, "zhang")
    assert (user.display_name, user.phone, user.email) == ("张明", "0951-5012345", "zhang@example.com")
    assert user.role_names == {"operator", "repair"} and user.active and user.must_change_password
    [(actor, action, changes)] = _audit(sessions, "zhang")
    assert (actor, action) == ("root", "user_added")
    assert changes["groups"] == [None, ["operator", "repair"]]
    assert "password" not in changes and STRONG not in str(changes)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Kx9-short", "too-short"),
        ("zhang-Copper-kettle-9", "contains-username"),
        ("password1234", "too-common"),  # on every list of common passwords
        ("qwertyuiop123", "too-common"),  # a keyboard run
        ("hotline2026!", "too-common"),  # the system's own name with a year
        ("x" * 201, "too-long"),
        ("a" * 73, "too-common"),  # beyond what zxcvbn judges (72 characters), still judged
    ],
)
def test_a_weak_password_is_refused_with_the_reason(
    uow, sessions: sessionmaker[Session], password: str, problem: str
) -> None:
    errors = _refused(uow, lambda unit: add_account(unit, "root", "zhang", password))
    assert errors == {"password": problem}
    with sessions() as session:
        assert find_user(session, "zhang") is None


@pytest.mark.parametrize("password", ["violet tundra harbour 42 " * 4, "Kx9!mQ2#" * 25])
def test_a_long_strong_password_is_accepted(uow, sessions: sessionmaker[Session], password: str) -> None:
    _add(uow, password=password)
    assert _user(sessions, "zhang").active


def test_a_taken_user_name_and_unknown_groups_are_refused_naming_the_choices(
    uow, sessions: sessionmaker[Session], reference_data: None
) -> None:
    _add(uow)
    errors = _refused(uow, lambda unit: add_account(unit, "root", "zhang", OTHER_STRONG))
    assert errors == {"username": "username_taken"}
    with pytest.raises(FormInvalid) as refused, uow() as unit:
        add_account(unit, "root", "li", OTHER_STRONG, roles=["boss"], departments=["nowhere"])
    assert refused.value.errors["roles"].params["value"] == "boss"
    assert "operator" in refused.value.errors["roles"].params["known"]
    assert "repair" in refused.value.errors["departments"].params["known"]


def test_changing_details_and_groups_records_each_value_before_and_after(
    uow, sessions: sessionmaker[Session], reference_data: None
) -> None:
    _add(uow, roles=["operator"])
    with uow() as unit:
        update_account(
            unit, "root", "zhang", phone="13800001234", roles=["operator"], departments=["billing"]
        )
        unit.commit()
    assert _user(sessions, "zhang").role_names == {"operator", "billing"}
    actor, action, changes = _audit(sessions, "zhang")[-1]
    assert (actor, action) == ("root", "user_changed")
    assert changes == {"phone": ["", "13800001234"], "groups": [["operator"], ["billing", "operator"]]}


def test_disabling_ends_every_session_at_once_and_enabling_lets_the_user_in_again(
    uow, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _add(uow, must_change_password=False)
    with uow() as unit:
        token = open_session(unit, _user(sessions, "zhang").id, "10.0.0.1", SessionLimits())
        unit.commit()
    with uow() as unit:
        assert set_account_active(unit, "root", "zhang", False)
        unit.commit()
    with sessions() as session:
        assert session_state(session, clock, token, SessionLimits()).user is None
        with pytest.raises(Exception, match="wrong username or password"):
            check_credentials(session, clock, "zhang", STRONG, "10.0.0.1")
    with uow() as unit:
        assert set_account_active(unit, "root", "zhang", True)
        unit.commit()
    with sessions() as session:
        assert check_credentials(session, clock, "zhang", STRONG, "10.0.0.1").username == "zhang"
    assert [a for _, a, _ in _audit(sessions, "zhang")] == ["user_added", "user_disabled", "user_enabled"]


def test_the_last_administrator_stays_and_nobody_disables_their_own_account(
    uow, sessions: sessionmaker[Session]
) -> None:
    _add(uow, "root", roles=["admin"], must_change_password=False)
    assert _refused(uow, lambda unit: set_account_active(unit, "other", "root", False)) == {
        "active": "last_admin"
    }
    assert _refused(uow, lambda unit: update_account(unit, "other", "root", roles=[])) == {
        "roles": "last_admin"
    }
    _add(uow, "root2", roles=["admin"])
    assert _refused(uow, lambda unit: set_account_active(unit, "root", "root", False)) == {
        "active": "own_account"
    }
    with uow() as unit:
        set_account_active(unit, "root2", "root", False)
        unit.commit()
    assert not _user(sessions, "root").active


def test_a_reset_password_ends_the_sessions_and_must_be_changed_by_its_owner(
    uow, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    _add(uow, must_change_password=False)
    with uow() as unit:
        token = open_session(unit, _user(sessions, "zhang").id, "", SessionLimits())
        reset_password(unit, "root", "zhang", OTHER_STRONG)
        unit.commit()
    assert _user(sessions, "zhang").must_change_password
    with sessions() as session:
        assert session_state(session, clock, token, SessionLimits()).ended == "revoked"
        assert check_credentials(session, clock, "zhang", OTHER_STRONG, "").username == "zhang"
    actor, action, changes = _audit(sessions, "zhang")[-1]
    assert (actor, action, changes) == ("root", "password_reset", {"password": ["", "reset"]})
    assert _refused(uow, lambda unit: reset_password(unit, "root", "zhang", "zhang12345678")) == {
        "password": "contains-username"
    }
    with pytest.raises(NotFound), uow() as unit:
        reset_password(unit, "root", "nobody", OTHER_STRONG)


def test_the_owner_changes_the_password_knowing_the_current_one(
    uow, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    _add(uow)
    assert _refused(uow, lambda u: change_own_password(u, "zhang", "wrong", OTHER_STRONG, OTHER_STRONG)) == {
        "current": "wrong_password"
    }
    assert _refused(uow, lambda u: change_own_password(u, "zhang", STRONG, STRONG, STRONG)) == {
        "new": "same_password"
    }
    assert _refused(uow, lambda u: change_own_password(u, "zhang", STRONG, OTHER_STRONG, "typo")) == {
        "repeated": "password_mismatch"
    }
    assert _refused(
        uow, lambda u: change_own_password(u, "zhang", STRONG, "iloveyou2026", "iloveyou2026")
    ) == {"new": "too-common"}
    clock.advance(timedelta(minutes=1))
    with uow() as unit:
        change_own_password(unit, "zhang", STRONG, OTHER_STRONG, OTHER_STRONG)
        unit.commit()
    assert not _user(sessions, "zhang").must_change_password
    with sessions() as session:
        assert check_credentials(session, clock, "zhang", OTHER_STRONG, "").username == "zhang"
    assert _audit(sessions, "zhang")[-1][:2] == ("zhang", "password_changed")


def test_accounts_are_found_by_any_part_of_name_phone_or_email_and_by_group(
    uow, sessions: sessionmaker[Session], reference_data: None
) -> None:
    _add(uow, "zhang", display_name="张明", phone="13800001234", roles=["operator"])
    _add(uow, "li_na", display_name="李娜", email="li.na@example.com", departments=["repair"])
    with sessions() as session:
        assert [u.username for u in search_accounts(session, "0000123")] == ["zhang"]
        assert [u.username for u in search_accounts(session, "LI.NA@")] == ["li_na"]
        assert [u.username for u in search_accounts(session, "i_n")] == ["li_na"]  # "_" is no wildcard
        assert [u.username for u in search_accounts(session, group="repair")] == ["li_na", "repair_head"]


@pytest.mark.real_commits
def test_two_administrators_saving_one_account_at_once_one_wins_the_other_is_told(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """Both filled in the same version of the form: the second save finds it changed (409), whichever
    database; nothing of it is written."""
    with UnitOfWork(sessions, runtime) as unit:
        add_account(unit, "root", "zhang", STRONG, roles=["operator"])
        unit.commit()
    with sessions() as session:
        user = find_user(session, "zhang")
        assert user is not None
        seen = account_stamp(user)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(name: str) -> None:
        try:
            with UnitOfWork(sessions, runtime) as unit:
                start.wait(timeout=10)
                update_account(unit, name, "zhang", display_name=f"张 ({name})", seen=seen)
                unit.commit()
            outcomes[name] = "saved"
        except Conflict as conflict:
            outcomes[name] = conflict.code

    threads = [threading.Thread(target=save, args=(name,)) for name in ("root", "root2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["account_changed", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    with sessions() as session:
        assert find_user(session, "zhang").display_name == f"张 ({winner})"  # type: ignore[union-attr]
        assert (
            session.scalar(
                select(func.count()).select_from(AdminAudit).where(AdminAudit.action == "user_changed")
            )
            == 1
        )
