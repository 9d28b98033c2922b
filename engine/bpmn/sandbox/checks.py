"""The checks a script or expression passes before it may run, and how it is compiled.

The syntax tree is refused when it imports, names anything that starts with an underscore, defines
functions or classes, uses statements a diagram never needs, calls a Python builtin the sandbox does
not offer (`getattr`, `open`, `globals`, …), is longer than MAX_SOURCE_CHARS or nested deeper than
MAX_NESTING (the parser and the compiler recurse; deep nesting would crash them). The operators that
could build a huge value in one uninterruptible step are rewritten into calls that check the size
first. Compiled code is cached, bounded by entry count and by the total size of the cached sources.
"""

from __future__ import annotations

import ast
import builtins
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any, Literal

from engine.errors import HotlineError

CompileMode = Literal["exec", "eval"]

# A script of a diagram is a few lines; the limits leave room for a hundred times that.
MAX_SOURCE_CHARS = 20_000
MAX_NESTING = 40  # depth of the syntax tree (a shipped script reaches 13)
MAX_NODES = 5_000

# The builtins a script may call (engine.bpmn.sandbox.functions offers them, range in a safe form).
OFFERED_BUILTINS = (
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
    "range",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "ValueError",
    "True",
    "False",
    "None",
)
# Python builtins the sandbox does not offer: a script that calls one would fail on every case.
UNOFFERED_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_")) - set(
    OFFERED_BUILTINS
)
# Of those, the ones that are refused even when only named (`f = getattr`): they exist to escape.
_ESCAPE_BUILTINS = frozenset(
    {
        "breakpoint",
        "classmethod",
        "compile",
        "delattr",
        "dir",
        "eval",
        "exec",
        "exit",
        "getattr",
        "globals",
        "hasattr",
        "help",
        "input",
        "locals",
        "memoryview",
        "object",
        "open",
        "property",
        "quit",
        "setattr",
        "staticmethod",
        "super",
        "type",
        "vars",
    }
)


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


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE_CHARS:
        raise ScriptRejected(
            f"the source is {len(source)} characters long; at most {MAX_SOURCE_CHARS} are allowed"
        )
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as err:
        if "nested" in (err.msg or ""):  # Python's parser gives up on "too many nested parentheses"
            raise ScriptRejected(f"nested more deeply than {MAX_NESTING} levels") from err
        raise ScriptRejected(
            f"syntax error on line {err.lineno}: {err.msg}",
            code="script-syntax",  # said by line and column: Python's own words are English
            params={"line": err.lineno or 1, "column": err.offset or 1},
        ) from err
    except (RecursionError, MemoryError) as err:
        raise ScriptRejected(f"nested more deeply than {MAX_NESTING} levels") from err
    except ValueError as err:  # NUL bytes in the source
        raise ScriptRejected(f"the source cannot be read: {err}") from err


def _check_shape(tree: ast.AST) -> None:
    """Depth and size of the tree, without recursing (a deep tree must not crash the check)."""
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_NESTING:
            raise ScriptRejected(
                f"line {getattr(node, 'lineno', '?')}: nested more deeply than {MAX_NESTING} levels"
            )
        if count > MAX_NODES:
            raise ScriptRejected(f"more than {MAX_NODES} parts; split the script")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def stored_names(tree: ast.AST) -> set[str]:
    """The names a script assigns (including loop and comprehension variables)."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


def loaded_names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def check_source(source: str, mode: str) -> ast.AST:
    """Parse and check a script ('exec') or an expression ('eval'); raise ScriptRejected if unsafe."""
    tree = _parse(source, mode)
    _check_shape(tree)
    assigned = stored_names(tree)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    for node in ast.walk(tree):
        reason = _FORBIDDEN_NODES.get(type(node))
        if reason:
            raise ScriptRejected(f"line {getattr(node, 'lineno', '?')}: {reason}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptRejected(f"line {node.lineno}: names starting with '_' are not allowed ({node.id})")
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in UNOFFERED_BUILTINS
            and node.id not in assigned
            and (node.id in called or node.id in _ESCAPE_BUILTINS)
        ):
            raise ScriptRejected(
                f"line {node.lineno}: '{node.id}' is not offered to scripts "
                "(docs/modelling.md lists what a script may call)"
            )
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
    so the operators that can blow up are routed through functions that check their size first.
    (In a sandbox process the operating system's limits stop them as well; the check gives the
    process owner a clearer message.)"""

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


def compile_tree(tree: ast.AST, mode: CompileMode, filename: str = "<string>") -> CodeType:
    """Compile a checked (and perhaps rewritten) tree; a compiler that runs out of stack is a refusal."""
    if not isinstance(tree, ast.Module | ast.Expression):
        raise ScriptRejected("not a script or an expression")
    try:
        return compile(ast.fix_missing_locations(tree), filename, mode)
    except (RecursionError, MemoryError) as err:
        raise ScriptRejected(f"nested more deeply than {MAX_NESTING} levels") from err
    except (SyntaxError, ValueError) as err:
        raise ScriptRejected(f"cannot be compiled: {err}") from err


@dataclass(frozen=True)
class CacheInfo:
    currsize: int
    source_chars: int
    maxsize: int
    max_source_chars: int


class BoundedCache:
    """A least-recently-used cache of compiled scripts, bounded by entries and by the total length of
    the cached sources (a compiled script's size follows its source's), safe across threads."""

    def __init__(self, maxsize: int = 2048, max_source_chars: int = 2_000_000) -> None:
        self.maxsize = maxsize
        self.max_source_chars = max_source_chars
        self._entries: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, source: str, mode: str, make: Callable[[], Any]) -> Any:
        key = (source, mode)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = make()
        with self._lock:
            if key not in self._entries:
                self._entries[key] = value
                self._chars += len(source)
            while self._entries and (
                len(self._entries) > self.maxsize or self._chars > self.max_source_chars
            ):
                (old_source, _mode), _value = self._entries.popitem(last=False)
                self._chars -= len(old_source)
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def cache_info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(len(self._entries), self._chars, self.maxsize, self.max_source_chars)


_CACHE = BoundedCache()


@dataclass
class Compiled:
    """A checked script compiled for a sandbox process (`code`) and, when its cost is bounded by its
    length, for the in-process fast path (`fast`, filled in by engine.bpmn.sandbox.fastpath)."""

    code: CodeType
    fast: CodeType | None = None
    fast_checked: bool = False


def compiled(source: str, mode: CompileMode) -> Compiled:
    """Check, rewrite and compile a script; the same source is compiled once (cached)."""
    entry: Compiled = _CACHE.get(source, mode, lambda: Compiled(_compile_checked(source, mode)))
    return entry


def _compile_checked(source: str, mode: CompileMode) -> CodeType:
    tree = _CheckOperators().visit(check_source(source, mode))
    return compile_tree(tree, mode)


class _Compiler:
    """`_compile(source, mode)`: the compiled code of a checked script, from the bounded cache.
    Called like the function it replaces; tests clear the cache between runs."""

    def __call__(self, source: str, mode: CompileMode) -> CodeType:
        return compiled(source, mode).code

    def cache_clear(self) -> None:
        _CACHE.cache_clear()

    def cache_info(self) -> CacheInfo:
        return _CACHE.cache_info()


_compile = _Compiler()
