"""engine.bpmn.sandbox is three modules behind one public face: checks (the syntax tree), functions
(what scripts may call) and environment (where they run). Each layer imports only the ones below it."""

from __future__ import annotations

import ast
from pathlib import Path
from zoneinfo import ZoneInfo

import engine.bpmn.sandbox as sandbox
from engine.bpmn.sandbox import checks, environment, functions
from engine.clock import SettableClock

PACKAGE = Path(sandbox.__file__).parent


def _imported_modules(module_file: str) -> set[str]:
    tree = ast.parse((PACKAGE / module_file).read_text(encoding="utf-8"))
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }


def test_the_package_exports_every_public_name() -> None:
    missing = [name for name in sandbox.__all__ if not hasattr(sandbox, name)]
    assert missing == []
    assert sandbox.check_source is checks.check_source
    assert sandbox.SandboxScriptEngine is environment.SandboxScriptEngine
    assert sandbox.script_functions is functions.script_functions


def test_the_compile_cache_cleared_through_the_package_is_the_one_scripts_use() -> None:
    sandbox._compile.cache_clear()
    env = environment.SandboxEnvironment(functions.calendar_functions(SettableClock(), ZoneInfo("UTC")))
    env.execute("total = 1 + 2", {})
    assert sandbox._compile.cache_info().currsize == 1
    sandbox._compile.cache_clear()
    assert checks._compile.cache_info().currsize == 0


def test_checks_need_neither_the_script_engine_nor_the_functions() -> None:
    # The error root and the message templates it says its errors with sit below everything.
    imported = _imported_modules("checks.py") - {"engine.errors", "engine.messages"}
    assert not any(name.startswith(("SpiffWorkflow", "engine")) for name in imported), imported


def test_functions_do_not_reach_up_into_the_environment() -> None:
    imported = _imported_modules("functions.py")
    assert "engine.bpmn.sandbox.environment" not in imported
    assert not any(name.startswith("SpiffWorkflow") for name in imported), imported


def test_reserved_names_are_the_functions_and_builtins_every_script_sees() -> None:
    assert {"working_days", "end_of_day", "department_of", "onsite_minutes", "range", "len"} <= (
        sandbox.RESERVED_NAMES
    )
    assert "total" not in sandbox.RESERVED_NAMES
