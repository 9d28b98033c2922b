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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any, ClassVar, Literal

from engine.errors import HotlineError
from engine.messages import N_, say

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


# Why the sandbox refuses a script, by code: said in the process owner's language where a diagram is
# checked (engine/processes/validation.py), in English by str() for logs.
REASONS: dict[str, str] = {
    "sandbox-too-long": N_("the source is %(length)s characters long; at most %(limit)s are allowed"),
    "sandbox-too-deep": N_("nested more deeply than %(limit)s levels"),
    "sandbox-too-deep-at": N_("line %(line)s: nested more deeply than %(limit)s levels"),
    "sandbox-too-many-parts": N_("more than %(limit)s parts; split the script"),
    "sandbox-unreadable": N_("the source cannot be read: %(error)s"),
    "sandbox-import": N_("line %(line)s: imports are not allowed"),
    "sandbox-function": N_("line %(line)s: defining functions is not allowed"),
    "sandbox-class": N_("line %(line)s: defining classes is not allowed"),
    "sandbox-keyword": N_("line %(line)s: %(keyword)s is not allowed"),
    "sandbox-private-name": N_("line %(line)s: names starting with '_' are not allowed (%(identifier)s)"),
    "sandbox-not-offered": N_(
        "line %(line)s: '%(identifier)s' is not offered to scripts (docs/modelling.md lists what a "
        "script may call)"
    ),
    "sandbox-attribute": N_("line %(line)s: attribute '%(attribute)s' is not allowed"),
    "sandbox-power": N_("a power this large is not allowed"),
    "sandbox-repeat": N_("repeating a sequence to more than %(limit)s items is not allowed"),
    "sandbox-shift": N_("a shift this large is not allowed"),
    "sandbox-augmented": N_(
        "line %(line)s: use 'x = x %(operator)s y' instead of an augmented assignment here"
    ),
    "sandbox-not-code": N_("not a script or an expression"),
    "sandbox-uncompilable": N_("cannot be compiled: %(error)s"),
}


class ScriptRejected(HotlineError, ValueError):
    """A script or expression uses something the sandbox does not allow. Raised by `because()` with a
    reason of REASONS and its parameters, it can be said in a person's language; str() is English."""

    code = "script-rejected"
    TEMPLATES: ClassVar[Mapping[str, str]] = REASONS

    @classmethod
    def because(cls, reason: str, **params: Any) -> ScriptRejected:
        return cls(say(REASONS[reason], params), code=reason, params=params)


# The statements and expressions a diagram never needs: the reason, and the keyword it names.
_FORBIDDEN_NODES: dict[type[ast.AST], tuple[str, str]] = {
    ast.Import: ("sandbox-import", ""),
    ast.ImportFrom: ("sandbox-import", ""),
    ast.FunctionDef: ("sandbox-function", ""),
    ast.AsyncFunctionDef: ("sandbox-function", ""),
    ast.Lambda: ("sandbox-keyword", "lambda"),
    ast.ClassDef: ("sandbox-class", ""),
    ast.Global: ("sandbox-keyword", "global"),
    ast.Nonlocal: ("sandbox-keyword", "nonlocal"),
    ast.With: ("sandbox-keyword", "with"),
    ast.AsyncWith: ("sandbox-keyword", "with"),
    ast.Await: ("sandbox-keyword", "await"),
    ast.Yield: ("sandbox-keyword", "yield"),
    ast.YieldFrom: ("sandbox-keyword", "yield"),
    ast.Try: ("sandbox-keyword", "try"),
    ast.Raise: ("sandbox-keyword", "raise"),
    ast.Delete: ("sandbox-keyword", "del"),
}
# str.format can reach attributes through its template ("{0.__class__}"), so it is refused by name.
_FORBIDDEN_ATTRIBUTES = {"format", "format_map", "mro", "gi_frame", "f_globals", "f_locals"}


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE_CHARS:
        raise ScriptRejected.because("sandbox-too-long", length=len(source), limit=MAX_SOURCE_CHARS)
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as err:
        if "nested" in (err.msg or ""):  # Python's parser gives up on "too many nested parentheses"
            raise ScriptRejected.because("sandbox-too-deep", limit=MAX_NESTING) from err
        raise ScriptRejected(
            f"syntax error on line {err.lineno}: {err.msg}",
            code="script-syntax",  # said by line and column: Python's own words are English
            params={"line": err.lineno or 1, "column": err.offset or 1},
        ) from err
    except (RecursionError, MemoryError) as err:
        raise ScriptRejected.because("sandbox-too-deep", limit=MAX_NESTING) from err
    except ValueError as err:  # NUL bytes in the source
        raise ScriptRejected.because("sandbox-unreadable", error=str(err)) from err


