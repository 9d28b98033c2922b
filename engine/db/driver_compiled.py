"""A Core statement's compiled form for one database dialect, reduced to what the driver needs.

SQLAlchemy decides everything here: the SQL text and the order of its parameters
(`statement.compile`), each parameter's and each result column's conversion (the types' bind and
result processors, so tz-aware datetimes, JSON and booleans round-trip exactly as through a session),
the columns' Python-side defaults. What is left for each execution is a loop over plain tuples.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter

from engine.errors import HotlineError

Processor = Callable[[Any], Any]
_MISSING = object()


class DriverStatementError(HotlineError):
    """A statement this path cannot send as compiled (expanding IN lists, SQL-side defaults...):
    send it through the session instead."""


@dataclass(frozen=True)
class _Bind:
    """One parameter of the compiled SQL: where its value comes from and how the driver wants it."""

    name: str  # as the SQL names it (named paramstyles)
    key: str  # the key callers pass
    processor: Processor | None
    default: Callable[[], Any] | None  # a column's Python-side default, when the key is not passed
    value: Any  # the bound value built into the statement (`_MISSING`: the caller must pass the key)


@dataclass(frozen=True)
class CompiledForDriver:
    sql: str
    positional: bool
    binds: tuple[_Bind, ...]
    # The columns that need converting, by position.
    result_processors: tuple[tuple[int, Processor], ...]
    row_type: Callable[..., tuple[Any, ...]]
    returns_rows: bool
    plan: _ParameterPlan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plan", _ParameterPlan.of(self.binds))

    def parameters(self, row: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = self.plan.values(row)
        if self.positional:
            return values
        return {bind.name: value for bind, value in zip(self.binds, values, strict=True)}

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        make = self.row_type
        processors = self.result_processors
        if not processors:
            return [make(*row) for row in fetched]
        made = []
        for row in fetched:
            values = list(row)
            for index, process in processors:
                values[index] = process(values[index])
            made.append(make(*values))
        return made


@lru_cache(maxsize=16)
def plain_sql(sql: str) -> CompiledForDriver:
    """SQL as written, without parameters or rows."""
    return CompiledForDriver(sql, True, (), (), _plain_row, returns_rows=False)


def _plain_row(*values: Any) -> tuple[Any, ...]:
    return values


@dataclass(frozen=True)
class _ParameterPlan:
    """Where each parameter's value comes from, sorted out once per compiled statement: an execution
    then reads the keys the caller must pass, fills in the others (a column's default, a value built
    into the statement) and runs only the processors that exist (most types have none)."""

    template: tuple[Any, ...]  # the values built into the statement, `_MISSING` where the caller gives one
    given: tuple[tuple[int, str], ...]  # the parameters only the caller gives, by position
    optional: tuple[tuple[int, str, Callable[[], Any] | None], ...]  # the caller may give, else filled in
    processors: tuple[tuple[int, Processor], ...]
    # With every parameter given by the caller: one call reads them all.
    take: Callable[[Mapping[str, Any]], Any] | None

    @classmethod
    def of(cls, binds: Sequence[_Bind]) -> _ParameterPlan:
        given = tuple(
            (n, b.key) for n, b in enumerate(binds) if b.key and b.default is None and b.value is _MISSING
        )
        optional = tuple(
            (n, b.key, b.default)
            for n, b in enumerate(binds)
            if b.key and (b.default is not None or b.value is not _MISSING)
        )
        take = None
        if len(given) == len(binds) > 0:
            keys = [key for _n, key in given]
            take = itemgetter(*keys) if len(keys) > 1 else _one_item(keys[0])
        return cls(
            template=tuple(_MISSING if b.key and b.value is _MISSING else b.value for b in binds),
            given=given,
            optional=optional,
            processors=tuple((n, b.processor) for n, b in enumerate(binds) if b.processor is not None),
            take=take,
        )

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        try:
            if self.take is not None:
                values = list(self.take(row))
            else:
                values = list(self.template)
                for index, key in self.given:
                    values[index] = row[key]
        except KeyError as missing:
            raise DriverStatementError(f"a value is required for the parameter {missing.args[0]!r}") from None
        for index, key, default in self.optional:
            value = row.get(key, _MISSING)
            if value is not _MISSING:
                values[index] = value
            elif default is not None:
                values[index] = default()
        for index, process in self.processors:
            values[index] = process(values[index])
        return values


def _one_item(key: str) -> Callable[[Mapping[str, Any]], tuple[Any]]:
    def take(row: Mapping[str, Any]) -> tuple[Any]:
        return (row[key],)

    return take


def compile_for_driver(statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> CompiledForDriver:
    """`statement` compiled for `dialect`, writing the columns named by `keys` (INSERT/UPDATE)."""
    # As for several rows: a single-row INSERT then gets no implicit RETURNING of its primary key (which
    # SQLAlchemy adds on PostgreSQL for `inserted_primary_key`); a RETURNING asked for stays.
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if not isinstance(compiled, SQLCompiler):
        raise DriverStatementError(f"not a SQL statement: {statement!r}")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    sql, names, fixed = _sql_and_parameter_names(compiled, by_name)
    defaults = _python_defaults(compiled)
    escaped = compiled.escaped_bind_names
    binds = []
    for name in names:
        if name in fixed:
            binds.append(_Bind(name=name, key="", processor=None, default=None, value=fixed[name]))
            continue
        param = by_name[name]
        if param.callable is not None:
            raise DriverStatementError(f"bound callables are not supported ({param.key!r})")
        binds.append(
            _Bind(
                name=escaped.get(name, name),
                key=param.key,
                processor=param.type.dialect_impl(dialect).bind_processor(dialect),
                default=defaults.get(param.key),
                value=_MISSING if param.required else param.value,
            )
        )
    columns = list(getattr(statement, "exported_columns", ()))
    processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    names = [column.key or f"column{n}" for n, column in enumerate(columns)]
    row_type = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    return CompiledForDriver(
        sql=sql,
        positional=compiled.positional,
        binds=tuple(binds),
        result_processors=tuple((n, p) for n, p in enumerate(processors) if p is not None),
        row_type=row_type if columns else _plain_row,
        returns_rows=bool(columns),
    )


def _sql_and_parameter_names(
    compiled: SQLCompiler, by_name: Mapping[str, BindParameter[Any]]
) -> tuple[str, list[str], dict[str, Any]]:
    """The SQL, its parameters' names in order, and the values of those fixed in the statement.

    A list built into the statement (`column.in_([...])`) is rendered as one parameter per item at
    execution; it is fixed, so it is rendered here once. A list the caller passes would change the SQL
    with every execution: not for this path."""
    if not (compiled.literal_execute_params or compiled.post_compile_params):
        if compiled.positional:
            assert compiled.positiontup is not None
            return compiled.string, list(compiled.positiontup), {}
        return compiled.string, list(dict.fromkeys(compiled.bind_names.values())), {}
    for param in compiled.literal_execute_params | compiled.post_compile_params:
        if param.required:
            raise DriverStatementError(f"a list passed at execution ({param.key!r}) is not supported")
    placeholders = {param.key: None for param in by_name.values() if param.required}
    state = compiled.construct_expanded_state(placeholders, escape_names=False)
    names = list(state.positiontup) if compiled.positional and state.positiontup else list(state.parameters)
    fixed = {}
    for name, value in state.parameters.items():
        if name not in by_name:
            processor = state.processors.get(name)
            fixed[name] = value if processor is None else processor(value)
    return state.statement, names, fixed


def _python_defaults(compiled: SQLCompiler) -> dict[str, Callable[[], Any]]:
    """The Python-side defaults (or on-update values) of the columns the statement writes without
    being given them, by the key their parameter goes by."""
    found: dict[str, Callable[[], Any]] = {}
    for columns, attribute in ((compiled.insert_prefetch, "default"), (compiled.update_prefetch, "onupdate")):
        for column in columns:
            found[column.key] = _default_of(column, getattr(column, attribute))
    return found


def _default_of(column: Column[Any], default: Any) -> Callable[[], Any]:
    if default is not None and default.is_scalar:
        value = default.arg
        return lambda: value
    if default is not None and default.is_callable:
        # SQLAlchemy wraps a default taking no argument into one taking the execution context; there
        # is none here, and none of our defaults reads it.
        function = default.arg
        return lambda: function(None)
    raise DriverStatementError(f"the default of {column} is not a Python value or function")
