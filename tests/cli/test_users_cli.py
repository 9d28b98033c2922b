"""First start without the demo: `hotline init-db` (schema, reference data and the shipped procedures,
idempotently) then `hotline users add --admin NAME` (the password read from standard input) gives an
empty system an administrator can sign in to and open cases in; `hotline users …`
lists, changes, disables, enables accounts and resets a password, each change an audit event."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, ProcessDefinition, ProcessInstance, User
from engine.people import DirectoryPerson, DirectorySignIn, check_credentials, directory_account, find_user
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from hotline.cli import main
from tests.helpers import PROCESSES
from tests.web.support import fast_password_hashing

STRONG = "Copper-kettle-Maple-9"
TEMPORARY = "violet tundra harbour 42"

# The commands open their own database engine: they see only what is really committed.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    fast_password_hashing(monkeypatch)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))

    def run(*args: str, answer: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=answer)

    return run


def _user(sessions: sessionmaker[Session], username: str) -> User:
    with sessions() as session:
        user = find_user(session, username)
        assert user is not None
        session.expunge(user)
        return user


def test_init_db_and_the_first_administrator_make_a_working_empty_system(
    cli, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    assert cli("init-db").exit_code == 0
    weak = cli("users", "add", "--admin", "root", answer="hotline123\n")
    assert weak.exit_code == 1 and "password:" in weak.output and "nothing was changed" in weak.output
    added = cli("users", "add", "--admin", "--name", "系统管理员", "root", answer=f"{STRONG}\n")
    assert added.exit_code == 0, added.output
    assert "added root (admin)" in added.output
    root = _user(sessions, "root")
    assert root.role_names == {"admin"} and not root.must_change_password
    with sessions() as session:
        assert check_credentials(session, clock, "root", STRONG, "").username == "root"
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0  # empty: no demo cases
        assert session.scalar(select(func.count()).select_from(User)) == 1
        seeded, event = session.scalars(select(AdminAudit).order_by(AdminAudit.id))
        # The reference data it added is recorded as every change of it is (engine.reference.stamp).
        assert (seeded.actor, seeded.action, seeded.subject_kind) == (
            "init-db",
            "reference_seeded",
            "reference_data",
        )
        assert (event.actor, event.action, event.subject) == ("cli", "user_added", "root")
        deployed = {(d.key, d.version) for d in session.scalars(select(ProcessDefinition))}
    assert deployed == {(path.stem, 1) for path in PROCESSES.glob("*.bpmn")}  # every shipped procedure


def _versions(sessions: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    with sessions() as session:
        rows = session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.deployed_by).order_by(
                ProcessDefinition.key, ProcessDefinition.version
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_init_db_again_and_deploying_the_same_files_make_no_new_version(
    cli, sessions: sessionmaker[Session]
) -> None:
    first = cli("init-db")
    assert first.exit_code == 0, first.output
    assert "complaint.bpmn: deployed as complaint v1" in first.output
    once = _versions(sessions)
    assert {version for _, version, _ in once} == {1} and {by for _, _, by in once} == {"init-db"}

    again = cli("init-db")
    assert again.exit_code == 0, again.output
    assert "complaint: already deployed (v1), kept" in again.output and "deployed as" not in again.output
    deployed = cli("deploy", str(PROCESSES))
    assert deployed.exit_code == 0, deployed.output
    assert "complaint.bpmn: unchanged, still complaint v1" in deployed.output
    assert _versions(sessions) == once


def test_init_db_leaves_a_procedure_its_owner_changed_as_it_is(
    cli, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    assert cli("init-db").exit_code == 0
    changed = tmp_path / "complaint.bpmn"
    xml = (PROCESSES / "complaint.bpmn").read_text(encoding="utf-8")
    changed.write_text(
        xml.replace("<bpmn:documentation>", "<bpmn:documentation>Edited. ", 1), encoding="utf-8"
    )
    assert cli("deploy", "--by", "owner", str(changed)).exit_code == 0
    owned = _versions(sessions)
    assert ("complaint", 2, "owner") in owned

    again = cli("init-db")
    assert again.exit_code == 0, again.output
    assert "complaint: already deployed (v2), kept" in again.output
    assert _versions(sessions) == owned


def test_the_administrator_keeps_staff_accounts_from_the_command_line(
    cli, sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    assert cli("init-db").exit_code == 0
    cli("users", "add", "--admin", "root", answer=f"{STRONG}\n")
    added = cli(
        "users",
        "add",
        "li_na",
        "--name",
        "李娜",
        "--department",
        "repair",
        "--temporary",
        "--by",
        "root",
        answer=f"{TEMPORARY}\n",
    )
    assert added.exit_code == 0, added.output
    assert _user(sessions, "li_na").must_change_password
    unknown = cli("users", "add", "zhao", "--department", "nowhere", answer=f"{STRONG}\n")
    assert unknown.exit_code == 1 and "nowhere" in unknown.output and "repair" in unknown.output

    listed = cli("users", "list", "--search", "李")
    assert listed.exit_code == 0 and "li_na" in listed.output and "root" not in listed.output
    assert "must change password" in listed.output

    edited = cli(
        "users", "edit", "li_na", "--phone", "13800001234", "--department", "billing", "--by", "root"
    )
    assert edited.exit_code == 0, edited.output
    assert "groups ['repair'] -> ['billing']" in edited.output
    assert _user(sessions, "li_na").role_names == {"billing"}

    assert cli("users", "disable", "li_na", "--by", "root").exit_code == 0
    assert not _user(sessions, "li_na").active
    assert "disabled" in cli("users", "list").output
    assert cli("users", "enable", "li_na", "--by", "root").exit_code == 0
    assert cli("users", "disable", "root", "--by", "root").exit_code == 1  # the last administrator stays

    reset = cli("users", "reset-password", "li_na", "--by", "root", answer=f"{STRONG}\n")
    assert reset.exit_code == 0, reset.output
    with sessions() as session:
        assert check_credentials(session, clock, "li_na", STRONG, "").must_change_password
        actions = list(
            session.scalars(
                select(AdminAudit.action).where(AdminAudit.subject == "li_na").order_by(AdminAudit.id)
            )
        )
    assert actions == ["user_added", "user_changed", "user_disabled", "user_enabled", "password_reset"]
    assert cli("users", "edit", "nobody", "--phone", "1").exit_code == 1


def test_a_directory_managed_account_is_listed_as_such_and_its_password_is_not_reset_here(
    cli, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    assert cli("init-db").exit_code == 0
    person = DirectoryPerson("wang_fang", "uid=wang_fang,dc=x", "王芳", "", "", ())
    with UnitOfWork(sessions, runtime) as uow:
        directory_account(uow, DirectorySignIn(person, frozenset({"operator"})))
        uow.commit()
    listed = cli("users", "list")
    assert "wang_fang" in listed.output and "active, directory" in listed.output
    refused = cli("users", "reset-password", "wang_fang", answer=f"{STRONG}\n")
    assert refused.exit_code == 1 and "staff directory" in refused.output
