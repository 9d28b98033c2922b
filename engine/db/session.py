"""Database connections: one SQLAlchemy engine per URL, sessions that the caller opens and commits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from engine import json_text
from engine.db.driver_statements import send_sql

# A connection execution option a read-only unit of work sets: SQLite then opens a deferred
# transaction (no write lock) instead of BEGIN IMMEDIATE.
READ_ONLY_OPTION = "hotline_read_only"
# A connection execution option for a write that is worth doing only if it need not wait (a session's
# "last seen" time): on SQLite BEGIN IMMEDIATE then fails at once, instead of after the busy timeout,
# when another connection holds the write lock.
NO_WAIT_OPTION = "hotline_no_wait"
_BUSY_TIMEOUT_MS = 10000
# How a commit is made durable (HOTLINE_DURABILITY, README "Configuration"):
# - "full": a commit returns once it is on disk (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on);
# - "normal": once the database holds it in its write-ahead log; a crash of the application loses nothing,
#   a power loss or operating-system crash (on PostgreSQL also a crash of the server) may lose the last
#   commits, never corrupt what is stored (SQLite synchronous=NORMAL in WAL mode, PostgreSQL
#   synchronous_commit=off: at most about 3 × wal_writer_delay, 0.6 s by default).
DURABILITY_LEVELS = ("full", "normal")
# Without a setting each database keeps what it always did: SQLite "normal", PostgreSQL "full".
_DEFAULT_DURABILITY = {"sqlite": "normal", "postgresql": "full"}
_AFTER_COMMIT_KEY = "hotline.after_commit"


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it badly).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock at the start, so two writers queue instead of one failing
        # half-way with a stale snapshot. A read-only unit of work reads a snapshot without the lock.
        # Sent on the driver (engine.db.driver_statements): every unit of work begins so.
        options = connection.get_execution_options()
        if options.get(READ_ONLY_OPTION):
            send_sql(connection, "BEGIN")
        elif options.get(NO_WAIT_OPTION):
            send_sql(connection, "PRAGMA busy_timeout=0")
            try:
                send_sql(connection, "BEGIN IMMEDIATE")
            finally:
                send_sql(connection, f"PRAGMA busy_timeout={busy_timeout_ms}")
        else:
            send_sql(connection, "BEGIN IMMEDIATE")


def make_engine(
    url: str, busy_timeout_ms: int = _BUSY_TIMEOUT_MS, durability: str | None = None, **kwargs: Any
) -> Engine:
    """An engine for `url`; on SQLite a writer waits up to `busy_timeout_ms` for the write lock.

    `durability` is one of DURABILITY_LEVELS (None: the database's usual one, see _DEFAULT_DURABILITY).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    # The JSON columns' text (SQLAlchemy's bind and result processors, psycopg's JSON adapters).
    kwargs.setdefault("json_serializer", json_text.dumps)
    kwargs.setdefault("json_deserializer", json_text.loads)
    if durability is None:
        durability = _DEFAULT_DURABILITY.get(backend, "full")
    if durability not in DURABILITY_LEVELS:
        raise ValueError(f"durability must be one of {', '.join(DURABILITY_LEVELS)}, not {durability!r}")
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms, "FULL" if durability == "full" else "NORMAL")
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if backend == "postgresql":
        # Every query here is a short OLTP one; PostgreSQL's JIT compiler (on by default) spent
        # longer compiling the tasklist's counts than running them (160 of 230 ms at 100,000 cases).
        options = "-c jit=off"
        if durability == "normal":
            # A commit waited ~8 ms for the disk on the benchmark machine: 4 of them cost a complaint
            # case more than all its engine steps (bench/README.md).
            options += " -c synchronous_commit=off"
        kwargs.setdefault("connect_args", {"options": options})
    return create_engine(url, **kwargs)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits; forget it if the transaction rolls back.

    For what must not be seen before the data is durable (the workflow cache publishes saved workflows so).
    """
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(action)


def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT_KEY, []):
        action()


def _discard_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "after_commit", _run_after_commit)
    event.listen(factory, "after_soft_rollback", lambda session, _previous: _discard_after_commit(session))
    return factory
