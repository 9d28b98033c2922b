"""The environment a diagram's scripts and expressions run in.

Scripts come from BPMN files that process owners edit, so they are untrusted: the syntax tree is
checked before anything runs (no imports, no names or attributes that start with an underscore, no
function or class definitions), only a short list of builtins and calendar helpers is offered, and a
time limit stops runaway loops.
"""

from __future__ import annotations

import ast
import json
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.bpmn.form_fields import parse_local_datetime
from engine.calendar import BusinessCalendar, in_heating_season, is_working_day
from engine.clock import Clock, SystemClock
from engine.errors import HotlineError
from engine.reference.data import department_of, onsite_minutes

MAX_RANGE = 100_000
DEFAULT_TIME_LIMIT = 1.0


class ScriptRejected(HotlineError, ValueError):
    """A script or expression uses something the sandbox does not allow."""

    code = "script-rejected"


class ScriptTimeout(HotlineError, RuntimeError):
    """A script ran longer than the sandbox allows."""

    code = "script-timeout"


_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.FunctionDef: "defining functions is not allowed",
    ast.AsyncFunctionDef: "defining functions is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ClassDef: "defining classes is not allowed",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.With: "with is not allowed",
    ast.AsyncWith: "with is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Try: "try is not allowed",
    ast.Raise: "raise is not allowed",
    ast.Delete: "del is not allowed",
}
# str.format can reach attributes through its template ("{0.__class__}"), so it is refused by name.
_FORBIDDEN_ATTRIBUTES = {"format", "format_map", "mro", "gi_frame", "f_globals", "f_locals"}


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ScriptRejected(f"range() of more than {MAX_RANGE} items is not allowed")
    return result


SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(__builtins__, name) if not isinstance(__builtins__, dict) else __builtins__[name]
    for name in (
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "enumerate",
        "filter",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "ValueError",
    )
}
SAFE_BUILTINS["range"] = _safe_range
SAFE_BUILTINS["True"] = True
SAFE_BUILTINS["False"] = False
SAFE_BUILTINS["None"] = None


def check_source(source: str, mode: str) -> ast.AST:
    """Parse and check a script ('exec') or an expression ('eval'); raise ScriptRejected if unsafe."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise ScriptRejected(f"syntax error on line {err.lineno}: {err.msg}") from err
    for node in ast.walk(tree):
        reason = _FORBIDDEN_NODES.get(type(node))
        if reason:
            raise ScriptRejected(f"line {getattr(node, 'lineno', '?')}: {reason}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptRejected(f"line {node.lineno}: names starting with '_' are not allowed ({node.id})")
        if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr in _FORBIDDEN_ATTRIBUTES
        ):
            raise ScriptRejected(f"line {node.lineno}: attribute '{node.attr}' is not allowed")
    return tree


MAX_POWER_RESULT_BITS = 100_000
MAX_SEQUENCE_LENGTH = 1_000_000


def _checked_pow(base: Any, exponent: Any) -> Any:
    big = isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
    if big and abs(base).bit_length() * exponent > MAX_POWER_RESULT_BITS:
        raise ScriptRejected("a power this large is not allowed")
    return base**exponent


def _checked_mul(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        repeats = isinstance(sequence, str | list | tuple | bytes) and isinstance(count, int)
        if repeats and len(sequence) * count > MAX_SEQUENCE_LENGTH:
            raise ScriptRejected(
                f"repeating a sequence to more than {MAX_SEQUENCE_LENGTH} items is not allowed"
            )
    return left * right


def _checked_lshift(left: Any, right: Any) -> Any:
    if isinstance(right, int) and right > MAX_POWER_RESULT_BITS:
        raise ScriptRejected("a shift this large is not allowed")
    return left << right


_CHECKED_OPERATORS = {ast.Pow: "__sandbox_pow", ast.Mult: "__sandbox_mul", ast.LShift: "__sandbox_lshift"}
_OPERATOR_FUNCTIONS = {
    "__sandbox_pow": _checked_pow,
    "__sandbox_mul": _checked_mul,
    "__sandbox_lshift": _checked_lshift,
}


class _CheckOperators(ast.NodeTransformer):
    """One C-level operation (10 ** 10 ** 8, "x" * 10 ** 10) cannot be interrupted by the time limit,
    so the operators that can blow up are routed through functions that check their size first."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        name = _CHECKED_OPERATORS.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        name = _CHECKED_OPERATORS.get(type(node.op))
        if name is None:
            return node
        if not isinstance(node.target, ast.Name):
            raise ScriptRejected(
                f"line {node.lineno}: use 'x = x {'*'} y' instead of an augmented assignment here"
            )
        current = ast.Name(id=node.target.id, ctx=ast.Load())
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[current, node.value], keywords=[])
        return ast.copy_location(ast.Assign(targets=[node.target], value=call), node)


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> Any:
    tree = _CheckOperators().visit(check_source(source, mode))
    return compile(ast.fix_missing_locations(tree), "<string>", mode)


