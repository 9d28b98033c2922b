"""The import rules of pyproject.toml ([tool.importlinter]) hold: the engine imports no web framework and
nothing from webforms or hotline, webforms does not import hotline, the engine's packages form layers
and no package's modules import each other in a cycle. `lint-imports` checks the same in CI; this test
makes a broken rule fail pytest too."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

importlinter = pytest.importorskip("importlinter", reason="the import rules need the test extra")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def _lint_imports(config: Path) -> bool:
    import importlinter.cli  # noqa: F401 - configures import-linter as its command line does
    from importlinter.application.use_cases import lint_imports

    return lint_imports(config_filename=str(config), cache_dir=None, no_logo=True)


def test_the_project_keeps_every_import_rule() -> None:
    assert _lint_imports(ROOT / "pyproject.toml")


def test_the_rules_name_what_the_issue_asks_for() -> None:
    forbidden: dict[str, set[str]] = {}
    for contract in CONFIG["contracts"]:
        if contract["type"] == "forbidden":
            for source in contract["source_modules"]:
                forbidden.setdefault(source, set()).update(contract["forbidden_modules"])
    assert {"webforms", "hotline", "flask", "flask_babel", "flask_login", "werkzeug"} <= forbidden["engine"]
    assert forbidden["webforms"] == {"hotline"}
    assert {c["type"] for c in CONFIG["contracts"]} >= {"layers", "acyclic_siblings"}


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on a made-up project, outside this checkout, with this project's forbidden rules."""
    rules = [c for c in CONFIG["contracts"] if c["type"] == "forbidden"]
    lines = ["[importlinter]", "root_packages =", "    engine", "    webforms", "    hotline"]
    lines += ["include_external_packages = True"]
    for number, rule in enumerate(rules):
        lines += [f"[importlinter:contract:{number}]", f"name = {rule['name']}", "type = forbidden"]
        lines += ["source_modules =", *(f"    {m}" for m in rule["source_modules"])]
        lines += ["forbidden_modules =", *(f"    {m}" for m in rule["forbidden_modules"])]
    (project / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    linter_home = str(Path(importlinter.__file__).resolve().parents[1])
    grimp_home = str(Path(__import__("grimp").__file__).resolve().parents[1])
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, importlinter.cli; from importlinter.application.use_cases import lint_imports; "
            "sys.exit(0 if lint_imports(config_filename='setup.cfg', cache_dir=None, no_logo=True) else 1)",
        ],
        cwd=project,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(project), linter_home, grimp_home])},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_engine_module_importing_flask_breaks_the_rules(tmp_path: Path) -> None:
    for package in ("engine", "webforms", "hotline"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    assert _lint(tmp_path).returncode == 0, "a project without forbidden imports keeps the rules"

    (tmp_path / "engine" / "texts.py").write_text("def say():\n    from flask_babel import gettext\n")
    broken = _lint(tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "engine.texts -> flask_babel" in broken.stdout
