"""Creating and upgrading the database schema with Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def make_revision(engine: Engine, message: str) -> None:
    """For developers: write a new migration from the difference between the models and the database."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def migrations_behind(connection: Connection) -> list[str]:
    """The migrations the database on `connection` still lacks (its revision is not the newest): the
    newest revisions it should be at, or [] when it is current."""
    heads = set(ScriptDirectory.from_config(alembic_config(connection.engine)).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    return sorted(heads - current)
