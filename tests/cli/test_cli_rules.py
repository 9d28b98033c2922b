"""`hotline rules` traces tests from the folder given with --tests (the checkout's tests/ by default),
and without any tests folder (an installed wheel) traces the diagrams only, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import hotline.cli.process_owners
from hotline.cli import main


def test_rules_reads_the_tests_folder_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path / "home"))
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_only.py").write_text('def test_a_case_is_numbered():\n    """C3 and nothing else."""\n')
    result = CliRunner().invoke(main, ["rules", "--tests", str(tests)])
    assert result.exit_code == 0, result.output
    c3 = result.output.split("C3  ", 1)[1].split("\nC4  ", 1)[0]
    assert "test     tests/test_only.py::test_a_case_is_numbered" in c3
    assert "tests/test_only.py" not in result.output.split("\nC4  ", 1)[1]


def test_without_a_tests_folder_only_the_diagrams_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hotline.cli.process_owners, "checkout_tests", lambda: None)
    result = CliRunner().invoke(main, ["rules", "--check"])
    assert result.exit_code == 0, result.output
    assert "tests are not traced" in result.output
    assert "complaint.bpmn#" in result.output
