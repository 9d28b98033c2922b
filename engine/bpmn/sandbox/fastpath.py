"""The in-process fast path: scripts and expressions whose cost is bounded by their length.

Most of a diagram's code is a condition (`outcome == 'extension'`) or a few assignments
(`reply_due = end_of_day()`). Sending those to a sandbox process would cost an inter-process round
trip each, so code of a restricted shape runs in the calling process instead:

- no loops (`for`, `while`), no comprehensions or generators, no function definitions, no
  attributes (so no method calls), no slices, no f-strings, no `*`/`**` unpacking, no keyword
  arguments, no assignment into a list or dict (only names are bound, so case data is untouched
  until the script has finished and a re-run elsewhere starts from the same data);
- calls only to FAST_FUNCTIONS (the calendar helpers, the reference lookups and `len`, `int`,
  `float`, `str`, `bool`, `abs`, `round`, `min`, `max`, `isinstance`), called by a name the script
  does not rebind;
- at most MAX_FAST_NODES syntax-tree nodes.

Why that bounds time and memory: without loops, calls to script-defined code or comprehensions,
control never goes back, so every node of the tree is evaluated at most once: at most
MAX_FAST_NODES evaluations. The only evaluations whose cost is not constant are those that build or
walk a sequence: the binary operators (`+ * ** << % | & ^ -`), comparisons, hashing (set and
dict literals, subscripts) and the whitelisted calls. Each is routed through a `_FastRun` that
predicts the size of the result before the operation runs (an operator) or measures what will be
walked before the walk (an operand, a key, a call's arguments) and charges it to a work budget: one
value may have at most MAX_FAST_ITEMS items, one run may charge at most MAX_FAST_WORK items in all,
an integer at most MAX_FAST_INT_BITS bits. Only flat containers are walked on the fast path: a
container holding containers may share them (`a = [a] * 100`, four times, is 10^8 elements behind
400 charged items), so it leaves at once. `%` on text (formatting, whose width is unbounded), `round`
with a huge number of digits and `working_days(n)` with n over MAX_FAST_COUNT leave at once too. So
every walk and every value built is charged before it happens: one run allocates at most about
MAX_FAST_WORK items (8 bytes a list item, at most 4 a character: 16 MB in the very worst case,
usually a few hundred bytes) and takes at most MAX_FAST_NODES constant-time steps plus the charged
work: microseconds for the diagrams' code, milliseconds at worst (tests/unit/bpmn/
test_sandbox_fastpath.py, tests/integration/bpmn/test_sandbox_limits.py).

When a run reaches a limit it raises FastPathExceeded before the costly step, and the whole script
runs again in a sandbox process (engine.bpmn.sandbox.pool) under the operating system's limits:
safe, because the fast path changes nothing a second run would see. Everything else goes to the
pool directly.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from types import CodeType
from typing import Any

from engine.bpmn.sandbox.checks import OFFERED_BUILTINS, CompileMode, compile_tree, compiled
from engine.bpmn.sandbox.functions import CALENDAR_NAMES, LOOKUP_NAMES
from engine.errors import HotlineError

MAX_FAST_NODES = 500
MAX_FAST_ITEMS = 100_000
MAX_FAST_WORK = 1_000_000
MAX_FAST_INT_BITS = 20_000
MAX_ROUND_DIGITS = 50

FAST_FUNCTIONS = (
    CALENDAR_NAMES
    | frozenset(LOOKUP_NAMES)
    | frozenset({"len", "int", "float", "str", "bool", "abs", "round", "min", "max", "isinstance"})
)
# Builtins the fast path lets a script name without calling them (isinstance's second argument).
_FAST_NAMES = frozenset(
    {"int", "float", "str", "bool", "list", "dict", "tuple", "set", "True", "False", "None", "ValueError"}
)
# Functions that may only be called, never handed along (as a key= or an argument, a function's cost
# would no longer be the call's).
_CALL_ONLY = (FAST_FUNCTIONS | frozenset(OFFERED_BUILTINS)) - _FAST_NAMES


class FastPathExceeded(HotlineError):
    """The fast path would go beyond its bounds: the script runs in a sandbox process instead (a
    signal inside the sandbox, never an error a user sees)."""

    code = "fast-path-exceeded"


_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.Pass,
    ast.IfExp,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Name,
    ast.Constant,
    ast.Subscript,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.Call,
    ast.NamedExpr,
    ast.expr_context,
    ast.operator,
    ast.boolop,
    ast.unaryop,
    ast.cmpop,
)

_OPERATORS: list[tuple[type[ast.operator], Callable[[Any, Any], Any]]] = [
    (ast.Add, operator.add),
    (ast.Sub, operator.sub),
    (ast.Mult, operator.mul),
    (ast.Div, operator.truediv),
    (ast.FloorDiv, operator.floordiv),
    (ast.Mod, operator.mod),
    (ast.Pow, operator.pow),
    (ast.LShift, operator.lshift),
    (ast.RShift, operator.rshift),
    (ast.BitOr, operator.or_),
    (ast.BitXor, operator.xor),
    (ast.BitAnd, operator.and_),
    (ast.MatMult, operator.matmul),
]
_OPERATOR_INDEX = {kind: index for index, (kind, _fn) in enumerate(_OPERATORS)}
_SEQUENCES = (str, bytes, list, tuple)
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)


def is_bounded(tree: ast.AST) -> bool:
    """Whether the tree has the fast path's shape (see the module's docstring)."""
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_FAST_NODES:
        return False
    stored = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    if stored & (FAST_FUNCTIONS | _FAST_NAMES):
        return False
    called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            return False
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in FAST_FUNCTIONS) or node.keywords:
                return False
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id in _CALL_ONLY and id(node) not in called:
                return False
        elif isinstance(node, ast.Subscript):
            if not isinstance(node.ctx, ast.Load) or isinstance(node.slice, ast.Slice):
                return False
        elif isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name):
                return False
        elif isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):  # {**other}
                return False
        elif (
            isinstance(node, ast.List | ast.Tuple)
            and not isinstance(node.ctx, ast.Load)
            and not all(isinstance(e, ast.Name) for e in node.elts)
        ):
            return False  # unpacking only into names
    return True


def _call(name: str, node: ast.AST, *args: ast.expr) -> ast.Call:
    return ast.copy_location(
        ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[*args], keywords=[]), node
    )


class _Instrument(ast.NodeTransformer):
    """Routes every operator, comparison operand and call through the run's budget."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        index = ast.Constant(_OPERATOR_INDEX[type(node.op)])
        return _call("__fast_op", node, index, node.left, node.right)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        assert isinstance(node.target, ast.Name)  # is_bounded refused the others
        index = ast.Constant(_OPERATOR_INDEX[type(node.op)])
        current = ast.Name(id=node.target.id, ctx=ast.Load())
        value = _call("__fast_op", node, index, current, node.value)
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        node.left = _call("__fast_measure", node.left, node.left)
        node.comparators = [
            _call("__fast_search" if isinstance(op, ast.In | ast.NotIn) else "__fast_measure", c, c)
            for op, c in zip(node.ops, node.comparators, strict=True)
        ]
        return node

    def visit_Set(self, node: ast.Set) -> ast.AST:
        self.generic_visit(node)
        node.elts = [_call("__fast_measure", e, e) for e in node.elts]  # hashed
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        node.keys = [None if k is None else _call("__fast_measure", k, k) for k in node.keys]  # hashed
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        node.slice = _call("__fast_measure", node.slice, node.slice)  # a key is hashed
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        assert isinstance(node.func, ast.Name)  # is_bounded refused the others
        return _call("__fast_call", node, ast.Constant(node.func.id), node.func, *node.args)


