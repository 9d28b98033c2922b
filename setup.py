"""Packaging beyond pyproject.toml: one build step.

The bundled procedures' diagrams live at the top of the repository (processes/), where process owners
find them; the wheel carries a copy as hotline/processes/, so `hotline demo` in an installation finds
them too (hotline.shipped_files). Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PROCESSES = Path(__file__).resolve().parent / "processes"


class BuildWithDiagrams(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "hotline" / "processes"
        target.mkdir(parents=True, exist_ok=True)
        for diagram in sorted([*PROCESSES.glob("*.bpmn"), *PROCESSES.glob("*.dmn")]):
            shutil.copyfile(diagram, target / diagram.name)


setup(cmdclass={"build_py": BuildWithDiagrams})
