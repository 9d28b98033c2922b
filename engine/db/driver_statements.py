"""Hot statements sent straight to the database driver, inside the session's transaction.

Through a session every statement pays SQLAlchemy's execution machinery (execution context, cache key,
result set-up): ~60 µs on this machine against ~8 µs for the driver's own execute, several times a
unit of work. A `DriverStatement` is a Core statement built once (a module's constant) and compiled
once per dialect and set of columns (engine.db.driver_compiled); each execution converts its values,
runs the SQL on a cursor of the session's current connection and converts the rows back.

Nothing the session guarantees is lost:
- the session's own transaction: the statement runs on `session.connection()` (which begins it);
- writes held back (engine.db.held_writes) are sent first, so a read sees the transaction's writes;
- a statement built from ORM entities flushes the session first when autoflush is on, as
  `session.execute` would (a Core statement on a table does not, there either);
- driver errors surface as SQLAlchemy's (IntegrityError, OperationalError...), a lost connection is
  invalidated, so the handlers of conflicts and transient failures see what they always saw;
- the engine's `before_cursor_execute` / `after_cursor_execute` listeners see each statement (with no
  execution context): tests and benchmarks count statements with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, Executable

from engine.db.driver_compiled import CompiledForDriver, DriverStatementError, compile_for_driver, plain_sql

# Where a session keeps what must happen before its next driver statement (engine.db.held_writes).
BEFORE_DRIVER_STATEMENT = "hotline.before_driver_statement"
Params = Mapping[str, Any]
# A row: a named tuple, read by position or by column key (`row.version`); typed loosely for the latter.
DriverRow = Any
# Compiled forms kept per statement: one per engine's dialect and set of columns written.
_MOST_COMPILED = 128


class DriverResult:
    """The rows a statement returned (as small named tuples) and how many rows it matched."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[DriverRow], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> DriverRow | None:
        return self.rows[0] if self.rows else None

    def one_or_none(self) -> DriverRow | None:
        if len(self.rows) > 1:
            raise exc.MultipleResultsFound("more than one row where at most one was expected")
        return self.first()

    def one(self) -> DriverRow:
        row = self.one_or_none()
        if row is None:
            raise exc.NoResultFound("no row where one was expected")
        return row

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]


class DriverStatement:
    """A Core statement to be built once and sent to the driver (see the module)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        if not isinstance(statement, ClauseElement):
            raise DriverStatementError(f"not a SQL statement: {statement!r}")
        self._clause = statement
        # How `session.execute` tells an ORM statement (which autoflushes) from a Core one.
        self._flushes_first = getattr(statement, "_propagate_attrs", {}).get("compile_state_plugin") == "orm"
        self._compiled: dict[tuple[Dialect, frozenset[str]], CompiledForDriver] = {}

    def execute(self, session: Session, params: Params | Sequence[Params] | None = None) -> DriverResult:
        """Run in the session's transaction: one row of parameters, or several (executemany)."""
        before = session.info.get(BEFORE_DRIVER_STATEMENT)
        if before is not None:
            before()
        if self._flushes_first and session.autoflush:
            session.flush()
        return self.execute_on(session.connection(), params)

    def execute_on(
        self, connection: Connection, params: Params | Sequence[Params] | None = None
    ) -> DriverResult:
        """Run on `connection` as it is, nothing sent before (for what sends the held writes itself)."""
        rows: list[Params] = [params or {}] if params is None or isinstance(params, Mapping) else list(params)
        if not rows:
            return DriverResult([], 0)
        compiled = self._compiled_for(connection.dialect, frozenset(rows[0]))
        return _run(connection, compiled, rows)

    def _compiled_for(self, dialect: Dialect, keys: frozenset[str]) -> CompiledForDriver:
        found = self._compiled.get((dialect, keys))
        if found is None:
            if len(self._compiled) >= _MOST_COMPILED:
                self._compiled.clear()
            found = self._compiled[(dialect, keys)] = compile_for_driver(self._clause, dialect, sorted(keys))
        return found


def send_sql(connection: Connection, sql: str) -> None:
    """SQL without parameters (transaction control, a PRAGMA) on the driver, as `exec_driver_sql`
    would send it: seen by the statement listeners, its errors SQLAlchemy's."""
    _run(connection, plain_sql(sql), [{}])


def _run(connection: Connection, compiled: CompiledForDriver, rows: list[Params]) -> DriverResult:
    dialect = connection.dialect
    many = len(rows) > 1
    if many and compiled.returns_rows:
        raise DriverStatementError("rows are returned for one row of parameters only, not for several")
    sql = compiled.sql
    sent: Any = None
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        sent = [compiled.parameters(row) for row in rows] if many else compiled.parameters(rows[0])
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute:
            # Without an execution context (there is none on this path): our listeners read the SQL.
            for listener in dispatch.before_cursor_execute:
                sql, sent = listener(connection, cursor, sql, sent, None, many)
        if many:
            cursor.executemany(sql, sent)
        elif sent:
            cursor.execute(sql, sent)
        else:
            cursor.execute(sql)
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(connection, cursor, sql, sent, None, many)
        fetched = cursor.fetchall() if cursor.description is not None else []
        # After fetching: SQLite counts the rows of an UPDATE … RETURNING as they are read.
        return DriverResult(compiled.rows(fetched), cursor.rowcount)
    except DriverStatementError:
        raise
    except Exception as err:
        raise _as_sqlalchemy_error(connection, dialect, cursor, sql, sent, err) from err
    finally:
        cursor.close()


def _as_sqlalchemy_error(
    connection: Connection, dialect: Dialect, cursor: Any, sql: str, sent: Any, err: Exception
) -> exc.StatementError:
    """The error SQLAlchemy raises for `err` (a driver's error, or a value its type could not convert)."""
    dbapi_error = dialect.loaded_dbapi.Error
    disconnected = isinstance(err, dbapi_error) and dialect.is_disconnect(err, connection.connection, cursor)
    if disconnected:
        connection.invalidate(err)
    return exc.DBAPIError.instance(
        sql, sent, err, dbapi_error, connection_invalidated=disconnected, dialect=dialect
    )