def _check_shape(tree: ast.AST) -> None:
    """Depth and size of the tree, without recursing (a deep tree must not crash the check)."""
    # Each node with the line of its nearest ancestor that has one (an operator or a context has none).
    stack: list[tuple[ast.AST, int, int]] = [(tree, 1, 1)]
    count = 0
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        count += 1
        if depth > MAX_NESTING:
            raise ScriptRejected.because("sandbox-too-deep-at", line=line, limit=MAX_NESTING)
        if count > MAX_NODES:
            raise ScriptRejected.because("sandbox-too-many-parts", limit=MAX_NODES)
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))


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
        forbidden = _FORBIDDEN_NODES.get(type(node))
        if forbidden:
            reason, keyword = forbidden
            line = getattr(node, "lineno", 1)
            raise ScriptRejected.because(reason, line=line, **({"keyword": keyword} if keyword else {}))
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptRejected.because("sandbox-private-name", line=node.lineno, identifier=node.id)
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in UNOFFERED_BUILTINS
            and node.id not in assigned
            and (node.id in called or node.id in _ESCAPE_BUILTINS)
        ):
            raise ScriptRejected.because("sandbox-not-offered", line=node.lineno, identifier=node.id)
        if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr in _FORBIDDEN_ATTRIBUTES
        ):
            raise ScriptRejected.because("sandbox-attribute", line=node.lineno, attribute=node.attr)
    return tree


MAX_POWER_RESULT_BITS = 100_000
MAX_SEQUENCE_LENGTH = 1_000_000


# The operands are whatever a script computes, so these take and return Any on purpose.
def _checked_pow(base: Any, exponent: Any) -> Any:
    big = isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
    if big and abs(base).bit_length() * exponent > MAX_POWER_RESULT_BITS:
        raise ScriptRejected.because("sandbox-power")
    return base**exponent


def _checked_mul(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        repeats = isinstance(sequence, str | list | tuple | bytes) and isinstance(count, int)
        if repeats and len(sequence) * count > MAX_SEQUENCE_LENGTH:
            raise ScriptRejected.because("sandbox-repeat", limit=MAX_SEQUENCE_LENGTH)
    return left * right


def _checked_lshift(left: Any, right: Any) -> Any:
    if isinstance(right, int) and right > MAX_POWER_RESULT_BITS:
        raise ScriptRejected.because("sandbox-shift")
    return left << right


_CHECKED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Pow: "__sandbox_pow",
    ast.Mult: "__sandbox_mul",
    ast.LShift: "__sandbox_lshift",
}
_OPERATOR_SYMBOLS: dict[type[ast.operator], str] = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}
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
            raise ScriptRejected.because(
                "sandbox-augmented", line=node.lineno, operator=_OPERATOR_SYMBOLS[type(node.op)]
            )
        current = ast.Name(id=node.target.id, ctx=ast.Load())
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[current, node.value], keywords=[])
        return ast.copy_location(ast.Assign(targets=[node.target], value=call), node)


def compile_tree(tree: ast.AST, mode: CompileMode, filename: str = "<string>") -> CodeType:
    """Compile a checked (and perhaps rewritten) tree; a compiler that runs out of stack is a refusal."""
    if not isinstance(tree, ast.Module | ast.Expression):
        raise ScriptRejected.because("sandbox-not-code")
    try:
        return compile(ast.fix_missing_locations(tree), filename, mode)
    except (RecursionError, MemoryError) as err:
        raise ScriptRejected.because("sandbox-too-deep", limit=MAX_NESTING) from err
    except (SyntaxError, ValueError) as err:
        raise ScriptRejected.because("sandbox-uncompilable", error=str(err)) from err


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
