"""Each engine package's __init__.py is its public face: code in other packages (the rest of the engine,
webforms, hotline, bench) imports its names from the package, not from its modules. Tests may reach
inside, since they test the modules themselves."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.helpers import PROJECT_ROOT

PACKAGES = (
    "engine.bpmn",
    "engine.cases",
    "engine.db",
    "engine.people",
    "engine.processes",
    "engine.reference",
    "engine.supervision",
    "engine.work",
)
CODE = ("engine", "webforms", "hotline", "bench", "scripts")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str | None:
    return next((p for p in PACKAGES if module == p or module.startswith(p + ".")), None)


def _is_module(parent: str, name: str) -> bool:
    folder = PROJECT_ROOT.joinpath(*parent.split("."))
    return (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists()


def reached_inside(path: Path) -> list[str]:
    """`from engine.P.module import name` lines of a file outside P."""
    importer = _package(_module_name(path)) if path.is_relative_to(PROJECT_ROOT) else None
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
            continue
        package = _package(node.module)
        if package is None or node.module == package or package == importer:
            continue
        names = [a.name for a in node.names if not _is_module(node.module, a.name)]
        if names:
            found.append(f"{node.lineno}: from {node.module} import {', '.join(names)}")
    return found


def test_other_packages_import_from_the_public_face() -> None:
    offenders = {}
    for folder in CODE:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = reached_inside(path)
            if lines:
                offenders[path.relative_to(PROJECT_ROOT).as_posix()] = lines
    assert offenders == {}


def test_the_check_sees_an_import_from_inside_a_package(tmp_path: Path) -> None:
    view = tmp_path / "view.py"
    view.write_text("from engine.cases.runner import start_case\nfrom engine.cases import complete_task\n")
    assert reached_inside(view) == ["1: from engine.cases.runner import start_case"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_of_a_face_is_there(package: str) -> None:
    face = importlib.import_module(package)
    assert face.__all__, package
    assert [name for name in face.__all__ if not hasattr(face, name)] == []
