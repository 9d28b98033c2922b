"""engine.bpmn.sandbox: diagram scripts are untrusted. Every escape is refused with a message that says
what, runaway scripts are stopped, and a case whose script fails writes nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.sandbox import (
    MAX_RANGE,
    SandboxEnvironment,
    ScriptRejected,
    ScriptTimeout,
    calendar_functions,
    check_source,
)
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.errors import ScriptFailed
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, form_field, linear, row_counts, script_task, user_task

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def env(clock: SettableClock) -> SandboxEnvironment:
    return SandboxEnvironment(calendar_functions(clock, SHANGHAI), time_limit=0.3)


# --- escapes refused before anything runs (ScriptRejected, from the syntax tree) -------------------


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("import os", "imports are not allowed"),
        ("from os import path", "imports are not allowed"),
        ("x = __import__('os')", r"names starting with '_' are not allowed \(__import__\)"),
        ("x = ().__class__.__base__.__subclasses__()", "attribute '__subclasses__' is not allowed"),
        ("x = ().__class__", "attribute '__class__' is not allowed"),
        ("x = '{0.__class__}'.format(y)", "attribute 'format' is not allowed"),
        ("x = str.format('{0.__class__}', y)", "attribute 'format' is not allowed"),
        ("x = '{a}'.format_map({'a': y})", "attribute 'format_map' is not allowed"),
        ("x = f'{y.__class__}'", "attribute '__class__' is not allowed"),
        ("x = now.__globals__", "attribute '__globals__' is not allowed"),
        ("x = (i for i in []).gi_frame", "attribute 'gi_frame' is not allowed"),
        ("f = lambda: 1", "lambda is not allowed"),
        ("def f():\n    return 1", "defining functions is not allowed"),
        ("class C:\n    pass", "defining classes is not allowed"),
        ("try:\n    x = 1\nexcept Exception:\n    pass", "try is not allowed"),
        ("global y", "global is not allowed"),
        ("del y", "del is not allowed"),
        ("x = 1 +", "syntax error on line 1"),
    ],
)
def test_escape_attempts_are_rejected_with_a_reason(
    env: SandboxEnvironment, script: str, message: str
) -> None:
    context = {"y": 5}
    with pytest.raises(ScriptRejected, match=message):
        env.execute(script, context)
    assert context == {"y": 5}


def test_rejected_script_names_the_line(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptRejected, match="line 3: imports are not allowed"):
        env.execute("a = 1\nb = 2\nimport os", {})


@pytest.mark.parametrize(
    "expression", ["__import__('os').getcwd()", "().__class__.__mro__", "'{0.__class__}'.format(1)"]
)
def test_expressions_are_checked_too(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises(ScriptRejected):
        env.evaluate(expression, {})


def test_check_source_accepts_ordinary_scripts() -> None:
    check_source("total = sum([1, 2, 3])\nif total > 5:\n    label = 'big'", "exec")
    check_source("outcome == 'extension' and not approved", "eval")


# --- builtins the sandbox does not offer: refused before running, naming the builtin ------------------


@pytest.mark.parametrize(
    ("script", "name"),
    [
        ("x = open('/etc/passwd').read()", "open"),
        ("x = eval('1 + 1')", "eval"),
        ("exec('x = 1')", "exec"),
        ("x = getattr(y, 'real')", "getattr"),
        ("x = type(y)", "type"),
        ("x = globals()", "globals"),
        ("x = vars()", "vars"),
        ("x = compile('1', 'f', 'eval')", "compile"),
        ("x = breakpoint()", "breakpoint"),
        ("f = getattr", "getattr"),
        ("x = print(y)", "print"),
    ],
)
def test_builtins_not_offered_are_refused_before_running(
    env: SandboxEnvironment, script: str, name: str
) -> None:
    context = {"y": 5}
    with pytest.raises(ScriptRejected, match=f"'{name}' is not offered to scripts"):
        env.execute(script, context)
    assert context == {"y": 5}


def test_a_name_the_script_sets_itself_may_be_a_builtins_name(env: SandboxEnvironment) -> None:
    context: dict = {}
    env.execute("id = 5\ntotal = id + 1", context)
    assert context == {"id": 5, "total": 6}


@pytest.mark.parametrize("script", ["x = nowhere + 1", "x = [nowhere for i in range(2)]"])
def test_an_undefined_name_fails_with_nameerror_in_process_and_in_the_pool(
    env: SandboxEnvironment, script: str
) -> None:
    with pytest.raises(NameError, match="name 'nowhere' is not defined"):
        env.execute(script, {})


# --- runaway scripts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        "while True:\n    pass",
        "n = 0\nwhile True:\n    n = n + 1",
        "n = 0\nfor i in range(100000):\n    for j in range(100000):\n        n = n + 1",
    ],
)
def test_infinite_loops_time_out(env: SandboxEnvironment, script: str) -> None:
    started = datetime.now(UTC)
    with pytest.raises(ScriptTimeout, match=r"script ran longer than 0\.3 s"):
        env.execute(script, {})
    assert (datetime.now(UTC) - started).total_seconds() < 3


def test_long_expression_times_out(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptTimeout):
        env.evaluate("any(False for i in range(100000) for j in range(100000))", {})


def test_time_limit_restores_the_previous_tracer(env: SandboxEnvironment) -> None:
    before = sys.gettrace()
    with pytest.raises(ScriptTimeout):
        env.execute("while True:\n    pass", {})
    env.execute("x = 1", {})
    assert sys.gettrace() is before


@pytest.mark.parametrize(
    "script", ["x = list(range(10**9))", "x = range(0, 10**12, 2)", f"x = range({MAX_RANGE + 1})"]
)
def test_huge_range_is_rejected(env: SandboxEnvironment, script: str) -> None:
    with pytest.raises(ScriptRejected, match=f"range\\(\\) of more than {MAX_RANGE} items is not allowed"):
        env.execute(script, {})


def test_range_up_to_the_limit_is_allowed(env: SandboxEnvironment) -> None:
    context: dict = {}
    env.execute(f"total = sum(range({MAX_RANGE}))", context)
    assert context["total"] == sum(range(MAX_RANGE))


def test_a_single_huge_arithmetic_operation_is_stopped() -> None:
    code = textwrap.dedent("""
        from zoneinfo import ZoneInfo
        from engine.clock import SettableClock
        from engine.bpmn.sandbox import SandboxEnvironment, calendar_functions, ScriptRejected, ScriptTimeout
        env = SandboxEnvironment(calendar_functions(SettableClock(), ZoneInfo("Asia/Shanghai")), 0.1)
        try:
            env.execute("x = 10 ** 10 ** 8", {})
        except (ScriptRejected, ScriptTimeout) as err:
            print("stopped:", err)
    """)
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("a sandboxed script with a 0.1 s limit still ran after 15 s")
    assert "stopped:" in result.stdout, result.stderr


# --- what scripts may use and what they leave behind --------------------------------------------------


def test_scripts_read_and_write_case_data(env: SandboxEnvironment) -> None:
    context = {"count": 2, "name": "张伟"}
    env.execute("count = count + 1\ngreeting = name + '您好'\nitems = sorted([3, 1, 2])", context)
    assert context == {"count": 3, "name": "张伟", "greeting": "张伟您好", "items": [1, 2, 3]}


def test_functions_and_builtins_do_not_leak_into_case_data(env: SandboxEnvironment) -> None:
    context: dict = {}
    env.execute("due = end_of_day()\nf = len", context)
    assert set(context) == {"due"}


@pytest.mark.parametrize(
    "script",
    [
        "r = float('nan')",
        "r = 1e308 * 10",
        "r = [1, float('-inf')]",
        "r = {'a': float('nan')}",
        "r = [x for x in [float('nan')]]",  # in a sandbox process
    ],
)
def test_nan_and_infinity_are_no_case_data(env: SandboxEnvironment, script: str) -> None:
    """NaN and infinity are no JSON: PostgreSQL refuses them in the case's JSON column at commit."""
    context: dict = {}
    with pytest.raises(ScriptRejected, match="case data cannot keep"):
        env.execute(script, context)
    assert context == {}


