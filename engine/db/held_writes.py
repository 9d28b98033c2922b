"""Writes held back within a transaction and sent together, one statement per kind of write.

A group of timer firings (engine.cases.timer_groups) writes the same few rows for every case it fires:
its timer, its task, its state and its history. Sent as they are computed, that is one round trip per
row; held back, each kind goes as one executemany (psycopg sends it as one pipeline, SQLite in one
call) when the transaction next reads or commits. Nothing is reordered where it could be seen: every
statement of the session, its flush and its commit first send what is held, so whatever the
transaction reads it reads after its own writes, and the writes of one kind keep their order.

Outside `holding_writes` a write is sent at once, so the same code serves every unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Result
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import Executable

from engine.db.driver_statements import BEFORE_DRIVER_STATEMENT, DriverResult, DriverStatement
from engine.db.results import rows_matched
from engine.errors import HotlineError

_HELD = "held_writes"
Params = Mapping[str, Any]
# A hot write goes straight to the driver (engine.db.driver_statements); any other through the session.
Write = DriverStatement | Executable


@dataclass
class _Batch:
    statement: Write
    rows: list[Params] = field(default_factory=list)
    # For a write that must match one row each (an optimistic version check): the error to raise when
    # fewer matched. Which row missed is not known from a batch; the caller redoes its work row by row.
    mismatch: Callable[[], Exception] | None = None


@dataclass
class _Held:
    batches: dict[tuple[int, frozenset[str]], _Batch] = field(default_factory=dict)

    def take(self) -> list[_Batch]:
        batches = list(self.batches.values())
        self.batches.clear()
        return batches


class HeldWritesFailed(HotlineError):
    """Sending the held writes failed (the cause is chained): which write of whose is not known, so
    the work that made them is to be redone write by write."""


def write(
    session: Session,
    statement: Write,
    rows: Params | Sequence[Params],
    mismatch: Callable[[], Exception] | None = None,
) -> None:
    """Send an INSERT or UPDATE now, or hold it while the session is `holding_writes`.

    `statement` must be built once (a module's constant): held rows are batched by it and by the
    columns they bind. `mismatch`: each row must match exactly one row of the table, else that error."""
    listed = [rows] if isinstance(rows, Mapping) else list(rows)
    if not listed:
        return
    held: _Held | None = session.info.get(_HELD)
    if held is None:
        sent = _Batch(statement, listed, mismatch)
        if isinstance(statement, DriverStatement):
            _check(statement.execute(session, listed), sent)
        else:
            _check(session.execute(statement, rows), sent)
        return
    key = (id(statement), frozenset(listed[0]))
    batch = held.batches.get(key)
    if batch is None:
        batch = held.batches[key] = _Batch(statement, [], mismatch)
    batch.rows.extend(listed)


def send_held_writes(session: Session) -> None:
    """Send what is held now (each kind of write as one statement)."""
    held: _Held | None = session.info.get(_HELD)
    if held is not None:
        for batch in held.take():
            _send(session, batch)


@contextmanager
def holding_writes(session: Session) -> Iterator[None]:
    """Hold the writes made through `write` in this block until the session next reads, flushes or
    commits (and at the block's end)."""
    session.info[_HELD] = _Held()

    def before_statement(_state: ORMExecuteState) -> None:
        send_held_writes(session)

    def before_flush_or_commit(*_args: Any) -> None:
        send_held_writes(session)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("do_orm_execute", before_statement),
        ("before_flush", before_flush_or_commit),
        ("before_commit", before_flush_or_commit),
    ]
    for name, listener in listeners:
        event.listen(session, name, listener)
    session.info[BEFORE_DRIVER_STATEMENT] = lambda: send_held_writes(session)
    try:
        yield
        send_held_writes(session)
    finally:
        session.info.pop(_HELD, None)
        session.info.pop(BEFORE_DRIVER_STATEMENT, None)
        for name, listener in listeners:
            event.remove(session, name, listener)


def _send(session: Session, batch: _Batch) -> None:
    try:
        # On the session's connection: a statement of the session's own would first send the held writes.
        connection = session.connection()
        if isinstance(batch.statement, DriverStatement):
            _check(batch.statement.execute_on(connection, batch.rows), batch)
        else:
            _check(connection.execute(batch.statement, batch.rows), batch)
    except Exception as err:
        raise HeldWritesFailed(f"held writes failed: {type(err).__name__}: {err}") from err


def _check(result: Result[Any] | DriverResult, batch: _Batch) -> None:
    if batch.mismatch is None:
        return
    matched = result.rowcount if isinstance(result, DriverResult) else rows_matched(result)
    if matched != len(batch.rows):
        raise batch.mismatch()
