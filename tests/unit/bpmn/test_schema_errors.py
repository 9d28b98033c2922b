"""The BPMN schema's complaints in plain words (issue 21): libxml2's messages read into a code with the
element, attribute and value, qualified names as the file writes them."""

from __future__ import annotations

import pytest

from engine.bpmn.schema_errors import plain_names, schema_problem

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.mark.parametrize(
    ("reason", "code", "params"),
    [
        (
            f"Element '{BPMN}incoming': This element is not expected. Expected is one of ( {BPMN}script ).",
            "schema-misplaced",
            {"tag": "bpmn:incoming"},
        ),
        (
            f"Element '{BPMN}userTask', attribute 'colour': The attribute 'colour' is not allowed.",
            "schema-attribute",
            {"tag": "bpmn:userTask", "attribute": "colour"},
        ),
        (
            f"Element '{BPMN}sequenceFlow': The attribute 'sourceRef' is required but missing.",
            "schema-missing-attribute",
            {"tag": "bpmn:sequenceFlow", "attribute": "sourceRef"},
        ),
        (
            f"Element '{BPMN}task', attribute 'id': '1 task' is not a valid value of the atomic type 'xs:ID'.",
            "schema-bad-id",
            {"tag": "bpmn:task", "attribute": "id", "value": "1 task"},
        ),
        (
            f"Element '{BPMN}process', attribute 'isExecutable': 'yes' is not a valid value of the atomic "
            "type 'xs:boolean'.",
            "schema-bad-boolean",
            {"tag": "bpmn:process", "attribute": "isExecutable", "value": "yes"},
        ),
        (
            f"Element '{BPMN}process': Missing child element(s). Expected is ( {BPMN}laneSet ).",
            "schema-missing-child",
            {"tag": "bpmn:process"},
        ),
    ],
)
def test_a_schema_complaint_is_read_into_its_code(reason: str, code: str, params: dict[str, str]) -> None:
    assert schema_problem(reason) == (code, params)


def test_other_reasons_are_no_schema_complaint() -> None:
    assert schema_problem("a user task needs camunda:candidateGroups") is None


def test_qualified_names_read_as_the_file_writes_them() -> None:
    assert (
        plain_names(f"{BPMN}incoming and {{http://example.com/x}}y")
        == "bpmn:incoming and http://example.com/x:y"
    )
