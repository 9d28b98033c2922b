"""Where a checked script runs: globals built from the allowed builtins, the script functions and the
case data, a time limit, and a check that a script leaves only values case data can keep (JSON)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.bpmn.sandbox.checks import OPERATOR_FUNCTIONS, ScriptRejected, _compile
from engine.bpmn.sandbox.functions import SAFE_BUILTINS, ScriptFunction, script_functions
from engine.clock import Clock
from engine.errors import HotlineError

if TYPE_CHECKING:
    from _typeshed import TraceFunction

DEFAULT_TIME_LIMIT = 1.0

# Case data as SpiffWorkflow hands it to a script: names to JSON values.
CaseData = dict[str, Any]
_Result = TypeVar("_Result")


class ScriptTimeout(HotlineError, RuntimeError):
    """A script ran longer than the sandbox allows."""

    code = "script-timeout"


def _json_value(name: str, value: object) -> object:
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

    def run(self, func: Callable[[], _Result]) -> _Result:
        deadline = time.monotonic() + self.seconds
        seconds = self.seconds

        def trace(frame: FrameType, event: str, arg: object) -> TraceFunction:
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


class SandboxEnvironment(TaskDataEnvironment):
    """A SpiffWorkflow script environment that checks, limits and isolates every script."""

    def __init__(
        self, functions: Mapping[str, ScriptFunction], time_limit: float = DEFAULT_TIME_LIMIT
    ) -> None:
        super().__init__(dict(functions))
        self.globals: dict[str, ScriptFunction]
        self.time_limit = _TimeLimit(time_limit)

    def _globals(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> CaseData:
        clashes = set(self.globals) & set(context)
        if clashes:
            raise ScriptRejected(f"case data overwrites a function name: {', '.join(sorted(clashes))}")
        scope: CaseData = {"__builtins__": SAFE_BUILTINS, **OPERATOR_FUNCTIONS}
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return scope

    def evaluate(self, expression: str, context: CaseData, external_context: CaseData | None = None) -> Any:
        code = _compile(expression, "eval")
        scope = self._globals(context, external_context)
        return self.time_limit.run(lambda: eval(code, scope))

    def execute(self, script: str, context: CaseData, external_context: CaseData | None = None) -> bool:
        code = _compile(script, "exec")
        scope = self._globals(context, external_context)
        self.time_limit.run(lambda: exec(code, scope))
        hidden = set(self.globals) | set(external_context or {}) | {"__builtins__"} | set(OPERATOR_FUNCTIONS)
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

    def __init__(
        self,
        clock: Clock,
        zone: ZoneInfo,
        lookups: Mapping[str, ScriptFunction],
        time_limit: float = DEFAULT_TIME_LIMIT,
    ) -> None:
        super().__init__(environment=SandboxEnvironment(script_functions(clock, zone, lookups), time_limit))
        self.clock = clock
        self.zone = zone

    def validate(self, expression: str) -> None:
        _compile(expression, "exec")