def test_case_data_may_not_shadow_a_function(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptRejected, match="case data overwrites a function name: today"):
        env.execute("x = 1", {"today": "2026-01-01"})


def test_calendar_functions_use_the_clock_in_shanghai(clock: SettableClock) -> None:
    functions = calendar_functions(clock, SHANGHAI)
    assert functions["today"]() == "2026-11-23"
    assert functions["now"]() == "2026-11-23T09:00:00+08:00"
    assert functions["end_of_day"]() == "2026-11-23T23:59:59+08:00"
    assert functions["end_of_day"]("2026-11-25") == "2026-11-25T23:59:59+08:00"
    assert functions["add_hours"](2) == "2026-11-23T11:00:00+08:00"
    # 00:30 on the 24th in Shanghai is still the 23rd in UTC: the local day counts.
    clock.set(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert functions["today"]() == "2026-11-24"
    assert functions["end_of_day"]() == "2026-11-24T23:59:59+08:00"


def test_script_engine_validate_rejects_unsafe_source(runtime: Runtime) -> None:
    with pytest.raises(ScriptRejected):
        runtime.script_engine.validate("import os")
    runtime.script_engine.validate("x = 1")


# --- a case whose script escapes: ScriptFailed naming the element, nothing written --------------------

CASE_ESCAPES = [
    ("while True:\n    pass", "ScriptTimeout"),
    ("n = 0\nwhile True:\n    n = n + 1", "ScriptTimeout"),
    ("x = list(range(10**9))", "range"),
]


@pytest.mark.parametrize(("script", "detail"), CASE_ESCAPES)
def test_case_with_escaping_script_fails_and_writes_nothing(
    sessions: sessionmaker[Session], clock: SettableClock, script: str, detail: str
) -> None:
    runtime = Runtime(clock=clock, script_time_limit=0.3)
    xml = linear(script_task("escape", script, name="逃逸"), user_task("after"), key="escapes")
    with sessions.begin() as session:
        deploy(session, runtime, xml, "escapes.bpmn", "test")
    with sessions() as session:
        before = row_counts(session)

    with pytest.raises(ScriptFailed) as failure, sessions.begin() as session:
        start_case(session, runtime, "escapes", OPERATOR)

    assert failure.value.element_id == "escape"
    assert "step 'escape' failed" in str(failure.value)
    assert detail in failure.value.detail
    with sessions() as session:
        after = row_counts(session)
    assert after == before
    assert after["process_instance"] == after["event"] == after["human_task"] == after["case_counter"] == 0


def test_escaping_script_before_the_intake_fails_as_scriptfailed(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    xml = linear(
        script_task("escape", "x = [1, 2, 3][10]"),
        user_task("intake", fields=form_field("note")),
        key="escapes",
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "escapes.bpmn", "test")
    with pytest.raises(ScriptFailed) as failure, sessions.begin() as session:
        start_case(session, runtime, "escapes", OPERATOR, {"note": "hello"})
    assert failure.value.element_id == "escape"


@pytest.mark.parametrize("script", ["x = {1, 2}", "x = map(str, [1])"])
def test_script_leaving_a_non_json_value_fails_as_scriptfailed(
    sessions: sessionmaker[Session], runtime: Runtime, script: str
) -> None:
    xml = linear(script_task("make_value", script), user_task("after"), key="values")
    with sessions.begin() as session:
        deploy(session, runtime, xml, "values.bpmn", "test")
    with pytest.raises(ScriptFailed) as failure, sessions.begin() as session:
        start_case(session, runtime, "values", OPERATOR)
    assert failure.value.element_id == "make_value"
