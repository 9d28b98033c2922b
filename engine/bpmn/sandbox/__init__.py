"""The environment a diagram's scripts and expressions run in.

Scripts come from BPMN files that process owners edit, so they are untrusted: the syntax tree is
checked before anything runs (`checks`: no imports, no names or attributes that start with an
underscore, no function or class definitions, no builtins the sandbox does not offer, bounded
length and nesting), only a short list of builtins and calendar helpers is offered (`functions`).
Code whose cost is bounded by its length runs in the calling process (`fastpath`); everything else
runs in a pool of sandbox processes that the operating system holds to a memory cap and that are
killed at the time limit (`pool`, `child`). What a script leaves is bounded in size and depth
(`output`). `environment` puts it together for SpiffWorkflow.
"""

from engine.bpmn.sandbox.checks import (
    MAX_NESTING,
    MAX_POWER_RESULT_BITS,
    MAX_SEQUENCE_LENGTH,
    MAX_SOURCE_CHARS,
    OPERATOR_FUNCTIONS,
    UNOFFERED_BUILTINS,
    ScriptRejected,
    _compile,
    check_source,
    loaded_names,
    stored_names,
)
from engine.bpmn.sandbox.environment import SandboxEnvironment, SandboxScriptEngine
from engine.bpmn.sandbox.fastpath import FAST_FUNCTIONS, MAX_FAST_NODES, MAX_FAST_WORK
from engine.bpmn.sandbox.functions import (
    MAX_RANGE,
    RESERVED_NAMES,
    SAFE_BUILTINS,
    ScriptFunction,
    calendar_functions,
    script_functions,
)
from engine.bpmn.sandbox.output import MAX_OUTPUT_BYTES, MAX_OUTPUT_DEPTH
from engine.bpmn.sandbox.pool import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIME_LIMIT,
    Limits,
    SandboxPool,
    SandboxUnavailable,
    ScriptTimeout,
    ScriptTooLarge,
    close_all_pools,
    shared_pool,
)

__all__ = [
    "DEFAULT_MEMORY_LIMIT_MB",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_TIME_LIMIT",
    "FAST_FUNCTIONS",
    "MAX_FAST_NODES",
    "MAX_FAST_WORK",
    "MAX_NESTING",
    "MAX_OUTPUT_BYTES",
    "MAX_OUTPUT_DEPTH",
    "MAX_POWER_RESULT_BITS",
    "MAX_RANGE",
    "MAX_SEQUENCE_LENGTH",
    "MAX_SOURCE_CHARS",
    "OPERATOR_FUNCTIONS",
    "RESERVED_NAMES",
    "SAFE_BUILTINS",
    "UNOFFERED_BUILTINS",
    "Limits",
    "SandboxEnvironment",
    "SandboxPool",
    "SandboxScriptEngine",
    "SandboxUnavailable",
    "ScriptFunction",
    "ScriptRejected",
    "ScriptTimeout",
    "ScriptTooLarge",
    "_compile",  # the compile cache; tests clear it between runs
    "calendar_functions",
    "check_source",
    "close_all_pools",
    "loaded_names",
    "script_functions",
    "shared_pool",
    "stored_names",
]
