"""What a script may leave in case data and what an expression may return: JSON values (dates become
ISO text) no deeper than MAX_OUTPUT_DEPTH and no larger than MAX_OUTPUT_BYTES as JSON.

A 950-deep list once made a case page fail for good and a 32 MB string was stored; both are refused
here, with the name of the value, before anything is written."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from engine.bpmn.sandbox.checks import OPERATOR_FUNCTIONS, ScriptRejected
from engine.bpmn.sandbox.functions import SAFE_BUILTINS

MAX_OUTPUT_BYTES = 256 * 1024
MAX_OUTPUT_DEPTH = 20


def _shape(value: object, depth_limit: int, size_limit: int) -> str | None:
    """'depth' when lists and dicts nest deeper than `depth_limit`, 'size' when the text in the value
    alone is longer than `size_limit`, found without recursion and without serialising."""
    stack: list[tuple[object, int]] = [(value, 1)]
    size = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str | bytes):
            size += len(item)
        elif isinstance(item, dict):
            size += sum(len(key) for key in item if isinstance(key, str))
            children: list[object] = list(item.values())
        elif isinstance(item, list | tuple):
            children = list(item)
        else:
            continue
        if size > size_limit:
            return "size"
        if isinstance(item, str | bytes):
            continue
        if depth > depth_limit:
            return "depth"
        size += len(children)
        stack.extend((child, depth + 1) for child in children)
    return None


def _too_large(name: str, size: int) -> ScriptRejected:
    return ScriptRejected(
        f"'{name}' takes {size // 1024} KB or more as case data; at most "
        f"{MAX_OUTPUT_BYTES // 1024} KB are allowed"
    )


def json_value(name: str, value: object) -> object:
    """The value as case data keeps it, or ScriptRejected saying why it cannot be kept."""
    if value is None or isinstance(value, bool) or (isinstance(value, float) and math.isfinite(value)):
        return value  # NaN and infinity are no JSON: PostgreSQL refuses them in a JSON column
    if isinstance(value, str) and len(value) * 4 <= MAX_OUTPUT_BYTES:
        return value
    if isinstance(value, int) and -(1 << 64) < value < 1 << 64:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    shape = _shape(value, MAX_OUTPUT_DEPTH, MAX_OUTPUT_BYTES)
    if shape == "depth":
        raise ScriptRejected(
            f"'{name}' is nested more than {MAX_OUTPUT_DEPTH} levels deep, which case data cannot keep"
        )
    if shape == "size":
        raise _too_large(name, MAX_OUTPUT_BYTES)
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ScriptRejected(
            f"'{name}' holds a {type(value).__name__}, which case data cannot keep "
            "(use text, numbers, true/false, lists and dicts)"
        ) from err
    size = len(text.encode("utf-8")) if len(text) * 4 > MAX_OUTPUT_BYTES else len(text)
    if size > MAX_OUTPUT_BYTES:
        raise _too_large(name, size)
    return value


def check_results(values: dict[str, object]) -> dict[str, object]:
    """What one script leaves, each value checked, and all of them together within the size limit."""
    checked = {name: json_value(name, value) for name, value in values.items()}
    if len(checked) > 1:
        json_value("the script's results", checked)
    return checked


# --- the globals a script runs with, and what it leaves ---------------------------------------------

Scope = dict[str, Any]


def build_scope(
    functions: Mapping[str, object], context: Mapping[str, Any], external: Mapping[str, Any] | None
) -> Scope:
    """Globals of one run: the offered builtins, the checked operators, the script functions, the
    external context (SpiffWorkflow's data objects) and the case data."""
    clashes = context.keys() & functions.keys()
    if clashes:
        raise ScriptRejected(f"case data overwrites a function name: {', '.join(sorted(clashes))}")
    scope: Scope = {"__builtins__": SAFE_BUILTINS, **OPERATOR_FUNCTIONS}
    scope.update(functions)
    scope.update(external or {})
    scope.update(context)
    return scope


def changed_values(
    scope: Scope,
    before: Mapping[str, Any],
    hidden: Iterable[str],
    same: Callable[[Any, Any], bool] = operator.is_,
) -> dict[str, Any]:
    """The case data a script set or changed (`same` says whether a value is the one it had), each
    value checked to be one case data can keep."""
    skip = set(hidden) | {"__builtins__"}
    changed = {
        key: value
        for key, value in scope.items()
        if key not in skip
        and not key.startswith("__")
        and not callable(value)
        and (key not in before or not same(before[key], value))
    }
    return check_results(changed)
