"""JUEL conditions as Camunda Modeler users write them, said in the sandbox's Python for the message
that refuses them (issue 21); forms that need Java have no translation."""

from __future__ import annotations

import pytest

from engine.bpmn.juel import is_juel, python_of


@pytest.mark.parametrize(
    ("juel", "python"),
    [
        ("${approved}", "approved"),
        ("${a == b}", "a == b"),
        ("${!x}", "not x"),
        ("${a && b}", "a and b"),
        ("${a || !b}", "a or not b"),
        ("${x > 5}", "x > 5"),
        ("#{x == 1}", "x == 1"),
        ("${status eq 'done' and not urgent}", "status == 'done' and not urgent"),
        ("${approved == true}", "approved == True"),
        ("${reason != null}", "reason != None"),
        ("${empty remark}", "not remark"),
        ("${-x >= -5}", "-x >= -5"),
        ("${a && (b || c)}", "a and (b or c)"),
    ],
)
def test_the_common_forms_have_a_python_translation(juel: str, python: str) -> None:
    assert is_juel(juel)
    assert python_of(juel) == python


@pytest.mark.parametrize(
    "juel",
    [
        "${execution.getVariable('x')}",
        "${task.assignee}",
        "${items[0]}",
        "${mailer.send()}",
        "${}",
        "${a ==}",
    ],
)
def test_what_needs_java_or_does_not_parse_has_none(juel: str) -> None:
    assert python_of(juel) is None


def test_python_is_not_juel() -> None:
    assert not is_juel("approved == True")
    assert python_of("approved == True") is None
