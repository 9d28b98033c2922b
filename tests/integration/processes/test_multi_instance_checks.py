"""What deploy checks of a multi-instance step (issue 21) before any case runs it: the collection and the
element variable are names, the cardinality and the completion condition pass the sandbox and read
only what the diagram sets (or Camunda's counters), and the element variable counts as set for the
step's own candidate groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from engine.processes.validation import NS
from tests.helpers import COMPLAINT_BPMN, edited, set_attribute
from tests.integration.processes.test_validation import validate_diagram


@pytest.fixture
def session(sessions: sessionmaker[Session], reference_data: None) -> Iterator[Session]:
    with sessions() as session:
        yield session


MARKER = "//bpmn:userTask[@id='assist']/bpmn:multiInstanceLoopCharacteristics"
COLLECTION = "{http://camunda.org/schema/1.0/bpmn}collection"
ELEMENT_VARIABLE = "{http://camunda.org/schema/1.0/bpmn}elementVariable"


def with_condition(text: str) -> Any:
    def change(root: Any) -> None:
        (marker,) = root.xpath(MARKER, namespaces=NS)
        condition = etree.SubElement(marker, f"{{{NS['bpmn']}}}completionCondition")
        condition.text = text

    return change


def codes(session: Session, *changes: Any) -> list[tuple[str, str]]:
    return [(p.code, p.element_id) for p in validate_diagram(session, edited(COMPLAINT_BPMN, *changes))]


def test_the_shipped_step_is_valid_and_its_element_variable_names_the_group(session: Session) -> None:
    assert codes(session) == []
    # Without the element variable, ${assisting_department} names nothing the diagram sets.
    assert codes(session, set_attribute(MARKER, ELEMENT_VARIABLE, "department_of_part")) == [
        ("unknown-group-variable", "assist")
    ]


def test_a_completion_condition_reads_the_counters_and_the_case_but_nothing_unknown(session: Session) -> None:
    assert codes(session, with_condition("${nrOfCompletedInstances >= 1 && assist_opinion != null}")) == []
    assert codes(session, with_condition("${nrOfDone >= 1}")) == [("code-unknown-name", "assist")]


def test_a_collection_that_is_no_name_is_refused_before_anything_runs(session: Session) -> None:
    problems = codes(session, set_attribute(MARKER, COLLECTION, "${departments.list()}"))
    assert problems and all(element == "assist" for _code, element in problems)
