"""Fixtures of the command-line tests: `hotline demo` run once per test process on a fresh embedded
database; each test gets its own copy of the resulting home folder (database included); `cli` runs a
command on the test's database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

import engine.people.users
from hotline.cli import main

DEMO_DATABASE = "demo.db"
Cli = Callable[..., Result]


@dataclass(frozen=True)
class Demo:
    url: str
    output: str


def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo creates users: cheap password hashing keeps the test fast.
    monkeypatch.setattr(
        engine.people.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture(scope="session")
def prepared_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`hotline demo` run once into a home folder of its own; returns (that folder, the command's output)."""
    home = tmp_path_factory.mktemp("demo-home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _cheap_password_hashing(monkeypatch)
        monkeypatch.setenv("HOTLINE_HOME", str(home))
        monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{home / DEMO_DATABASE}")
        result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    # The command closes its connections, which checkpoints SQLite's WAL: the .db file is complete.
    assert not (home / f"{DEMO_DATABASE}-wal").exists()
    return home, result.output


@pytest.fixture
def demo(prepared_demo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Demo:
    """The demo's home folder copied to tmp_path (HOTLINE_HOME and HOTLINE_DATABASE_URL point there)."""
    home, output = prepared_demo
    _cheap_password_hashing(monkeypatch)
    shutil.copytree(home, tmp_path, dirs_exist_ok=True)
    url = f"sqlite:///{tmp_path / DEMO_DATABASE}"
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    return Demo(url, output)


@pytest.fixture
def demo_database(demo: Demo) -> str:
    return demo.url


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`hotline` with these arguments, on the test's database in a home folder of its own. The command
    opens its own database engine: it sees only what is really committed (mark the test real_commits)."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return run
