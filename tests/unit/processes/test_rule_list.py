"""The rule list diagrams are checked against ships inside the engine package (an installed wheel
reads it too); docs/procedures.md shows the same text to readers."""

from __future__ import annotations

from engine.processes import validation
from engine.processes.rules import RULE_LIST
from tests.helpers import PROJECT_ROOT


def test_the_shipped_rule_list_is_the_documented_one() -> None:
    documented = (PROJECT_ROOT / "docs" / "procedures.md").read_text(encoding="utf-8")
    assert RULE_LIST.read_text(encoding="utf-8") == documented, (
        "copy docs/procedures.md to engine/processes/rules/procedures.md"
    )


def test_validation_reads_the_rule_list_from_the_package() -> None:
    assert validation.RULES_FILE == RULE_LIST
    assert RULE_LIST.is_relative_to(PROJECT_ROOT / "engine")
    assert {"C3", "R6", "M1"} <= validation.rule_list()
