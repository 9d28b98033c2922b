"""engine.db.is_transient: which database errors a timer round tries again later (issue 14, item 5)
and which make an incident: the errors as the drivers raise them, wrapped the way SQLAlchemy does."""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
from sqlalchemy import exc

from engine.db import is_transient
from engine.errors import Conflict, ScriptFailed


def wrapped(driver_error: Exception, invalidated: bool = False) -> exc.DBAPIError:
    return exc.DBAPIError.instance(
        "UPDATE timer …", {}, driver_error, Exception, connection_invalidated=invalidated
    )


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("database is locked")),
        wrapped(sqlite3.ProgrammingError("Cannot operate on a closed database."), invalidated=True),
        wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
        wrapped(psycopg.errors.SerializationFailure("could not serialize access")),
        wrapped(psycopg.errors.DeadlockDetected("deadlock detected")),
        wrapped(psycopg.errors.LockNotAvailable("could not obtain lock")),
        wrapped(psycopg.OperationalError("connection refused")),
        exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        exc.DisconnectionError("the connection was lost"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(e)[:30],
)
def test_transient_database_errors(error: Exception) -> None:
    assert is_transient(error)


def test_a_transient_error_behind_another_counts() -> None:
    """A script's reference lookup that lost its connection fails the step: still the database's fault."""
    try:
        try:
            raise wrapped(psycopg.errors.AdminShutdown("terminating connection"))
        except exc.DBAPIError as lost:
            raise ScriptFailed("chase", "lookup failed") from lost
    except ScriptFailed as failed:
        assert is_transient(failed)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(psycopg.errors.UniqueViolation("duplicate key value")),
        wrapped(sqlite3.IntegrityError("UNIQUE constraint failed")),
        wrapped(psycopg.errors.NotNullViolation("null value")),
        ScriptFailed("chase", "division by zero"),
        ZeroDivisionError("division by zero"),
        Conflict("case changed"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(e)[:30],
)
def test_errors_of_the_work_are_not_transient(error: Exception) -> None:
    assert not is_transient(error)
