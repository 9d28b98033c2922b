"""Where a checked script runs: in the calling process when its cost is bounded by its length (the
fast path, engine.bpmn.sandbox.fastpath), otherwise in a sandbox process of a pool whose limits the
operating system enforces (engine.bpmn.sandbox.pool). Either way a script leaves only values case
data can keep (JSON, bounded in size and depth: engine.bpmn.sandbox.output)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.bpmn.sandbox.channel import encode
from engine.bpmn.sandbox.checks import CompileMode, ScriptRejected, _compile
from engine.bpmn.sandbox.fastpath import FastPathExceeded, fast_code, fast_scope
from engine.bpmn.sandbox.functions import CALENDAR_NAMES, ScriptFunction, script_functions
from engine.bpmn.sandbox.output import build_scope, changed_values, check_results, json_value
from engine.bpmn.sandbox.pool import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIME_LIMIT,
    Limits,
    SandboxPool,
    shared_pool,
)
from engine.clock import Clock

# Case data as SpiffWorkflow hands it to a script: names to JSON values.
CaseData = dict[str, Any]


class SandboxEnvironment(TaskDataEnvironment):
    """A SpiffWorkflow script environment that checks, limits and isolates every script.

    `clock` and `zone`, when given, are those the calendar helpers among `functions` were made with:
    a sandbox process then builds its own helpers with the caller's `now` instead of calling back."""

    def __init__(
        self,
        functions: Mapping[str, ScriptFunction],
        time_limit: float = DEFAULT_TIME_LIMIT,
        *,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
        pool_size: int = DEFAULT_POOL_SIZE,
        pool: SandboxPool | None = None,
        clock: Clock | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        super().__init__(dict(functions))
        self.globals: dict[str, ScriptFunction]
        self.limits = Limits(time_limit, memory_limit_mb, pool_size)
        self._pool = pool
        self.clock = clock
        self.zone = zone
        self.fast_runs = 0  # how many calls the fast path answered (tests and the benchmark read it)
        self.pool_runs = 0

    @property
    def pool(self) -> SandboxPool:
        return self._pool if self._pool is not None else shared_pool(self.limits)

    def evaluate(self, expression: str, context: CaseData, external_context: CaseData | None = None) -> Any:
        code = fast_code(expression, "eval")
        if code is not None:
            scope = build_scope(self.globals, context, external_context)
            scope.update(fast_scope())
            try:
                value = eval(code, scope)
            except FastPathExceeded:
                pass
            else:
                self.fast_runs += 1
                return json_value("the expression's value", value)
        reply = self._in_pool("eval", expression, context, external_context)
        return json_value("the expression's value", reply.get("value"))

    def execute(self, script: str, context: CaseData, external_context: CaseData | None = None) -> bool:
        code = fast_code(script, "exec")
        hidden = set(self.globals) | set(external_context or {})
        if code is not None:
            scope = build_scope(self.globals, context, external_context)
            scope.update(fast_scope())
            try:
                exec(code, scope)
            except FastPathExceeded:
                pass
            else:
                self.fast_runs += 1
                context.update(changed_values(scope, context, hidden))
                return True
        reply = self._in_pool("exec", script, context, external_context)
        changed = reply.get("changed")
        if not isinstance(changed, dict) or set(changed) & hidden:
            raise ScriptRejected("the sandbox process sent something that is no result")
        context.update(check_results(changed))
        return True

    def _in_pool(
        self, mode: CompileMode, source: str, context: CaseData, external_context: CaseData | None
    ) -> dict[str, Any]:
        _compile(source, mode)  # refused here, with the checks' message, before a process is asked
        build_scope(self.globals, context, external_context)  # the same clash check as in-process
        local = sorted(CALENDAR_NAMES & set(self.globals)) if self.clock and self.zone else []
        request = {
            "mode": mode,
            "source": source,
            "context": context,
            "external": external_context or {},
            "functions": sorted(self.globals),
            "local": local,
            "now": self.clock.now().isoformat() if self.clock else None,
            "zone": self.zone.key if self.zone else None,
        }
        try:
            payload = encode(request)
        except (TypeError, ValueError) as err:  # case data that is no JSON cannot be sent
            raise ScriptRejected(f"case data cannot be given to the script: {err}") from err
        self.pool_runs += 1
        return self.pool.run(payload, self.globals)


class SandboxScriptEngine(PythonScriptEngine):
    """The script engine handed to every workflow; it also carries the clock the timers ask."""

    def __init__(
        self,
        clock: Clock,
        zone: ZoneInfo,
        lookups: Mapping[str, ScriptFunction],
        time_limit: float = DEFAULT_TIME_LIMIT,
        *,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.sandbox = SandboxEnvironment(
            script_functions(clock, zone, lookups),
            time_limit,
            memory_limit_mb=memory_limit_mb,
            pool_size=pool_size,
            clock=clock,
            zone=zone,
        )
        super().__init__(environment=self.sandbox)
        self.clock = clock
        self.zone = zone

    def validate(self, expression: str) -> None:
        _compile(expression, "exec")
