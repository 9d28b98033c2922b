"""PostgreSQL databases the benchmarks work in: their own, next to the one they are pointed at."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def own_database(base_url: str, name: str) -> str:
    """The URL of database `name` on the server of `base_url`, created when missing."""
    url = make_url(base_url)
    target = url.set(database=name)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def fresh_schema(url: str) -> None:
    """Drop and recreate the schema `public` of the database at `url`: everything in it is lost."""
    database = create_engine(url)
    with database.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()
