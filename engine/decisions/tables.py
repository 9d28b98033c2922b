"""Reading a DMN file (as Camunda Modeler and dmn-js write it) into a decision table that runs here.

SpiffWorkflow's DMN parser reads the file after the DMN schema has checked it; every cell is then read
as the FEEL this engine supports (engine/decisions/feel.py). All problems of a file come at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS, BpmnDmnParser

from engine.bpmn import XML_MESSAGES, UnsafeXml, parse_xml, schema_element
from engine.decisions.feel import FeelUnsupported, InputTest, input_name, input_test, output_value
from engine.errors import HotlineError
from engine.messages import N_, Coded, Translate, as_params, english, say

# Camunda 7 evaluates the other hit policies too; they are refused here by name until a table needs them.
HIT_POLICIES = ("UNIQUE", "FIRST")
MAX_DMN_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DecisionProblem(Coded):
    """One reason a DMN file cannot be deployed: a code and its parameters, said in a person's language.
    `cause` is the FEEL cell's own problem, said in the same language as `detail`; a parser's error text
    (`detail` without a cause) stays as the parser wrote it, after a translated lead."""

    TEMPLATES: ClassVar[Mapping[str, str]] = {
        **XML_MESSAGES,
        "dmn-too-large": N_("the file is larger than %(limit)s KB"),
        "dmn-doctype": N_("the file declares a DOCTYPE or entities, which a decision table never needs"),
        "dmn-not-utf8": N_("the file is not UTF-8 encoded (byte %(byte)s); save it as UTF-8"),
        "dmn-xml": N_("the file cannot be read as XML: %(detail)s"),
        "dmn-namespace": N_("'%(namespace)s' is not a DMN namespace this engine reads (DMN 1.1 to 1.3)"),
        "dmn-schema-element": N_(
            "line %(line)s: %(tag)s does not follow the DMN standard there (an attribute or part it does "
            "not allow, or one it lacks); save the table again from the decision table editor"
        ),
        "dmn-schema-line": N_(
            "line %(line)s does not follow the DMN standard; save the table again from the decision table "
            "editor"
        ),
        "dmn-parser": N_("the DMN parser refuses the file: %(detail)s"),
        "dmn-decision-count": N_("a file must hold exactly one decision; found %(count)s"),
        "dmn-not-a-table": N_(
            "decision '%(decision)s' must be one decision table (a literal expression is not read)"
        ),
        "hit-policy": N_("the hit policy %(policy)s is not supported; use UNIQUE or FIRST"),
        "input-expression": N_("input '%(column)s': %(detail)s"),
        "output-name": N_("output '%(column)s' needs a name (the case value it sets)"),
        "input-cell": N_("rule %(row)s, input '%(column)s': %(detail)s"),
        "output-cell": N_("rule %(row)s, output '%(column)s': %(detail)s"),
    }
    code: str
    params: tuple[tuple[str, str], ...] = ()
    cause: HotlineError | None = field(default=None, compare=False)

    @classmethod
    def of(cls, code: str, cause: HotlineError | None = None, **params: Any) -> DecisionProblem:
        return cls(code, as_params(params), cause)

    def say(self, translate: Translate = english) -> str:
        params = dict(self.params)
        if self.cause is not None:
            params["detail"] = self.cause.say(translate)
        return say(self.template, params, translate)

    def __str__(self) -> str:
        return self.say()


class DecisionInvalid(HotlineError, ValueError):
    """A DMN file that cannot be deployed, with every problem found."""

    code = "decision-invalid"

    def __init__(self, file_name: str, problems: list[DecisionProblem]) -> None:
        super().__init__(f"{file_name}: " + "; ".join(map(str, problems)), params={"file": file_name})
        self.file_name = file_name
        self.problems = problems

    def say(self, translate: Translate = english, **params: Any) -> str:
        return f"{self.file_name}: " + "; ".join(problem.say(translate) for problem in self.problems)


def _unreadable(err: UnsafeXml) -> DecisionProblem:
    """Why the XML parser refused the file, in the words for a decision table (not a diagram's)."""
    if err.code == "not-utf8":
        return DecisionProblem.of("dmn-not-utf8", **err.params)
    if err.code == "xml-doctype":
        return DecisionProblem.of("dmn-doctype")
    if (
        err.code in XML_MESSAGES
    ):  # not well-formed, too deep, zipped: said by its code, not the parser's words
        return DecisionProblem.of(err.code, **err.params)
    return DecisionProblem.of("dmn-xml", detail=str(err))


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
        raise DecisionInvalid(file_name, [DecisionProblem.of("dmn-namespace", namespace=namespace)])
    try:
        BpmnValidator(os.fspath(schema)).validate(root, file_name)
    except ValidationException as err:
        # The schema's own English is not said: the element and the line are.
        tag = schema_element(str(err))
        line = getattr(err, "line_number", "") or "?"
        problem = (
            DecisionProblem.of("dmn-schema-element", tag=tag, line=line)
            if tag
            else DecisionProblem.of("dmn-schema-line", line=line)
        )
        raise DecisionInvalid(file_name, [problem]) from err


def parse_decision(xml: bytes, file_name: str) -> DecisionTable:
    """The file's one decision table; DecisionInvalid naming every problem."""
    if len(xml) > MAX_DMN_BYTES:
        raise DecisionInvalid(file_name, [DecisionProblem.of("dmn-too-large", limit=MAX_DMN_BYTES // 1024)])
    try:
        root = parse_xml(xml)
    except UnsafeXml as err:
        raise DecisionInvalid(file_name, [_unreadable(err)]) from err
    _schema_checked(root, file_name)
    decisions = [el for el in root if isinstance(el.tag, str) and el.tag.endswith("}decision")]
    if len(decisions) != 1:
        raise DecisionInvalid(file_name, [DecisionProblem.of("dmn-decision-count", count=len(decisions))])
    parser = BpmnDmnParser()
    try:
        parser.add_dmn_xml(root, file_name)
        dmn = next(iter(parser.dmn_parsers.values()))
        dmn.parse()
    except ValidationException as err:
        raise DecisionInvalid(file_name, [DecisionProblem.of("dmn-parser", detail=str(err))]) from err
    decision = dmn.decision
    if len(decision.decisionTables) != 1:
        raise DecisionInvalid(
            file_name,
            [DecisionProblem.of("dmn-not-a-table", decision=decision.id)],
        )
    return _table(decision, decision.decisionTables[0], file_name)


def _table(decision: Any, table: Any, file_name: str) -> DecisionTable:
    problems: list[DecisionProblem] = []
    if table.hit_policy not in HIT_POLICIES:
        problems.append(DecisionProblem.of("hit-policy", policy=table.hit_policy))
    inputs: list[str] = []
    for column in table.inputs:
        try:
            inputs.append(input_name(column.expression))
        except FeelUnsupported as err:
            problems.append(DecisionProblem.of("input-expression", err, column=column.label or column.id))
    outputs = [str(column.name or "") for column in table.outputs]
    for column, name in zip(table.outputs, outputs, strict=True):
        if not name.isidentifier():
            problems.append(DecisionProblem.of("output-name", column=column.label or column.id))
    rules: list[Rule] = []
    for rule in table.rules:
        tests, values = [], []
        for entry in rule.inputEntries:
            try:
                tests.append(input_test(entry.text))
            except FeelUnsupported as err:
                label = entry.input.label or entry.input.expression
                problems.append(DecisionProblem.of("input-cell", err, row=rule.row_number, column=label))
        for entry in rule.outputEntries:
            try:
                values.append(output_value(entry.text))
            except FeelUnsupported as err:
                problems.append(
                    DecisionProblem.of("output-cell", err, row=rule.row_number, column=entry.output.name)
                )
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
