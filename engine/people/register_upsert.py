"""Writing an import's checked rows into the register set-based: the rows are loaded into a temporary
staging table (PostgreSQL: COPY; SQLite: one prepared INSERT run for many rows), then one
`INSERT … SELECT … ON CONFLICT (account_no) DO UPDATE … WHERE <a column differs>` writes them all. The
database compares; an unchanged row is never written, so importing a file again writes nothing.

The counts come from two counts before the upsert (rows staged, rows whose account exists) and the
rows the upsert wrote: every new account is inserted, so the rest it wrote were updated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Column, MetaData, Table, func, insert, literal, or_, select, true
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.db import Customer

# What an import compares and writes: the register's columns the file can give.
COLUMNS = (
    "name",
    "phone",
    "other_phones",
    "district",
    "building",
    "unit",
    "room",
    "address",
    "heated_area",
    "meter_no",
    "service",
)
# How the customer wants to be told (no SMS, language): staged empty (NULL) where the file leaves them
# out, which keeps the register's value (a new customer gets the default).
PREFERENCES = {"no_sms": False, "language": "zh_CN"}
_REGISTER = cast(Table, Customer.__table__)
_STAGED = ("account_no", *COLUMNS, *PREFERENCES)
_STAGING = Table(
    "customer_incoming",
    MetaData(),
    *(Column(name, _REGISTER.c[name].type) for name in _STAGED),
    prefixes=["TEMPORARY"],
)


class StagedRegister:
    """The staging table of one import, in the caller's transaction; `write()` upserts and drops it."""

    def __init__(self, session: Session) -> None:
        self._connection = session.connection()
        self._postgres = self._connection.dialect.name == "postgresql"
        _STAGING.create(self._connection)

    def stage(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._postgres:
            driver = self._connection.connection.driver_connection
            assert driver is not None
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {_STAGING.name} ({', '.join(_STAGED)}) FROM STDIN") as copy,
            ):
                for values in rows:
                    copy.write_row([values[name] for name in _STAGED])
        else:
            self._connection.execute(insert(_STAGING), list(rows))

    def write(self) -> tuple[int, int, int]:
        """(added, updated, unchanged)."""
        staged = self._connection.scalar(select(func.count()).select_from(_STAGING)) or 0
        known = (
            self._connection.scalar(
                select(func.count()).select_from(
                    _STAGING.join(_REGISTER, _REGISTER.c.account_no == _STAGING.c.account_no)
                )
            )
            or 0
        )
        upsert = postgresql_insert if self._postgres else sqlite_insert
        written_columns = (*COLUMNS, *PREFERENCES)
        statement = upsert(_REGISTER).from_select(
            ["email", "account_no", *written_columns],
            # SQLite needs the WHERE to tell ON CONFLICT from a join's ON.
            select(
                literal(""),
                _STAGING.c.account_no,
                *(_STAGING.c[name] for name in COLUMNS),
                # an empty preference keeps the register's (the outer join), or takes the default
                *(
                    func.coalesce(_STAGING.c[name], _REGISTER.c[name], literal(default))
                    for name, default in PREFERENCES.items()
                ),
            )
            .select_from(_STAGING.outerjoin(_REGISTER, _REGISTER.c.account_no == _STAGING.c.account_no))
            .where(true()),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_REGISTER.c.account_no],
            set_={name: statement.excluded[name] for name in written_columns},
            where=or_(
                *(_REGISTER.c[name].is_distinct_from(statement.excluded[name]) for name in written_columns)
            ),
        )
        written = len(self._connection.execute(statement.returning(literal(1))).all())
        _STAGING.drop(self._connection)
        added = staged - known
        return added, written - added, known - (written - added)
