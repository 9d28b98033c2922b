"""Fixtures of the command-line tests: `hotline demo` run once on a fresh embedded database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

import engine.people.users
from hotline.cli import main


@dataclass(frozen=True)
class Demo:
    url: str
    output: str


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Demo:
    """`hotline demo` on a fresh SQLite file in tmp_path (HOTLINE_HOME and HOTLINE_DATABASE_URL point there)."""
    # The demo creates users: cheap password hashing keeps the test fast.
    monkeypatch.setattr(
        engine.people.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    return Demo(url, result.output)


@pytest.fixture
def demo_database(demo: Demo) -> str:
    return demo.url
