"""The checks a script or expression passes before it may run, and how it is compiled.

The syntax tree is refused when it imports, names anything that starts with an underscore, defines
functions or classes, or uses statements a diagram never needs. The operators that could build a huge
value in one uninterruptible step are rewritten into calls that check the size first.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any, Literal

from engine.errors import HotlineError

CompileMode = Literal["exec", "eval"]


class ScriptRejected(HotlineError, ValueError):
    """A script or expression uses something the sandbox does not allow."""

    code = "script-rejected"


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


# The operands are whatever a script computes, so these take and return Any on purpose.
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


_CHECKED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Pow: "__sandbox_pow",
    ast.Mult: "__sandbox_mul",
    ast.LShift: "__sandbox_lshift",
}
# The names the rewritten operators call; every script's globals must hold them.
OPERATOR_FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
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
def _compile(source: str, mode: CompileMode) -> CodeType:
    """Check, rewrite and compile a script; the same source is compiled once (cached)."""
    tree = _CheckOperators().visit(check_source(source, mode))
    return compile(ast.fix_missing_locations(tree), "<string>", mode)
