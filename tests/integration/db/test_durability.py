"""How commits are made durable (HOTLINE_DURABILITY): what each level asks of each database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.db import make_engine
from hotline.settings import Settings

# What the database reports for (its default, "full", "normal").
_REPORTED = {
    "sqlite": ("PRAGMA synchronous", ("1", "2", "1")),  # 1 NORMAL, 2 FULL
    "postgresql": ("SHOW synchronous_commit", (None, "on", "off")),
}


def _reported(url: str, durability: str | None) -> str:
    database = make_engine(url, durability=durability)
    try:
        with database.connect() as connection:
            query = _REPORTED[database.dialect.name][0]
            return str(connection.execute(text(query)).scalar_one())
    finally:
        database.dispose()


def test_each_level_sets_the_database_to_it(database_url: str) -> None:
    backend = make_url(database_url).get_backend_name()
    default, full, normal = _REPORTED[backend][1]
    assert _reported(database_url, "full") == full
    assert _reported(database_url, "normal") == normal
    if default is not None:  # PostgreSQL's default is the server's own setting
        assert _reported(database_url, None) == default


def test_an_unknown_level_is_refused_before_any_connection() -> None:
    with pytest.raises(ValueError, match="full, normal"):
        make_engine("sqlite://", durability="fast")


def test_the_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("HOTLINE_DURABILITY", "full")
    assert Settings.from_env().durability == "full"
    monkeypatch.delenv("HOTLINE_DURABILITY")
    assert Settings.from_env().durability is None
