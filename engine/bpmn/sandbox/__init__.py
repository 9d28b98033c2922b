"""The environment a diagram's scripts and expressions run in.

Scripts come from BPMN files that process owners edit, so they are untrusted: the syntax tree is
checked before anything runs (`checks`: no imports, no names or attributes that start with an
underscore, no function or class definitions), only a short list of builtins and calendar helpers is
offered (`functions`), and a time limit stops runaway loops (`environment`).
"""

from engine.bpmn.sandbox.checks import (
    MAX_POWER_RESULT_BITS,
    MAX_SEQUENCE_LENGTH,
    OPERATOR_FUNCTIONS,
    ScriptRejected,
    _compile,
    check_source,
)
from engine.bpmn.sandbox.environment import (
    DEFAULT_TIME_LIMIT,
    SandboxEnvironment,
    SandboxScriptEngine,
    ScriptTimeout,
)
from engine.bpmn.sandbox.functions import (
    MAX_RANGE,
    RESERVED_NAMES,
    SAFE_BUILTINS,
    ScriptFunction,
    calendar_functions,
    script_functions,
)

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "MAX_POWER_RESULT_BITS",
    "MAX_RANGE",
    "MAX_SEQUENCE_LENGTH",
    "OPERATOR_FUNCTIONS",
    "RESERVED_NAMES",
    "SAFE_BUILTINS",
    "SandboxEnvironment",
    "SandboxScriptEngine",
    "ScriptFunction",
    "ScriptRejected",
    "ScriptTimeout",
    "_compile",  # the compile cache; tests clear it between runs
    "calendar_functions",
    "check_source",
    "script_functions",
]
