"""Graded deadlines as diagrams declare them (warnAt, escalate): the levels read, their defaults, and the
words of a refusal; the shipped complaint and repair steps chase as C4 and R6 ask."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.bpmn import LevelError, parse_definition, parse_levels
from tests.helpers import PROCESSES


def test_levels_with_their_defaults_warnings_first() -> None:
    levels = parse_levels("50%,80%:assignee+department_head:message", "2h:department_head,4h")
    assert [(lv.number, lv.kind, lv.label, lv.recipients, lv.channel) for lv in levels] == [
        (1, "warning", "50%", ("assignee",), "app"),
        (2, "warning", "80%", ("assignee", "department_head"), "message"),
        (3, "escalation", "+2h", ("department_head",), "message"),
        (4, "escalation", "+4h", ("supervisors",), "message"),
    ]
    assert levels[1].share == 0.8 and levels[2].after == timedelta(hours=2)
    assert parse_levels("", "") == ()


@pytest.mark.parametrize(
    ("warn_at", "escalate", "words"),
    [
        ("0%", "", "between 1% and 99%"),
        ("50", "", "between 1% and 99%"),
        ("80%,50%", "", "from the smallest"),
        ("50%,", "", "an empty entry"),
        ("", "0h", "working hours after the deadline"),
        ("", "4h,2h", "from the smallest"),
        ("", "2h:supervisors:fax", "unknown channel 'fax'"),
        ("50%:Boss", "", "unknown recipient 'Boss'"),
        ("50%:a:b:c", "", "between 1% and 99%"),
    ],
)
def test_a_malformed_declaration_is_refused_in_words(warn_at: str, escalate: str, words: str) -> None:
    with pytest.raises(LevelError) as refused:
        parse_levels(warn_at, escalate)
    assert words in str(refused.value)


def test_known_roles_are_checked_when_given() -> None:
    assert parse_levels("", "2h:supervisor", frozenset({"supervisor"}))[0].recipients == ("supervisor",)
    with pytest.raises(LevelError):
        parse_levels("", "2h:mayor", frozenset({"supervisor"}))


def test_the_shipped_diagrams_grade_the_department_and_repair_deadlines_c4_r6() -> None:
    complaint = parse_definition((PROCESSES / "complaint.bpmn").read_bytes(), "complaint.bpmn")
    handling = complaint.user_tasks["department_handling"].deadline_levels
    assert [(lv.label, lv.recipients) for lv in handling] == [
        ("50%", ("assignee",)),
        ("80%", ("assignee",)),
        ("+2h", ("department_head",)),
        ("+4h", ("supervisors",)),
    ]
    repair = parse_definition((PROCESSES / "repair.bpmn").read_bytes(), "repair.bpmn")
    report = repair.user_tasks["onsite_report"].deadline_levels
    assert [(lv.label, lv.recipients) for lv in report] == [
        ("80%", ("assignee",)),
        ("+2h", ("department_head",)),
    ]
