"""Reading a DMN file (as Camunda Modeler and dmn-js write it) into a decision table that runs here.

SpiffWorkflow's DMN parser reads the file after the DMN schema has checked it; every cell is then read
as the FEEL this engine supports (engine/decisions/feel.py). All problems of a file come at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS, BpmnDmnParser

from engine.bpmn import UnsafeXml, parse_xml
from engine.decisions.feel import FeelUnsupported, InputTest, input_name, input_test, output_value
from engine.errors import HotlineError

# Camunda 7 evaluates the other hit policies too; they are refused here by name until a table needs them.
HIT_POLICIES = ("UNIQUE", "FIRST")
MAX_DMN_BYTES = 1024 * 1024


class DecisionInvalid(HotlineError, ValueError):
    """A DMN file that cannot be deployed, with every problem found."""

    code = "decision-invalid"

    def __init__(self, file_name: str, problems: list[str]) -> None:
        super().__init__(f"{file_name}: " + "; ".join(problems), params={"file": file_name})
        self.file_name = file_name
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    row: int
    rule_id: str
    tests: tuple[InputTest, ...]
    outputs: tuple[Any, ...]


@dataclass(frozen=True)
class DecisionTable:
    key: str
    name: str
    hit_policy: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    rules: tuple[Rule, ...]


def _schema_checked(root: Any, file_name: str) -> None:
    namespace = root.nsmap.get(None) or root.nsmap.get("dmn") or ""
    schema = SCHEMAS.get(namespace)
    if schema is None:
        raise DecisionInvalid(
            file_name, [f"'{namespace}' is not a DMN namespace this engine reads (DMN 1.1 to 1.3)"]
        )
    try:
        BpmnValidator(os.fspath(schema)).validate(root, file_name)
    except ValidationException as err:
        raise DecisionInvalid(file_name, [f"the file does not follow the DMN schema: {err}"]) from err


def parse_decision(xml: bytes, file_name: str) -> DecisionTable:
    """The file's one decision table; DecisionInvalid naming every problem."""
    if len(xml) > MAX_DMN_BYTES:
        raise DecisionInvalid(file_name, [f"the file is larger than {MAX_DMN_BYTES // 1024} KB"])
    try:
        root = parse_xml(xml)
    except UnsafeXml as err:
        raise DecisionInvalid(file_name, [str(err)]) from err
    _schema_checked(root, file_name)
    decisions = [el for el in root if isinstance(el.tag, str) and el.tag.endswith("}decision")]
    if len(decisions) != 1:
        raise DecisionInvalid(file_name, [f"a file must hold exactly one decision; found {len(decisions)}"])
    parser = BpmnDmnParser()
    try:
        parser.add_dmn_xml(root, file_name)
        dmn = next(iter(parser.dmn_parsers.values()))
        dmn.parse()
    except ValidationException as err:
        raise DecisionInvalid(file_name, [str(err)]) from err
    decision = dmn.decision
    if len(decision.decisionTables) != 1:
        raise DecisionInvalid(
            file_name,
            [f"decision '{decision.id}' must be one decision table (a literal expression is not read)"],
        )
    return _table(decision, decision.decisionTables[0], file_name)


def _table(decision: Any, table: Any, file_name: str) -> DecisionTable:
    problems: list[str] = []
    if table.hit_policy not in HIT_POLICIES:
        problems.append(f"the hit policy {table.hit_policy} is not supported; use UNIQUE or FIRST")
    inputs: list[str] = []
    for column in table.inputs:
        try:
            inputs.append(input_name(column.expression))
        except FeelUnsupported as err:
            problems.append(f"input '{column.label or column.id}': {err}")
    outputs = [str(column.name or "") for column in table.outputs]
    for column, name in zip(table.outputs, outputs, strict=True):
        if not name.isidentifier():
            problems.append(f"output '{column.label or column.id}' needs a name (the case value it sets)")
    rules: list[Rule] = []
    for rule in table.rules:
        tests, values = [], []
        for entry in rule.inputEntries:
            try:
                tests.append(input_test(entry.text))
            except FeelUnsupported as err:
                problems.append(
                    f"rule {rule.row_number}, input '{entry.input.label or entry.input.expression}': {err}"
                )
        for entry in rule.outputEntries:
            try:
                values.append(output_value(entry.text))
            except FeelUnsupported as err:
                problems.append(f"rule {rule.row_number}, output '{entry.output.name}': {err}")
        rules.append(Rule(rule.row_number, rule.id, tuple(tests), tuple(values)))
    if problems:
        raise DecisionInvalid(file_name, problems)
    return DecisionTable(
        key=decision.id,
        name=decision.name or decision.id,
        hit_policy=table.hit_policy,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        rules=tuple(rules),
    )


class DecisionFailed(HotlineError):
    """A decision whose rules do not give one answer for the case's values (UNIQUE with two rows)."""

    code = "decision-failed"


def evaluate(table: DecisionTable, data: dict[str, Any]) -> dict[str, Any]:
    """The outputs of the matching rule by name; every output None when no rule matches."""
    values = [data.get(name) for name in table.inputs]
    matched = [rule for rule in table.rules if all(t(v) for t, v in zip(rule.tests, values, strict=True))]
    if not matched:
        return dict.fromkeys(table.outputs)
    if table.hit_policy == "UNIQUE" and len(matched) > 1:
        rows = ", ".join(str(rule.row) for rule in matched)
        raise DecisionFailed(
            f"decision '{table.key}' (UNIQUE) matches rules {rows} for the same values; make the rules exclusive"
        )
    return dict(zip(table.outputs, matched[0].outputs, strict=True))
