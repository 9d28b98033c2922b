"""engine.bpmn.variable_labels and the shipped diagrams' own words: every variable a script sets has a name
(label:<name>), procedures and steps are explained to staff (description, help) in both languages,
and every enum value has an English name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine.bpmn.parser import parse_definition
from engine.bpmn.variable_labels import VariableLabel, read_variable_labels
from tests.helpers import PROCESSES

SHIPPED = sorted(PROCESSES.glob("*.bpmn"))


def test_labels_and_value_names_are_read_from_the_properties() -> None:
    labels, problems = read_variable_labels(
        [
            ("casePrefix", "BX"),
            ("label:priority", "优先级|Priority"),
            ("values:priority", "urgent:紧急|Urgent; normal:普通|Normal"),
            ("label:late_count", "超时次数"),
        ]
    )
    assert problems == []
    assert labels["priority"] == VariableLabel(
        "优先级", "Priority", {"urgent": ("紧急", "Urgent"), "normal": ("普通", "Normal")}
    )
    assert (labels["priority"].label("en"), labels["priority"].label("zh_CN")) == ("Priority", "优先级")
    assert labels["priority"].value_name("urgent", "en") == "Urgent"
    assert labels["priority"].value_name("normal", "zh_CN") == "普通"
    assert labels["priority"].value_name("other", "en") is None
    assert labels["late_count"].label("en") == "超时次数"  # no English name: the Chinese one


@pytest.mark.parametrize(
    ("properties", "words"),
    [
        ([("label:priority", "")], "label:priority must read '中文|English'"),
        (
            [("label:priority", "优先级|Priority"), ("values:priority", "urgent")],
            "values:priority must read 'code:中文|English",
        ),
        ([("values:priority", "urgent:紧急|Urgent")], "values:priority needs a label:priority property"),
        ([("label:2x", "二|Two")], "property 'label:2x' must name a variable"),
    ],
)
def test_a_malformed_property_is_reported_and_left_out(properties: list[tuple[str, str]], words: str) -> None:
    labels, problems = read_variable_labels(properties)
    assert len(problems) == 1 and words in problems[0]
    assert "priority" not in labels or not labels["priority"].values


def _stored_script_variables(xml: bytes) -> set[str]:
    """Names the scripts assign at the top level (what lands in the case data; not comprehension names)."""
    from engine.processes.validation import NS, _read

    names: set[str] = set()
    for script in _read(xml).process.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        for node in ast.walk(ast.parse(script.text or "")):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_variable_a_script_sets_is_named_in_both_languages(path: Path) -> None:
    xml = path.read_bytes()
    parsed = parse_definition(xml, path.name)
    unnamed = {
        name
        for name in _stored_script_variables(xml) - set(parsed.fields)
        if not (name in parsed.variable_labels and parsed.variable_labels[name].name_en)
    }
    assert unnamed == set()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_procedure_and_its_steps_are_explained_in_both_languages(path: Path) -> None:
    parsed = parse_definition(path.read_bytes(), path.name)
    assert parsed.description and parsed.description_en and parsed.name_en
    for info in parsed.user_tasks.values():
        assert info.help and info.help_en, info.element_id
        assert "PROCEDURES.md" not in info.help_en
    assert "PROCEDURES.md" in parsed.documentation  # the rule ids stay in the documentation (traceability)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_enum_value_has_an_english_name(path: Path) -> None:
    parsed = parse_definition(path.read_bytes(), path.name)
    missing = [
        (f.id, o.id)
        for f in parsed.fields.values()
        if f.type == "enum" and not f.reference
        for o in f.options
        if not o.name_en
    ]
    assert missing == []


def test_help_falls_back_to_nothing_without_the_property() -> None:
    from tests.helpers import linear, user_task

    parsed = parse_definition(
        linear(user_task("only", fields='<camunda:formField id="x" type="string" />')), "x.bpmn"
    )
    info = parsed.user_tasks["only"]
    assert (info.help_text("en"), info.help_text("zh_CN"), parsed.description_text("en")) == ("", "", "")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_step_the_history_names_has_an_english_name(path: Path) -> None:
    """Events name start, script, timer and end elements as well as user tasks."""
    from engine.processes.validation import _read

    parsed = parse_definition(path.read_bytes(), path.name)
    kinds = ("startEvent", "scriptTask", "boundaryEvent", "intermediateCatchEvent", "endEvent")
    named = {
        el.get("id") for kind in kinds for el in _read(path.read_bytes()).elements(kind) if el.get("name")
    }
    assert named - set(parsed.element_names_en) == set()