def fast_code(source: str, mode: CompileMode) -> CodeType | None:
    """The fast path's code for a checked script, or None when it must run in a sandbox process.
    Raises ScriptRejected as the sandbox's checks do (it is the same cache entry)."""
    entry = compiled(source, mode)
    if not entry.fast_checked:
        tree = ast.parse(source, mode=mode)  # checked already: compiled() parsed it
        entry.fast = compile_tree(_Instrument().visit(tree), mode) if is_bounded(tree) else None
        entry.fast_checked = True
    return entry.fast


# Calendar helpers whose cost grows with their argument (working_days(n) walks n working days).
_COUNTING_FUNCTIONS = frozenset({"working_days"})
MAX_FAST_COUNT = 1_000


def _count(value: object) -> int:
    try:
        return abs(int(value))  # type: ignore[call-overload, no-any-return]  # what the script passes
    except (TypeError, ValueError, OverflowError):
        return 0  # the helper itself refuses it


def _size(value: object) -> int:
    return len(value) if isinstance(value, _SIZED) else 1


_CONTAINERS = (list, tuple, dict, set, frozenset)
# Calls that look at a container, not into it: their cost does not depend on what it holds.
_SHALLOW_FUNCTIONS = frozenset({"len", "bool", "isinstance"})


def _walk_cost(value: object) -> int:
    """What comparing, hashing or converting `value` visits. Only flat containers stay on the fast
    path: a container that holds containers may share them (`a = [a] * 100` four times over is 10^8
    elements behind 400 charged items), so walking it costs width^depth — such a value sends the
    script to a sandbox process instead. Text inside a flat container counts with its length, so
    `str([s] * 1000)` is charged for the text it would build."""
    if not isinstance(value, _CONTAINERS):
        return _size(value)
    items = list(value.items()) if isinstance(value, dict) else value
    cost = len(value)
    for item in items:
        for element in item if isinstance(value, dict) else (item,):
            if isinstance(element, _CONTAINERS):
                raise FastPathExceeded("a value that holds containers")
            cost += _size(element)
    return cost