def _json_value(name: str, value: Any) -> Any:
    """Case data is stored as JSON: a script may leave only JSON values (and dates, kept as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    try:
        json.dumps(value)
    except (TypeError, ValueError) as err:
        raise ScriptRejected(
            f"'{name}' holds a {type(value).__name__}, which case data cannot keep "
            "(use text, numbers, true/false, lists and dicts)"
        ) from err
    return value


class _TimeLimit:
    """Stops Python-level execution that runs past a deadline (checked on every traced opcode)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def run(self, func: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.seconds
        seconds = self.seconds

        def trace(frame: Any, event: str, arg: Any) -> Any:
            if event == "call":
                # Opcode events, because a bare `while True: pass` produces no line events.
                frame.f_trace_opcodes = True
            if time.monotonic() > deadline:
                raise ScriptTimeout(f"script ran longer than {seconds:g} s")
            return trace

        previous = sys.gettrace()
        sys.settrace(trace)
        try:
            return func()
        finally:
            sys.settrace(previous)


def calendar_functions(clock: Clock, zone: ZoneInfo) -> dict[str, Callable[..., Any]]:
    """The date helpers a diagram may call. They return ISO strings so case data stays JSON."""

    def now() -> str:
        return clock.now().astimezone(zone).isoformat()

    def today() -> str:
        return clock.now().astimezone(zone).date().isoformat()

    def end_of_day(day: str | date | None = None) -> str:
        """23:59:59 local time of the given day (default: today): the same-day reply deadline."""
        if day is None:
            local_day = clock.now().astimezone(zone).date()
        elif isinstance(day, date):
            local_day = day if not isinstance(day, datetime) else day.date()
        else:
            local_day = date.fromisoformat(str(day)[:10])
        return datetime.combine(local_day, dtime(23, 59, 59), zone).isoformat()

    def add_hours(hours: float) -> str:
        return (clock.now().astimezone(zone) + timedelta(hours=hours)).isoformat()

    def add_minutes(minutes: float) -> str:
        return (clock.now().astimezone(zone) + timedelta(minutes=minutes)).isoformat()

    def hours_between(start: str, end: str) -> float:
        """Hours from one ISO time to another (negative when `end` is earlier)."""
        return (_moment(end, zone) - _moment(start, zone)).total_seconds() / 3600

    business = BusinessCalendar(zone)

    def _day(day: str | date | None) -> date:
        if day is None:
            return clock.now().astimezone(zone).date()
        return (
            day
            if isinstance(day, date) and not isinstance(day, datetime)
            else date.fromisoformat(str(day)[:10])
        )

    def working_days(count: int) -> str:
        """Closing time of the count-th working day after today (official calendar, S2)."""
        return business.working_days_after(clock.now(), int(count)).isoformat()

    def end_of_working_day() -> str:
        return business.end_of_working_day(clock.now()).isoformat()

    def working_day(day: str | date | None = None) -> bool:
        return is_working_day(_day(day))

    def heating_season(day: str | date | None = None) -> bool:
        return in_heating_season(_day(day))

    def on_duty() -> bool:
        return business.is_on_duty(clock.now())

    return {
        "now": now,
        "today": today,
        "end_of_day": end_of_day,
        "add_hours": add_hours,
        "add_minutes": add_minutes,
        "hours_between": hours_between,
        "working_days": working_days,
        "end_of_working_day": end_of_working_day,
        "is_working_day": working_day,
        "in_heating_season": heating_season,
        "is_on_duty": on_duty,
    }


def _moment(value: str | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value
    return parse_local_datetime(str(value), zone)


def script_functions(clock: Clock, zone: ZoneInfo) -> dict[str, Callable[..., Any]]:
    """Everything a script may call: the calendar helpers and the reference data lookups."""
    return {
        **calendar_functions(clock, zone),
        "onsite_minutes": onsite_minutes,
        "department_of": department_of,
    }


# Names case data may not take: the functions every script sees.
RESERVED_NAMES = frozenset(script_functions(SystemClock(), ZoneInfo("UTC"))) | frozenset(SAFE_BUILTINS)


class SandboxEnvironment(TaskDataEnvironment):
    """A SpiffWorkflow script environment that checks, limits and isolates every script."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]], time_limit: float = DEFAULT_TIME_LIMIT):
        super().__init__(dict(functions))
        self.time_limit = _TimeLimit(time_limit)

    def _globals(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict:
        clashes = set(self.globals) & set(context)
        if clashes:
            raise ScriptRejected(f"case data overwrites a function name: {', '.join(sorted(clashes))}")
        scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, **_OPERATOR_FUNCTIONS}
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return scope

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = _compile(expression, "eval")
        scope = self._globals(context, external_context)
        return self.time_limit.run(lambda: eval(code, scope))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        code = _compile(script, "exec")
        scope = self._globals(context, external_context)
        self.time_limit.run(lambda: exec(code, scope))
        hidden = set(self.globals) | set(external_context or {}) | {"__builtins__"} | set(_OPERATOR_FUNCTIONS)
        results = {
            key: _json_value(key, value)
            for key, value in scope.items()
            if key not in hidden and not callable(value)
        }
        for key in [k for k in context if k not in scope]:
            del context[key]
        context.update(results)
        return True


class SandboxScriptEngine(PythonScriptEngine):
    """The script engine handed to every workflow; it also carries the clock the timers ask."""

    def __init__(self, clock: Clock, zone: ZoneInfo, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        super().__init__(environment=SandboxEnvironment(script_functions(clock, zone), time_limit))
        self.clock = clock
        self.zone = zone

    def validate(self, expression: str) -> None:
        _compile(expression, "exec")
