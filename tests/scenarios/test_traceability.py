"""Traceability rule -> diagram -> test (issue: every rule traced): every rule of the C, R, L, O and Q
groups of docs/procedures.md is named by an element of a diagram and by a test, and
docs/traceability.md is the current output of `hotline rules --markdown`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.processes.traceability import as_markdown, read_rules, rule_ids_in, trace, untraced
from hotline.cli import main
from tests.helpers import PROCESSES, PROJECT_ROOT

PROCEDURES = PROJECT_ROOT / "docs" / "procedures.md"


def _traces() -> list:
    return trace(PROCEDURES, PROCESSES, PROJECT_ROOT / "tests", PROJECT_ROOT)


def test_the_rule_catalogue_is_read_whole() -> None:
    rules = read_rules(PROCEDURES)
    assert [r for r in rules if r[0] == "C"] == [f"C{n}" for n in range(1, 8)]
    assert [r for r in rules if r[0] == "R"] == [f"R{n}" for n in range(1, 7)]
    assert [r for r in rules if r[0] in "LOQ"] == ["L1", "L2", "L3", "L4", "L5", "O1", "O2", "O3", "Q1"]
    assert rule_ids_in("C1-C3, R6 and S3") == {"C1", "C2", "C3", "R6", "S3"}


def test_every_rule_is_in_a_diagram_and_in_a_test() -> None:
    assert untraced(_traces()) == []


def test_the_published_traceability_table_is_current() -> None:
    published = (PROJECT_ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    assert published == as_markdown(_traces()), "run: hotline rules --markdown > docs/traceability.md"


def test_hotline_rules_check_fails_on_an_untraced_rule(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """With only the complaint diagram, the R, L, O and Q rules have no diagram: --check says so."""
    only_complaint = tmp_path / "processes"
    only_complaint.mkdir()
    (only_complaint / "complaint.bpmn").write_bytes((PROCESSES / "complaint.bpmn").read_bytes())
    monkeypatch.setenv("HOTLINE_PROCESSES", str(only_complaint))
    result = CliRunner().invoke(main, ["rules", "--check"])
    assert result.exit_code == 1
    assert "untraced: R1: named in no diagram" in result.output
    assert "C3  " in result.output and "complaint.bpmn#department_handling" in result.output
