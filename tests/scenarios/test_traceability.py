"""Traceability rule -> diagram -> test: every rule id the complaint diagram documents (C1-C7, S3) is
named by at least one test, in its name or its docstring."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lxml import etree

from ..helpers import COMPLAINT_BPMN

TESTS = Path(__file__).resolve().parent.parent
RULE_ID = re.compile(r"\b([A-Z]\d)\b")
BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def rule_ids_in_diagram(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    ids: set[str] = set()
    for doc in root.iterfind(".//bpmn:documentation", BPMN_NS):
        text = doc.text or ""
        for first, last in re.findall(r"\b([A-Z]\d)-([A-Z]\d)\b", text):  # "C1-C7"
            if first[0] == last[0]:
                ids.update(f"{first[0]}{n}" for n in range(int(first[1]), int(last[1]) + 1))
        ids.update(RULE_ID.findall(text))
    return ids


def rule_ids_in_tests() -> set[str]:
    named: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                named.update(token.upper() for token in node.name.split("_") if RULE_ID.fullmatch(token.upper()))
                named.update(RULE_ID.findall(ast.get_docstring(node) or ""))
    return named


def test_every_rule_of_the_complaint_diagram_is_tested() -> None:
    in_diagram = rule_ids_in_diagram(COMPLAINT_BPMN)
    assert {f"C{n}" for n in range(1, 8)} | {"S3"} <= in_diagram
    assert in_diagram - rule_ids_in_tests() == set()
