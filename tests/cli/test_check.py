"""hotline check (issue 17, a production run): configuration problems are named before they bite, and
the exit code says whether there were any. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SystemClock
from engine.db import make_engine, upgrade
from engine.runtime import Runtime
from hotline.cli import main
from hotline.scheduling import record_heartbeat
from tests.directory_server import DirectoryServer, directory_server

__all__ = ["directory_server"]

LONG_SECRET = "x" * 40


@pytest.fixture
def installation(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The environment of an installation on the test database (its schema current), nothing wrong."""
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("HOTLINE_TIMEZONE", "Asia/Shanghai")
    monkeypatch.delenv("HOTLINE_SHIFT_CHANGES", raising=False)
    return database_url


def _worker_round(sessions: sessionmaker[Session]) -> None:
    # `hotline check` asks on the real clock, as a running worker writes.
    record_heartbeat(Runtime(clock=SystemClock()), sessions, "host-b:7")


def _problems(output: str) -> list[str]:
    return [
        line.split(":")[0].removeprefix("PROBLEM").strip()
        for line in output.splitlines()
        if "PROBLEM" in line
    ]


@pytest.mark.real_commits
def test_a_sound_installation_with_a_running_worker_passes(
    installation: str, sessions: sessionmaker[Session]
) -> None:
    _worker_round(sessions)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert _problems(result.output) == []
    assert "no problems found" in result.output


@pytest.mark.real_commits
def test_no_worker_running_is_a_problem_except_before_the_first_start(
    installation: str, sessions: sessionmaker[Session]
) -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert _problems(result.output) == ["timer worker"]
    assert "no timer worker has run" in result.output
    assert CliRunner().invoke(main, ["check", "--before-start"]).exit_code == 0


@pytest.mark.real_commits
def test_each_problem_is_named(
    installation: str, sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker_round(sessions)
    monkeypatch.delenv("HOTLINE_SECRET_KEY")
    monkeypatch.setenv("HOTLINE_TIMEZONE", "Mars/Olympus_Mons")
    home = tmp_path / "home"
    home.mkdir()
    (home / "attachments").write_text("a file where the folder should be")

    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    # No HOTLINE_SECRET_KEY is no problem: every web process reads the one key kept in the database.
    assert _problems(result.output) == ["attachments folder", "time zone"], result.output
    assert "kept in the database" in result.output
    assert "'Mars/Olympus_Mons' is no IANA time zone" in result.output


@pytest.mark.real_commits
def test_a_short_secret_and_badly_written_shift_changes_are_problems(
    installation: str, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker_round(sessions)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "secret")
    monkeypatch.setenv("HOTLINE_SHIFT_CHANGES", "8 o'clock")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert _problems(result.output) == ["secret key", "shift changes"], result.output


def test_a_database_behind_its_migrations_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    upgrade(old, "0020")  # one migration behind the newest
    old.dispose()
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", LONG_SECRET)
    result = CliRunner().invoke(main, ["check", "--before-start"])
    assert result.exit_code == 1
    assert _problems(result.output) == ["migrations"]
    assert "run hotline init-db" in result.output


def test_an_unreachable_database_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql+psycopg://hotline@127.0.0.1:9/none")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", LONG_SECRET)
    result = CliRunner().invoke(main, ["check", "--before-start"])
    assert result.exit_code == 1
    assert _problems(result.output) == ["database", "migrations"]


def _directory_environment(monkeypatch: pytest.MonkeyPatch, server: DirectoryServer) -> None:
    settings = server.settings()
    monkeypatch.setenv("HOTLINE_LDAP_URL", settings.url)
    monkeypatch.setenv("HOTLINE_LDAP_BIND_DN", settings.bind_dn)
    monkeypatch.setenv("HOTLINE_LDAP_BIND_PASSWORD", settings.bind_password)
    monkeypatch.setenv("HOTLINE_LDAP_USER_BASE", settings.user_base)
    monkeypatch.setenv("HOTLINE_LDAP_GROUP_BASE", settings.group_base)
    monkeypatch.setenv("HOTLINE_LDAP_GROUP_ROLES", json.dumps({"hotline-operators": "operator"}))


@pytest.mark.real_commits
def test_a_directory_that_does_not_answer_or_is_badly_configured_is_a_problem(
    installation: str,
    sessions: sessionmaker[Session],
    directory_server: DirectoryServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _worker_round(sessions)
    _directory_environment(monkeypatch, directory_server)
    answering = CliRunner().invoke(main, ["check"])
    assert answering.exit_code == 0, answering.output
    assert f"ok       directory: {directory_server.url} answers" in answering.output

    monkeypatch.setenv("HOTLINE_LDAP_BIND_PASSWORD", "not-the-service-password")
    refused = CliRunner().invoke(main, ["check"])
    assert _problems(refused.output) == ["directory"] and "service account is refused" in refused.output
    monkeypatch.setenv("HOTLINE_LDAP_BIND_PASSWORD", directory_server.settings().bind_password)

    directory_server.stop()
    down = CliRunner().invoke(main, ["check"])
    assert down.exit_code == 1
    assert _problems(down.output) == ["directory"] and "cannot be reached" in down.output

    monkeypatch.setenv("HOTLINE_LDAP_GROUP_ROLES", "operators=operator")
    badly_written = CliRunner().invoke(main, ["check"])
    assert _problems(badly_written.output) == ["directory"], badly_written.output
    assert "HOTLINE_LDAP_GROUP_ROLES is no JSON object" in badly_written.output
    other_command = CliRunner().invoke(main, ["users", "list"])
    assert other_command.exit_code == 2 and "HOTLINE_LDAP_GROUP_ROLES" in other_command.output