def _bits(value: object) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


class _FastRun:
    """The work budget of one fast-path run; its methods are what the instrumented code calls."""

    def __init__(self) -> None:
        self.work = 0

    def charge(self, items: int, one_value: bool = True) -> None:
        if one_value and items > MAX_FAST_ITEMS:
            raise FastPathExceeded(f"one value of {items} items")
        self.work += items
        if self.work > MAX_FAST_WORK:
            raise FastPathExceeded(f"more than {MAX_FAST_WORK} items of work")

    def op(self, index: int, left: Any, right: Any) -> Any:
        kind, function = _OPERATORS[index]
        self.charge(self._predicted(kind, left, right))
        return function(left, right)

    def _predicted(self, kind: type[ast.operator], left: Any, right: Any) -> int:
        if isinstance(left, int) and isinstance(right, int):
            bits = max(_bits(left), _bits(right)) + 1
            if kind is ast.Mult:
                bits = _bits(left) + _bits(right)
            elif kind is ast.Pow and right > 0 and abs(left) > 1:
                bits = _bits(left) * right
            elif kind is ast.LShift and right > 0:
                bits = _bits(left) + right
            if bits > MAX_FAST_INT_BITS:
                raise FastPathExceeded(f"an integer of {bits} bits")
            return bits // 30 + 1
        if kind is ast.Mod and isinstance(left, str | bytes):
            raise FastPathExceeded("text formatting with %")
        if kind is ast.Mult:
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, _SEQUENCES) and isinstance(count, int):
                    return len(sequence) * max(count, 0)
        return _size(left) + _size(right)

    def measure(self, value: Any) -> Any:
        """A value that will be walked (compared, hashed, searched, converted): charged with what the
        walk visits, before it happens."""
        self.charge(_walk_cost(value), one_value=False)
        return value

    def search(self, value: Any) -> Any:
        """The right operand of `in`: searching text may compare every position with a needle of up
        to 100 characters (longer needles are searched in linear time)."""
        if isinstance(value, str | bytes):
            self.charge(len(value) * 100, one_value=False)
            return value
        return self.measure(value)

    def call(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        digits = args[1] if function is round and len(args) > 1 else 0
        if isinstance(digits, int) and abs(digits) > MAX_ROUND_DIGITS:
            raise FastPathExceeded("round() to that many digits")
        if name in _COUNTING_FUNCTIONS and args and _count(args[0]) > MAX_FAST_COUNT:
            raise FastPathExceeded(f"{name}() of that many steps")
        for argument in args:
            if isinstance(argument, _SIZED):
                self.charge(len(argument))
                if name not in _SHALLOW_FUNCTIONS:
                    self.charge(_walk_cost(argument), one_value=False)
        result = function(*args)
        if isinstance(result, _SIZED):
            self.charge(len(result))
        elif isinstance(result, int) and _bits(result) > MAX_FAST_INT_BITS:
            raise FastPathExceeded("an integer too large")
        return result

    def scope(self) -> dict[str, Callable[..., Any]]:
        return {
            "__fast_op": self.op,
            "__fast_measure": self.measure,
            "__fast_search": self.search,
            "__fast_call": self.call,
        }


def fast_scope() -> dict[str, Callable[..., Any]]:
    """The helpers one fast-path run's code calls, with a fresh budget."""
    return _FastRun().scope()
