"""The command line prints every engine error in one place (hotline/errors.py), in English or in the
language of a catalog the pages use (HOTLINE_LANGUAGE)."""

from __future__ import annotations

import pytest

from engine.bpmn.parser import DefinitionError, Problem
from engine.errors import Conflict
from engine.processes.migration import Reason
from engine.processes.validation import DiagramProblem, InvalidDiagram
from hotline.errors import cli_translation, echo_error, error_lines, said

NOT_DRAWN = DiagramProblem("callback", "回访客户", "missing-layout", "complaint", (("name", "回访客户"),))


def test_a_refused_diagram_lists_its_problems_in_english() -> None:
    assert error_lines(InvalidDiagram([NOT_DRAWN]), cli_translation("en")) == [
        "refused, 1 problem(s)",
        "  callback (回访客户): '回访客户' is not drawn (it has no shape or line in the diagram). "
        "Open the diagram in the modeler and place it.",
    ]


def test_the_language_comes_from_hotline_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_LANGUAGE", "zh_CN")
    lines = error_lines(InvalidDiagram([NOT_DRAWN]))
    assert (
        lines[1]
        == "  callback (回访客户): “回访客户”没有画在图上（图中没有它的图形或连线）。请在建模器中打开流程图并把它放到图上。"
    )
    reason = Reason("changed-meanwhile", ())
    assert said(reason) != reason.message


def test_a_definition_error_and_a_conflict(capsys: pytest.CaptureFixture[str]) -> None:
    refused = DefinitionError("p.bpmn", [Problem("f", "sequence flow has no target", 5)])
    echo_error(refused, prefix="p.bpmn: ", translate=cli_translation("en"))
    echo_error(Conflict("x", "version_taken", key="complaint", version=3), translate=cli_translation("en"))
    assert capsys.readouterr().err.splitlines() == [
        "p.bpmn: refused",
        "  element 'f' (line 5): sequence flow has no target",
        "Someone deployed version 3 of complaint meanwhile, so nothing was deployed. Reload and deploy again.",
    ]
