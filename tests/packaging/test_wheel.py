"""The installed wheel works away from the checkout: it is built with the installed setuptools (no
download), installed into a fresh virtual environment outside the repository, and there `hotline
init-db` runs the shipped migrations and deploys the diagrams bundled in the package, `hotline deploy
processes/` checks rule ids against the shipped rule list (a diagram naming an unknown rule is refused,
the bundled ones are already there and make no new version) and `hotline rules
--check` finds the bundled diagrams in the package."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import setuptools

from tests.helpers import PROCESSES, PROJECT_ROOT

SOURCES = ("pyproject.toml", "setup.py", "README.md", "engine", "webforms", "hotline", "processes")
# C9 is not a rule of the list, though C is a group of it: validation must refuse the diagram.
UNKNOWN_RULE = "C9: the operator calls the customer back."


def _can_build_wheels() -> bool:
    # setuptools carries bdist_wheel itself from 70.1; older ones need the `wheel` package.
    version = tuple(int(part) for part in setuptools.__version__.split(".")[:2])
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


@dataclass(frozen=True)
class Installed:
    """A fresh environment with only the wheel installed, and a folder outside the checkout to work in."""

    bin: Path
    work: Path

    def run(self, *args: str, home: str = "home") -> subprocess.CompletedProcess[str]:
        """Run a program of the environment in the work folder; each `home` is its own database."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "PYTHON"))}
        env |= {"HOTLINE_HOME": str(self.work / home), "HOTLINE_SECRET_KEY": "wheel-test"}
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]], cwd=self.work, env=env, capture_output=True, text=True
        )


def _dependency_paths() -> list[str]:
    """Where this interpreter finds the dependencies: its site-packages folders (which may lie inside the
    checkout, as .venv does). Listed in a .pth file they are plain path entries: the editable install's
    own .pth there is not read, so the checkout's packages stay out of the fresh environment."""
    return [p for p in sys.path if "site-packages" in p and Path(p).is_dir()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    if not _can_build_wheels():
        pytest.skip(
            "building a wheel with this setuptools needs the `wheel` package (pip install -e '.[test]')"
        )
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(path, source / name)
    quiet = {"check": True, "capture_output": True, "text": True}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(root / "dist"),
            str(source),
        ],
        **quiet,
    )
    (wheel,) = (root / "dist").glob("hotline_flow-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **quiet)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], **quiet)
    # The dependencies come from this interpreter's site-packages rather than from a download.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], **quiet
    ).stdout.strip()
    Path(site, "hotline-test-dependencies.pth").write_text("\n".join(_dependency_paths()) + "\n")
    work = root / "work"
    work.mkdir()
    yield Installed(venv / "bin", work)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    shown = installed.run("python", "-c", "import engine, hotline, webforms; print(engine.__file__)")
    assert shown.returncode == 0, shown.stderr
    assert "site-packages" in shown.stdout and str(PROJECT_ROOT) not in shown.stdout


def test_init_db_runs_the_shipped_migrations_and_deploys_the_bundled_procedures(installed: Installed) -> None:
    result = installed.run("hotline", "init-db", home="migrations")
    assert result.returncode == 0, result.stderr
    assert "database ready" in result.stdout and "reference rows added" in result.stdout
    for diagram in PROCESSES.glob("*.bpmn"):
        assert f"{diagram.name}: deployed as {diagram.stem} v1" in result.stdout


def test_deploy_checks_rule_ids_from_the_installed_wheel(installed: Installed) -> None:
    assert installed.run("hotline", "init-db", home="deploy").returncode == 0
    shutil.copytree(PROCESSES, installed.work / "processes")
    deployed = installed.run("hotline", "deploy", "processes/", home="deploy")
    assert deployed.returncode == 0, deployed.stderr
    assert "processes/complaint.bpmn: unchanged, still complaint v1" in deployed.stdout  # init-db deployed it

    naming_unknown = installed.work / "unknown-rule" / "complaint.bpmn"
    naming_unknown.parent.mkdir()
    xml = (PROCESSES / "complaint.bpmn").read_text(encoding="utf-8")
    assert "<bpmn:documentation>" in xml
    naming_unknown.write_text(
        xml.replace("<bpmn:documentation>", f"<bpmn:documentation>{UNKNOWN_RULE} ", 1), encoding="utf-8"
    )
    refused = installed.run("hotline", "deploy", "unknown-rule/", home="deploy")
    assert refused.returncode == 1
    assert "refused" in refused.stderr and "C9" in refused.stderr


def test_rules_finds_the_bundled_diagrams_in_the_package(installed: Installed) -> None:
    """No tests folder ships: `hotline rules --check` traces the diagrams only, and says so."""
    result = installed.run("hotline", "rules", "--check")
    assert result.returncode == 0, result.stderr
    assert "complaint.bpmn#" in result.stdout
    assert "tests are not traced" in result.stderr
