"""engine.bpmn.sandbox.fastpath: which code runs in process, and the budget that bounds it.

Only code whose cost follows from its length may run in the calling process; everything else goes to
a sandbox process. The shipped diagrams' conditions and scripts stay in process but for the two that
need a comprehension and a method call."""

from __future__ import annotations

import ast
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from engine.bpmn.sandbox.checks import _compile
from engine.bpmn.sandbox.fastpath import (
    MAX_FAST_ITEMS,
    MAX_FAST_NODES,
    FastPathExceeded,
    fast_code,
    fast_scope,
    is_bounded,
)
from engine.bpmn.sandbox.functions import calendar_functions
from engine.bpmn.sandbox.output import build_scope
from engine.clock import SettableClock

PROCESSES = Path(__file__).resolve().parents[3] / "processes"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def _shipped_code() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(PROCESSES.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for script in root.iterfind(".//bpmn:scriptTask", NS):
            found.append((path.stem, script.get("id"), "exec", script.findtext("bpmn:script", "", NS)))
        for condition in root.iterfind(".//bpmn:conditionExpression", NS):
            found.append((path.stem, condition.getparent().get("id"), "eval", (condition.text or "").strip()))
    return [(f"{stem}:{element}", mode, source) for stem, element, mode, source in found]


def test_the_shipped_diagrams_run_in_process_but_for_two_scripts() -> None:
    pooled = [where for where, mode, source in _shipped_code() if fast_code(source, mode) is None]  # type: ignore[arg-type]
    assert pooled == ["liaison:parse_plan", "outage:compute_duration"]


@pytest.mark.parametrize(
    "source",
    [
        "for i in range(3):\n    x = i",
        "while a:\n    a = a - 1",
        "x = [i for i in range(3)]",
        "x = {i: i for i in range(3)}",
        "x = any(i for i in range(3))",
        "x = name.strip()",
        "x = name[1:]",
        "x = f'{name}'",
        "x = max(*values)",
        "x = {**data}",
        "x = sorted(values)",  # offered, but not among the fast path's functions
        "x = sum(values)",
        "x = min(values, key=len)",
        "x = max(values, len)",  # passing a function along
        "data['k'] = 1",
        "len = 5",
        "a, *b = values",
        "if a:\n    x = (y := sum)",
    ],
)
def test_code_outside_the_fast_path_shape_goes_to_a_sandbox_process(source: str) -> None:
    assert not is_bounded(ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "reply_due = end_of_day()\nreopen_count = 0",
        "priority = 'urgent' if urgent or onsite_minutes(category) <= 30 else 'normal'",
        "x = [1, 2] + [3]\ny = {'a': x[0], 'b': len(x)}\nz = (a, b) = (1, 2)",
        "if outcome == 'extension' and not approved:\n    n = -n\nelse:\n    pass",
        "n += 1",
        "ok = isinstance(n, (int, float)) and abs(n) > 2",
    ],
)
def test_short_straight_code_runs_in_process(source: str) -> None:
    assert is_bounded(ast.parse(source))


def test_the_fast_path_refuses_long_code() -> None:
    source = "x = 1\n" * (MAX_FAST_NODES // 3 + 1)
    assert not is_bounded(ast.parse(source))


def _run(source: str, context: dict) -> dict:
    code = fast_code(source, "exec")
    assert code is not None
    scope = build_scope(calendar_functions(SettableClock(), ZoneInfo("Asia/Shanghai")), context, None)
    scope.update(fast_scope())
    exec(code, scope)
    return {k: v for k, v in scope.items() if not k.startswith("__") and k not in context and not callable(v)}


@pytest.mark.parametrize(
    "source",
    [
        f"x = 'a' * {MAX_FAST_ITEMS + 1}",
        "x = 'a' * 60000\ny = x + x",
        "x = [0] * 60000\ny = x + x",
        "x = 2 ** 30000",
        "x = 1 << 30000",
        "x = 10 ** 3000\ny = x * x * x * x * x * x * x",
        "x = '%s' % name",
        "x = round(1.5, 1000)",
        # many values under the one-value cap, over the run's budget
        "\n".join(f"x{i} = 'a' * 90000" for i in range(12)),
        # searching a long text is charged for each position
        "x = 'needle' in 'a' * 20000",
        # a calendar helper whose cost grows with its argument (seconds for ten million days)
        "x = working_days(10 ** 7)",
        "x = working_days('10000000')",
    ],
)
def test_the_budget_stops_a_run_before_the_costly_step(source: str) -> None:
    _compile.cache_clear()
    with pytest.raises(FastPathExceeded):
        _run(source, {"name": "a"})


def test_within_the_budget_the_fast_path_computes_what_python_does() -> None:
    source = (
        "total = a + b * 2 - c // 3 % 4\n"
        "text = name + '先生' * 2\n"
        "items = [a, b] + [c]\n"
        "found = '先' in text and len(items) == 3\n"
        "n = a\nn += 10\n"
        "big = 2 ** 100\n"
        "r = round(2.675, 2)\n"
        "label = 'many' if len(items) > 2 else 'few'"
    )
    context = {"a": 5, "b": 7, "c": 11, "name": "张"}
    expected: dict = {}
    exec(source, dict(context), expected)
    assert _run(source, context) == expected
