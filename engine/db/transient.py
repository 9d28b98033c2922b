"""Which database errors are transient: worth trying the same work again later, unchanged.

A lost or reset connection, a database restarted or shut down, a serialization failure or a deadlock
(PostgreSQL aborts one of the transactions), a lock that was not granted in time, SQLite's "database is
locked", a connection pool that had none free. Such an error says nothing about the work itself: the
same unit of work succeeds once the database answers again. Anything else (a constraint, a script, the
data) is an error of the work.
"""

from __future__ import annotations

from sqlalchemy import exc

# SQLSTATE classes: 08 connection exception, 40 transaction rollback (serialization failure 40001,
# deadlock 40P01), 53 insufficient resources, 57P operator intervention (admin shutdown, crash,
# cannot connect now), 55P03 lock not available, 57014 query cancelled (a statement timeout).
_TRANSIENT_SQLSTATES = ("08", "40", "53", "57P", "55P03", "57014")
_TRANSIENT_MESSAGES = ("database is locked", "database table is locked", "server closed the connection")


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those it was raised from or during (a script's lookup, a wrapped driver error)."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found and len(found) < 20:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _transient(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated or isinstance(error, exc.OperationalError | exc.InterfaceError):
            return True
        sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES):
            return True
        return any(text in str(error.orig) for text in _TRANSIENT_MESSAGES)
    return isinstance(error, exc.DisconnectionError | exc.TimeoutError)


def is_transient(error: BaseException) -> bool:
    """True if `error`, or an error it came from, is a transient database error (see the module)."""
    return any(_transient(e) for e in _chain(error))
